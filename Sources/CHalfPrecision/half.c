// Half-precision conversions with the F16C instructions where the CPU has them
// (every x86-64 host Demixer targets), the compiler's _Float16 elsewhere.
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

void half_widen(const uint16_t *source, float *target, size_t count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("f16c")) {
        widen_f16c(source, target, count);
        return;
    }
#endif
    for (size_t i = 0; i < count; i++) {
        _Float16 h;
        memcpy(&h, source + i, sizeof h);
        target[i] = (float)h;
    }
}

bool half_narrow_exactly(const float *source, uint16_t *target, size_t count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("f16c")) return narrow_f16c(source, target, count);
#endif
    for (size_t i = 0; i < count; i++) {
        _Float16 h = (_Float16)source[i];
        if (!((float)h == source[i])) return false;
        memcpy(target + i, &h, sizeof h);
    }
    return true;
}
