// The engine's element-wise kernels, written once as plain loops and compiled twice:
// for AVX2 with FMA where the CPU has them (checked at run time) and for baseline
// x86-64 (or any other CPU). Both vectorise; the first does 8 lanes with fused products.
#include "CVectorMath.h"

#include <stdint.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

/// exp(x) by range reduction to 2ⁿ·eʳ with |r| ≤ ln2/2 and a degree-6 polynomial,
/// accurate to a few ulp for x in [-87.3, 88.3], 0 below.
INLINE float exp_approx(float x) {
    float clamped = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    // Round x·log2(e) to the nearest integer with the 1.5·2²³ trick; n sits in the low bits.
    const float magic = 12582912.0f;
    float shifted = clamped * 1.44269504f + magic;
    float n = shifted - magic;
    float r = clamped - n * 0.69314575f - n * 1.4286068e-6f;
    float p = 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    int32_t shiftedBits, magicBits;
    memcpy(&shiftedBits, &shifted, sizeof shiftedBits);
    memcpy(&magicBits, &magic, sizeof magicBits);
    int32_t scaleBits = (shiftedBits - magicBits + 127) << 23;
    float scale;
    memcpy(&scale, &scaleBits, sizeof scale);
    return x < -87.3f ? 0.0f : p * scale;
}

/// erf (Abramowitz & Stegun 7.1.26 refined: max error 1.5e-7).
INLINE float erf_approx(float x) {
    float a = x < 0 ? -x : x;
    float t = 1 / (1 + 0.3275911f * a);
    float y = 1.061405429f;
    y = y * t - 1.453152027f;
    y = y * t + 1.421413741f;
    y = y * t - 0.284496736f;
    y = y * t + 0.254829592f;
    y = y * t;
    float e = 1 - y * exp_approx(-a * a);
    return x < 0 ? -e : e;
}

INLINE float softmax_exponentials(float *x, size_t count) {
    // The maximum and the sum may be taken in any order (in vector lanes).
#pragma clang fp reassociate(on)
    // The maximum in eight independent lanes: one lane-wise max instruction per block.
    float lanes[8];
    for (int l = 0; l < 8; l++) lanes[l] = -__builtin_inff();
    size_t i = 0;
    for (; i + 8 <= count; i += 8)
        for (int l = 0; l < 8; l++) lanes[l] = x[i + l] > lanes[l] ? x[i + l] : lanes[l];
    for (; i < count; i++) lanes[0] = x[i] > lanes[0] ? x[i] : lanes[0];
    float peak = lanes[0];
    for (int l = 1; l < 8; l++) peak = lanes[l] > peak ? lanes[l] : peak;
    float total = 0;
    for (size_t i = 0; i < count; i++) {
        x[i] = exp_approx(x[i] - peak);
        total += x[i];
    }
    return total;
}

INLINE void gelu(float *x, size_t count) {
    for (size_t i = 0; i < count; i++) x[i] = 0.5f * x[i] * (1 + erf_approx(x[i] * 0.70710678118654752f));
}

INLINE void glu(const float *value, const float *gate, float *result, size_t count) {
    // `restrict` lets both forms vectorise; without it the in-place call fell to a scalar loop.
    if (result == value) {
        float *restrict x = result;
        const float *restrict g = gate;
        for (size_t i = 0; i < count; i++) x[i] = x[i] / (1 + exp_approx(-g[i]));
    } else {
        const float *restrict v = value;
        const float *restrict g = gate;
        float *restrict r = result;
        for (size_t i = 0; i < count; i++) r[i] = v[i] / (1 + exp_approx(-g[i]));
    }
}

#if defined(__x86_64__)
#define WIDE __attribute__((target("avx2,fma")))
WIDE static float softmax_exponentials_wide(float *x, size_t count) { return softmax_exponentials(x, count); }
WIDE static void gelu_wide(float *x, size_t count) { gelu(x, count); }
WIDE static void glu_wide(const float *value, const float *gate, float *result, size_t count) {
    glu(value, gate, result, count);
}
static int wide(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif

float vector_softmax_exponentials(float *x, size_t count) {
#if defined(__x86_64__)
    if (wide()) return softmax_exponentials_wide(x, count);
#endif
    return softmax_exponentials(x, count);
}

void vector_gelu(float *x, size_t count) {
#if defined(__x86_64__)
    if (wide()) return gelu_wide(x, count);
#endif
    gelu(x, count);
}

void vector_glu(const float *value, const float *gate, float *result, size_t count) {
#if defined(__x86_64__)
    if (wide()) return glu_wide(value, gate, result, count);
#endif
    glu(value, gate, result, count);
}
