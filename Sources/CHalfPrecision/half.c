// Half-precision conversions with the F16C instructions where the CPU has them
// (every x86-64 host Demixer targets), plain C elsewhere.
#include "CHalfPrecision.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx,f16c")))
static void widen_f16c(const uint16_t *source, float *target, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(source + i));
        _mm256_storeu_ps(target + i, _mm256_cvtph_ps(h));
    }
    for (; i < count; i++) {
        uint16_t h;
        memcpy(&h, source + i, sizeof h);
        target[i] = _cvtsh_ss(h);
    }
}

__attribute__((target("avx,f16c")))
static bool narrow_f16c(const float *source, uint16_t *target, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 f = _mm256_loadu_ps(source + i);
        __m128i h = _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT);
        __m256 back = _mm256_cvtph_ps(h);
        if (_mm256_movemask_ps(_mm256_cmp_ps(f, back, _CMP_EQ_OQ)) != 0xFF) return false;
        _mm_storeu_si128((__m128i *)(target + i), h);
    }
    for (; i < count; i++) {
        uint16_t h = _cvtss_sh(source[i], _MM_FROUND_TO_NEAREST_INT);
        if (!(_cvtsh_ss(h) == source[i])) return false;
        target[i] = h;
    }
    return true;
}
#endif

static float widen_one(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else {
        float value = (float)mantissa * 0x1p-24f;
        memcpy(&bits, &value, sizeof bits);
        bits |= sign;
    }
    float result;
    memcpy(&result, &bits, sizeof result);
    return result;
}

void half_widen(const uint16_t *source, float *target, size_t count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("f16c")) {
        widen_f16c(source, target, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) {
        uint16_t h;
        memcpy(&h, source + i, sizeof h);
        target[i] = widen_one(h);
    }
}

bool half_narrow_exactly(const float *source, uint16_t *target, size_t count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("f16c")) return narrow_f16c(source, target, count);
#endif
    // Every binary16 value widens to a distinct float, so narrowing is a search.
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &source[i], sizeof bits);
        uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
        float magnitude = source[i] < 0 ? -source[i] : source[i];
        uint16_t lo = 0, hi = 0x7C00;
        while (lo < hi) {
            uint16_t mid = (uint16_t)((lo + hi) / 2);
            if (widen_one(mid) < magnitude) lo = (uint16_t)(mid + 1); else hi = mid;
        }
        if (!(widen_one(lo) == magnitude)) return false;
        target[i] = sign | lo;
    }
    return true;
}
