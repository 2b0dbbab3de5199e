// The engine's element-wise kernels, written once as plain loops and compiled twice:
// for AVX2 with FMA where the CPU has them (checked at run time) and for baseline
// x86-64 (or any other CPU). Both vectorise; the first does 8 lanes with fused products.
#include "CVectorMath.h"

#include <stdint.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

/// Adding this rounds a float of magnitude below 2²² to the nearest integer, which then
/// sits in the sum's low mantissa bits.
#define ROUNDING_MAGIC 12582912.0f

/// 2ⁿ for the integer n (-126 ≤ n ≤ 127) held by `shifted = n + ROUNDING_MAGIC`.
INLINE float power_of_two(float shifted) {
    const float magic = ROUNDING_MAGIC;
    int32_t shiftedBits, magicBits;
    memcpy(&shiftedBits, &shifted, sizeof shiftedBits);
    memcpy(&magicBits, &magic, sizeof magicBits);
    int32_t scaleBits = (shiftedBits - magicBits + 127) << 23;
    float scale;
    memcpy(&scale, &scaleBits, sizeof scale);
    return scale;
}

/// exp(x) by range reduction to 2ⁿ·eʳ with |r| ≤ ln2/2 and a degree-6 polynomial,
/// accurate to a few ulp for x in [-87.3, 88.3], 0 below.
INLINE float exp_approx(float x) {
    float clamped = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    // n = x·log2(e) rounded to the nearest integer.
    const float magic = ROUNDING_MAGIC;
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
    return x < -87.3f ? 0.0f : p * power_of_two(shifted);
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

/// 2^x for x ≤ 0: 2ⁿ·2ʳ with n = round(x), |r| ≤ 1/2 (exact), and 2ʳ = e^(r·ln2) by its
/// degree-6 Taylor polynomial (the same error bound as `exp_approx`); x below -126 gives
/// 2⁻¹²⁶, a normal float, in place of a smaller power or 0.
INLINE float exp2_nonpositive(float x) {
    float clamped = x < -126.0f ? -126.0f : x;
    const float magic = ROUNDING_MAGIC;
    float shifted = clamped + magic;
    float r = clamped - (shifted - magic);
    float p = 1.5403530393381609e-4f;
    p = p * r + 1.3333558146428443e-3f;
    p = p * r + 9.6181291076284772e-3f;
    p = p * r + 5.5504108664821580e-2f;
    p = p * r + 2.4022650695910071e-1f;
    p = p * r + 6.9314718055994531e-1f;
    p = p * r + 1;
    return p * power_of_two(shifted);
}

INLINE float softmax_powers(float *x, size_t count, float peak) {
    // The sum may be taken in any order (in vector lanes).
#pragma clang fp reassociate(on)
    float total = 0;
    for (size_t i = 0; i < count; i++) {
        x[i] = exp2_nonpositive(x[i] - peak);
        total += x[i];
    }
    return total;
}

INLINE float gelu_value(float x) { return 0.5f * x * (1 + erf_approx(x * 0.70710678118654752f)); }

INLINE float glu_value(float value, float gate) { return value / (1 + exp_approx(-gate)); }

INLINE void gelu(float *x, size_t count) {
    for (size_t i = 0; i < count; i++) x[i] = gelu_value(x[i]);
}

INLINE void affine_gelu(float *x, size_t count, float scale, float shift) {
    for (size_t i = 0; i < count; i++) x[i] = gelu_value(x[i] * scale + shift);
}

INLINE void glu(const float *restrict value, const float *restrict gate, float *restrict result, size_t count) {
    for (size_t i = 0; i < count; i++) result[i] = glu_value(value[i], gate[i]);
}

INLINE void affine_glu_add(const float *restrict value, const float *restrict gate, size_t count, float value_scale,
                           float value_shift, float gate_scale, float gate_shift, float weight, float *restrict out) {
    for (size_t i = 0; i < count; i++)
        out[i] += weight * glu_value(value[i] * value_scale + value_shift, gate[i] * gate_scale + gate_shift);
}

// Attention kernels. Keys are packed as panels of 16 keys (`[panel][dimension][16]`) and
// values as groups of 16 columns (`[group][key][16]`), both zero-padded, once per head; a
// block of queries then runs its products from registers with no further copy.
typedef float v8 __attribute__((vector_size(32), aligned(4), may_alias));
#define LANES 16
#define TILE_ROWS 6
#define KEY_CHUNK 512

INLINE size_t round_up(size_t count) { return (count + LANES - 1) / LANES * LANES; }

// Macros, not functions: a vector argument or result would cross the baseline ABI.
#define load8(p) (*(const v8 *)(p))
#define store8(p, x) (*(v8 *)(p) = (x))
#define splat8(x) ({ float s_ = (x); (v8){s_, s_, s_, s_, s_, s_, s_, s_}; })

INLINE void pack_keys(const float *keys, size_t ld, size_t count, size_t head_dim, float *packed) {
    for (size_t panel = 0; panel < round_up(count); panel += LANES) {
        float *out = packed + panel * head_dim;
        for (size_t d = 0; d < head_dim; d++)
            for (size_t j = 0; j < LANES; j++)
                out[d * LANES + j] = panel + j < count ? keys[(panel + j) * ld + d] : 0;
    }
}

INLINE void pack_values(const float *values, size_t ld, size_t count, size_t head_dim, float *packed) {
    for (size_t group = 0; group < round_up(head_dim); group += LANES) {
        float *out = packed + group * count;
        for (size_t j = 0; j < count; j++)
            for (size_t c = 0; c < LANES; c++)
                out[j * LANES + c] = group + c < head_dim ? values[j * ld + group + c] : 0;
    }
}

/// Scores of `nr` (≤ TILE_ROWS) query rows against one panel of 16 keys, of which the
/// first `valid` are keys, with each row's running maximum over valid keys kept in eight
/// lanes at `maxima` (a row apart by 8).
INLINE void score_tile(const float *q, size_t ldq, const float *panel, size_t head_dim, float scale,
                       float *scores, size_t lds, size_t valid, float *maxima, const int nr) {
    v8 acc[TILE_ROWS][2];
    for (int i = 0; i < nr; i++) acc[i][0] = acc[i][1] = splat8(0);
    // Unrolled so the loop's own instructions do not compete with the FMAs.
#pragma clang loop unroll_count(4)
    for (size_t d = 0; d < head_dim; d++) {
        v8 k0 = load8(panel + d * LANES), k1 = load8(panel + d * LANES + 8);
        for (int i = 0; i < nr; i++) {
            v8 x = splat8(q[i * ldq + d]);
            acc[i][0] += x * k0;
            acc[i][1] += x * k1;
        }
    }
    for (int i = 0; i < nr; i++) {
        v8 s0 = acc[i][0] * scale, s1 = acc[i][1] * scale;
        store8(scores + i * lds, s0);
        store8(scores + i * lds + 8, s1);
        if (valid < LANES) {
            // The padding's zero scores must not raise the maximum.
            float lanes[LANES];
            store8(lanes, s0);
            store8(lanes + 8, s1);
            for (size_t j = valid; j < LANES; j++) lanes[j] = -__builtin_inff();
            s0 = load8(lanes);
            s1 = load8(lanes + 8);
        }
        store8(maxima + i * 8, __builtin_elementwise_max(load8(maxima + i * 8), __builtin_elementwise_max(s0, s1)));
    }
}

/// `out` rows (`nr` ≤ TILE_ROWS) of one 16-column group, over keys `[first, first + count)`:
/// starts from zero on the first chunk, and takes the softmax division on the last.
INLINE void value_tile(const float *p, size_t ldp, const float *group, size_t first, size_t count,
                       int start, const float *inverse, float *out, size_t ldo, size_t columns, const int nr) {
    v8 acc[TILE_ROWS][2];
    for (int i = 0; i < nr; i++) {
        if (start) {
            acc[i][0] = acc[i][1] = splat8(0);
        } else {
            acc[i][0] = load8(out + i * ldo);
            acc[i][1] = load8(out + i * ldo + 8);
        }
    }
#pragma clang loop unroll_count(4)
    for (size_t j = first; j < first + count; j++) {
        v8 v0 = load8(group + j * LANES), v1 = load8(group + j * LANES + 8);
        for (int i = 0; i < nr; i++) {
            v8 x = splat8(p[i * ldp + j]);
            acc[i][0] += x * v0;
            acc[i][1] += x * v1;
        }
    }
    for (int i = 0; i < nr; i++) {
        if (inverse) {
            acc[i][0] *= inverse[i];
            acc[i][1] *= inverse[i];
        }
        if (columns == LANES) {
            store8(out + i * ldo, acc[i][0]);
            store8(out + i * ldo + 8, acc[i][1]);
        } else {
            float lanes[LANES];
            store8(lanes, acc[i][0]);
            store8(lanes + 8, acc[i][1]);
            for (size_t c = 0; c < columns; c++) out[i * ldo + c] = lanes[c];
        }
    }
}

/// Runs `body(nr)` for the tile of the `remaining` rows' first min(remaining, TILE_ROWS),
/// with its row count a constant.
#define FOR_TILE_ROWS(remaining, body)                                  \
    switch ((remaining) < TILE_ROWS ? (remaining) : TILE_ROWS) {        \
    case 6: body(6); break;                                             \
    case 5: body(5); break;                                             \
    case 4: body(4); break;                                             \
    case 3: body(3); break;                                             \
    case 2: body(2); break;                                             \
    default: body(1); break;                                            \
    }

INLINE void attention_block(const float *q, size_t ldq, size_t rows, const float *packed_keys,
                            const float *packed_values, size_t keys, size_t head_dim, float scale,
                            float *scratch, float *out, size_t ldo) {
    size_t lds = round_up(keys);
    float *inverse = scratch + rows * lds;
    float *maxima = inverse + rows;
    // Scores in base 2 (scaled by log2 e), so the softmax's powers need no multiply.
    float scale2 = scale * 1.44269504088896341f;
    for (size_t r = 0; r < rows; r++) store8(maxima + r * 8, splat8(-__builtin_inff()));
    for (size_t panel = 0; panel < lds; panel += LANES) {
        size_t valid = keys - panel < LANES ? keys - panel : LANES;
        for (size_t r = 0; r < rows; r += TILE_ROWS) {
#define SCORE(nr) score_tile(q + r * ldq, ldq, packed_keys + panel * head_dim, head_dim, scale2, \
                             scratch + r * lds + panel, lds, valid, maxima + r * 8, nr)
            FOR_TILE_ROWS(rows - r, SCORE)
#undef SCORE
        }
    }
    for (size_t r = 0; r < rows; r++) {
        float peak = maxima[r * 8];
        for (int l = 1; l < 8; l++) peak = maxima[r * 8 + l] > peak ? maxima[r * 8 + l] : peak;
        inverse[r] = 1 / softmax_powers(scratch + r * lds, keys, peak);
    }
    for (size_t first = 0; first < keys; first += KEY_CHUNK) {
        size_t count = keys - first < KEY_CHUNK ? keys - first : KEY_CHUNK;
        int start = first == 0;
        const float *last = first + count == keys ? inverse : NULL;
        for (size_t group = 0; group < round_up(head_dim); group += LANES) {
            size_t columns = head_dim - group < LANES ? head_dim - group : LANES;
            for (size_t r = 0; r < rows; r += TILE_ROWS) {
#define VALUE(nr) value_tile(scratch + r * lds, lds, packed_values + group * keys, first, count, start, \
                             last ? last + r : NULL, out + r * ldo + group, ldo, columns, nr)
                FOR_TILE_ROWS(rows - r, VALUE)
#undef VALUE
            }
        }
    }
}

// Direct 1-D convolution for few output channels (DConv's compressing convolution),
// where a patch matrix and a product with 6 or 12 rows cost more than the arithmetic.

/// `nr` (≤ TILE_ROWS) output channels × 16 positions from the zero-padded rows at `x`.
INLINE void conv_tile(const float *x, size_t x_stride, size_t channels, const float *w, size_t taps,
                      size_t dilation, const float *bias, float *out, size_t out_stride, const int nr) {
    v8 acc[TILE_ROWS][2];
    for (int i = 0; i < nr; i++) acc[i][0] = acc[i][1] = splat8(bias[i]);
    size_t w_stride = channels * taps;
    for (size_t c = 0; c < channels; c++) {
        for (size_t k = 0; k < taps; k++) {
            const float *src = x + c * x_stride + k * dilation;
            v8 x0 = load8(src), x1 = load8(src + 8);
            for (int i = 0; i < nr; i++) {
                v8 wv = splat8(w[i * w_stride + c * taps + k]);
                acc[i][0] += wv * x0;
                acc[i][1] += wv * x1;
            }
        }
    }
    for (int i = 0; i < nr; i++) {
        store8(out + i * out_stride, acc[i][0]);
        store8(out + i * out_stride + 8, acc[i][1]);
    }
}

INLINE size_t conv_span(size_t first, size_t last) { return (last - first + LANES - 1) / LANES * LANES; }

INLINE void direct_conv1d(const float *x, size_t channels, size_t x_stride, size_t length, const float *weight,
                          const float *bias, size_t outputs, size_t taps, size_t dilation, size_t padding,
                          size_t first, size_t last, float *scratch, float *out, size_t out_stride) {
    size_t reach = (taps - 1) * dilation;
    size_t padded = conv_span(first, last) + reach;
    // Padded input positions [first, first + padded), zero outside the input, so every
    // tile reads whole vectors in bounds.
    size_t lo = padding > first ? padding - first : 0;
    size_t hi = length + padding > first ? length + padding - first : 0;
    if (lo > padded) lo = padded;
    if (hi > padded) hi = padded;
    if (hi < lo) hi = lo;
    for (size_t c = 0; c < channels; c++) {
        float *row = scratch + c * padded;
        memset(row, 0, lo * sizeof(float));
        if (hi > lo) memcpy(row + lo, x + c * x_stride + first + lo - padding, (hi - lo) * sizeof(float));
        memset(row + hi, 0, (padded - hi) * sizeof(float));
    }
    float *tail = scratch + channels * padded;
    for (size_t o = 0; o < outputs; o += TILE_ROWS) {
        const float *w = weight + o * channels * taps;
        size_t rows = outputs - o < TILE_ROWS ? outputs - o : TILE_ROWS;
        for (size_t t = first; t < last; t += LANES) {
            int full = t + LANES <= last;
            float *target = full ? out + o * out_stride + t : tail;
            size_t ld = full ? out_stride : LANES;
#define CONV(nr) conv_tile(scratch + (t - first), padded, channels, w, taps, dilation, bias + o, target, ld, nr)
            FOR_TILE_ROWS(rows, CONV)
#undef CONV
            if (!full)
                for (size_t i = 0; i < rows; i++)
                    memcpy(out + (o + i) * out_stride + t, tail + i * LANES, (last - t) * sizeof(float));
        }
    }
}

// Winograd F(4×4, 3×3) for 3×3 convolutions with stride 1 and padding 1: each 4×4 block
// of outputs ("tile") from a 6×6 patch of inputs, with 36 products per channel pair
// instead of 144. The products form 36 matrix products, one per point ξ of the 6×6
// transform; the transforms below run in plain loops over a stretch of tiles. The
// interpolation points are 0, ±1, ±2 and ∞.

/// G·g of three values `g0…g2` into `out[0…5]·step`.
#define WINOGRAD_G(g0, g1, g2, out, step)                                           \
    do {                                                                            \
        float sixth_ = (g2) * (1.0f / 6);                                           \
        (out)[0] = (g0) * 0.25f;                                                    \
        (out)[step] = ((g0) + (g1) + (g2)) * (-1.0f / 6);                           \
        (out)[2 * (step)] = ((g0) - (g1) + (g2)) * (-1.0f / 6);                     \
        (out)[3 * (step)] = (g0) * (1.0f / 24) + (g1) * (1.0f / 12) + sixth_;       \
        (out)[4 * (step)] = (g0) * (1.0f / 24) - (g1) * (1.0f / 12) + sixth_;       \
        (out)[5 * (step)] = (g2);                                                   \
    } while (0)

/// `u[ξ·stride + p]` = (G·g·Gᵀ)[ξ] for every 3×3 kernel `g = w[p]`, formed 32 kernels
/// at a time so that each of the 36 rows of `u` is written in runs, not one float per page.
INLINE void winograd_weights(const float *w, size_t count, size_t stride, float *u) {
    enum { RUN = 32 };
    float run[36][RUN];
    for (size_t first = 0; first < count; first += RUN) {
        size_t kernels = count - first < RUN ? count - first : RUN;
        for (size_t p = 0; p < kernels; p++) {
            const float *g = w + (first + p) * 9;
            float t[6][3];
            for (int c = 0; c < 3; c++) WINOGRAD_G(g[c], g[3 + c], g[6 + c], &t[0][c], 3);
            for (int r = 0; r < 6; r++) WINOGRAD_G(t[r][0], t[r][1], t[r][2], &run[r * 6][p], RUN);
        }
        for (int point = 0; point < 36; point++)
            memcpy(u + point * stride + first, run[point], kernels * sizeof(float));
    }
}

INLINE size_t tiles_across(size_t width) { return (width + 3) / 4; }

/// Bᵀ·d of six values `d0…d5` into `out[0…5]·step`.
#define WINOGRAD_B(d0, d1, d2, d3, d4, d5, out, step)   \
    do {                                                \
        (out)[0] = 4 * (d0) - 5 * (d2) + (d4);          \
        (out)[step] = (d3) + (d4) - 4 * ((d1) + (d2));  \
        (out)[2 * (step)] = 4 * ((d1) - (d2)) + (d4) - (d3); \
        (out)[3 * (step)] = 2 * ((d3) - (d1)) + (d4) - (d2); \
        (out)[4 * (step)] = 2 * ((d1) - (d3)) + (d4) - (d2); \
        (out)[5 * (step)] = 4 * (d1) - 5 * (d3) + (d5); \
    } while (0)

/// Bᵀ·d·B of the tiles in one tile row, columns `[j0, j0 + count)`, for one channel:
/// `v[ξ·stride + k]` for the k-th tile.
INLINE void winograd_input_row(const float *plane, size_t height, size_t width, size_t row, size_t j0,
                               size_t count, float *scratch, float *v, size_t stride) {
    // Per input row of the patches: its columns 4j - 1 + q for q < 4 (q = 4, 5 are the
    // next tile's 0, 1), then the row transform h[r][b][k].
    size_t span = count + 1;
    float *p = scratch, *h = scratch + 4 * span;
    for (int r = 0; r < 6; r++) {
        long ih = (long)(4 * row) - 1 + r;
        if (ih < 0 || ih >= (long)height) {
            memset(p, 0, 4 * span * sizeof(float));
        } else {
            const float *src = plane + ih * width;
            // Patches wholly inside the row [lo, hi) in one plain loop; the edges checked.
            size_t lo = j0 == 0 ? 1 : 0, hi = (width + 1) / 4 > j0 ? (width + 1) / 4 - j0 : 0;
            if (hi > span) hi = span;
            if (hi < lo) hi = lo;
            for (size_t k = lo; k < hi; k++)
                for (int q = 0; q < 4; q++) p[q * span + k] = src[4 * (j0 + k) - 1 + q];
            for (size_t k = lo > 0 ? 0 : hi; k < span; k = k + 1 == lo ? hi : k + 1) {
                for (int q = 0; q < 4; q++) {
                    long column = (long)(4 * (j0 + k)) - 1 + q;
                    p[q * span + k] = column >= 0 && column < (long)width ? src[column] : 0;
                }
            }
        }
        const float *p0 = p, *p1 = p + span, *p2 = p1 + span, *p3 = p2 + span;
        float *hr = h + (size_t)(r * 6) * count;
        for (size_t k = 0; k < count; k++) WINOGRAD_B(p0[k], p1[k], p2[k], p3[k], p0[k + 1], p1[k + 1], hr + k, count);
    }
    for (int b = 0; b < 6; b++) {
        const float *h0 = h + b * count;
        size_t rs = 6 * count;
        float *out = v + b * stride;
        for (size_t k = 0; k < count; k++)
            WINOGRAD_B(h0[k], h0[rs + k], h0[2 * rs + k], h0[3 * rs + k], h0[4 * rs + k], h0[5 * rs + k], out + k,
                       6 * stride);
    }
}

INLINE void winograd_input(const float *x, size_t channels, size_t height, size_t width, size_t first,
                           size_t last, float *scratch, float *v) {
    size_t across = tiles_across(width), n = last - first, stride = channels * n;
    for (size_t c = 0; c < channels; c++) {
        for (size_t t = first; t < last;) {
            size_t j0 = t % across;
            size_t count = across - j0 < last - t ? across - j0 : last - t;
            winograd_input_row(x + c * height * width, height, width, t / across, j0, count, scratch,
                               v + c * n + (t - first), stride);
            t += count;
        }
    }
}

/// Aᵀ·m of six values into four.
#define WINOGRAD_A(m0, m1, m2, m3, m4, m5, y0, y1, y2, y3)                         \
    do {                                                                        \
        float sum12_ = (m1) + (m2), diff12_ = (m1) - (m2);                      \
        float sum34_ = (m3) + (m4), diff34_ = (m3) - (m4);                      \
        y0 = (m0) + sum12_ + sum34_;                                            \
        y1 = diff12_ + 2 * diff34_;                                             \
        y2 = sum12_ + 4 * sum34_;                                               \
        y3 = diff12_ + 8 * diff34_ + (m5);                                      \
    } while (0)

/// Aᵀ·m·A of `count` tiles of one output channel (`m[ξ·stride + k]`), plus `bias`: the
/// tiles' four output rows, side by side in `y[i·4·count]`; `s` holds 24·count floats.
INLINE void winograd_output_row(const float *m, size_t stride, size_t count, float bias, float *s, float *y) {
    // Over the rows of each tile first: s[i][b][k].
    for (int b = 0; b < 6; b++) {
        const float *at = m + b * stride;
        float *s0 = s + b * count, *s1 = s0 + 6 * count, *s2 = s1 + 6 * count, *s3 = s2 + 6 * count;
        for (size_t k = 0; k < count; k++)
            WINOGRAD_A(at[k], at[6 * stride + k], at[12 * stride + k], at[18 * stride + k], at[24 * stride + k],
                       at[30 * stride + k], s0[k], s1[k], s2[k], s3[k]);
    }
    for (int i = 0; i < 4; i++) {
        const float *si = s + i * 6 * count;
        float *out = y + i * 4 * count;
        for (size_t k = 0; k < count; k++) {
            float y0, y1, y2, y3;
            WINOGRAD_A(si[k], si[count + k], si[2 * count + k], si[3 * count + k], si[4 * count + k],
                       si[5 * count + k], y0, y1, y2, y3);
            out[4 * k] = y0 + bias;
            out[4 * k + 1] = y1 + bias;
            out[4 * k + 2] = y2 + bias;
            out[4 * k + 3] = y3 + bias;
        }
    }
}

INLINE void winograd_output(const float *m, size_t outputs, const float *bias, const float *gate_bias,
                            size_t height, size_t width, size_t first, size_t last, float *scratch,
                            float *out) {
    size_t across = tiles_across(width), n = last - first;
    size_t rows = gate_bias ? 2 * outputs : outputs, stride = rows * n;
    float *y = scratch, *g = scratch + 16 * across, *rows_first = scratch + 32 * across;
    for (size_t o = 0; o < outputs; o++) {
        for (size_t t = first; t < last;) {
            size_t row = t / across, j0 = t % across;
            size_t count = across - j0 < last - t ? across - j0 : last - t;
            const float *at = m + o * n + (t - first);
            winograd_output_row(at, stride, count, bias[o], rows_first, y);
            if (gate_bias) {
                winograd_output_row(at + outputs * n, stride, count, gate_bias[o], rows_first, g);
                for (size_t k = 0; k < 16 * count; k++) y[k] = glu_value(y[k], g[k]);
            }
            size_t columns = 4 * (j0 + count) <= width ? 4 * count : width - 4 * j0;
            for (size_t r = 0; r < 4 && 4 * row + r < height; r++)
                memcpy(out + (o * height + 4 * row + r) * width + 4 * j0, y + r * 4 * count,
                       columns * sizeof(float));
            t += count;
        }
    }
}

size_t vector_winograd_scratch_count(size_t width) { return 56 * (tiles_across(width) + 1); }

size_t vector_direct_conv1d_scratch_count(size_t channels, size_t columns, size_t taps, size_t dilation) {
    return channels * (conv_span(0, columns) + (taps - 1) * dilation) + TILE_ROWS * LANES;
}

size_t vector_attention_packed_count(size_t count, size_t head_dim) {
    size_t keys = round_up(count) * head_dim, values = count * round_up(head_dim);
    return keys > values ? keys : values;
}

size_t vector_attention_scratch_count(size_t rows, size_t keys) { return rows * (round_up(keys) + 1 + 8); }

#if defined(__x86_64__)
#define WIDE __attribute__((target("avx2,fma")))
WIDE static float softmax_powers_wide(float *x, size_t count, float peak) { return softmax_powers(x, count, peak); }
WIDE static void gelu_wide(float *x, size_t count) { gelu(x, count); }
WIDE static void glu_wide(const float *value, const float *gate, float *result, size_t count) {
    glu(value, gate, result, count);
}
WIDE static void affine_gelu_wide(float *x, size_t count, float scale, float shift) {
    affine_gelu(x, count, scale, shift);
}
WIDE static void affine_glu_add_wide(const float *value, const float *gate, size_t count, float value_scale,
                                     float value_shift, float gate_scale, float gate_shift, float weight, float *out) {
    affine_glu_add(value, gate, count, value_scale, value_shift, gate_scale, gate_shift, weight, out);
}
WIDE static void pack_keys_wide(const float *keys, size_t ld, size_t count, size_t head_dim, float *packed) {
    pack_keys(keys, ld, count, head_dim, packed);
}
WIDE static void pack_values_wide(const float *values, size_t ld, size_t count, size_t head_dim, float *packed) {
    pack_values(values, ld, count, head_dim, packed);
}
WIDE static void attention_block_wide(const float *q, size_t ldq, size_t rows, const float *packed_keys,
                                      const float *packed_values, size_t keys, size_t head_dim, float scale,
                                      float *scratch, float *out, size_t ldo) {
    attention_block(q, ldq, rows, packed_keys, packed_values, keys, head_dim, scale, scratch, out, ldo);
}
WIDE static void direct_conv1d_wide(const float *x, size_t channels, size_t x_stride, size_t length,
                                   const float *weight, const float *bias, size_t outputs, size_t taps,
                                   size_t dilation, size_t padding, size_t first, size_t last, float *scratch,
                                   float *out, size_t out_stride) {
    direct_conv1d(x, channels, x_stride, length, weight, bias, outputs, taps, dilation, padding, first, last,
                  scratch, out, out_stride);
}
WIDE static void winograd_weights_wide(const float *w, size_t count, size_t stride, float *u) {
    winograd_weights(w, count, stride, u);
}
WIDE static void winograd_input_wide(const float *x, size_t channels, size_t height, size_t width, size_t first,
                                     size_t last, float *scratch, float *v) {
    winograd_input(x, channels, height, width, first, last, scratch, v);
}
WIDE static void winograd_output_wide(const float *m, size_t outputs, const float *bias, const float *gate_bias,
                                      size_t height, size_t width, size_t first, size_t last, float *scratch,
                                      float *out) {
    winograd_output(m, outputs, bias, gate_bias, height, width, first, last, scratch, out);
}
static int wide(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif

float vector_softmax_powers(float *x, size_t count, float peak) {
#if defined(__x86_64__)
    if (wide()) return softmax_powers_wide(x, count, peak);
#endif
    return softmax_powers(x, count, peak);
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

void vector_affine_gelu(float *x, size_t count, float scale, float shift) {
#if defined(__x86_64__)
    if (wide()) return affine_gelu_wide(x, count, scale, shift);
#endif
    affine_gelu(x, count, scale, shift);
}

void vector_affine_glu_add(const float *value, const float *gate, size_t count, float value_scale, float value_shift,
                           float gate_scale, float gate_shift, float weight, float *out) {
#if defined(__x86_64__)
    if (wide()) return affine_glu_add_wide(value, gate, count, value_scale, value_shift, gate_scale, gate_shift, weight, out);
#endif
    affine_glu_add(value, gate, count, value_scale, value_shift, gate_scale, gate_shift, weight, out);
}

void vector_attention_pack_keys(const float *keys, size_t ld, size_t count, size_t head_dim, float *packed) {
#if defined(__x86_64__)
    if (wide()) return pack_keys_wide(keys, ld, count, head_dim, packed);
#endif
    pack_keys(keys, ld, count, head_dim, packed);
}

void vector_attention_pack_values(const float *values, size_t ld, size_t count, size_t head_dim, float *packed) {
#if defined(__x86_64__)
    if (wide()) return pack_values_wide(values, ld, count, head_dim, packed);
#endif
    pack_values(values, ld, count, head_dim, packed);
}

void vector_attention_block(const float *q, size_t ldq, size_t rows, const float *packed_keys,
                            const float *packed_values, size_t keys, size_t head_dim, float scale,
                            float *scratch, float *out, size_t ldo) {
#if defined(__x86_64__)
    if (wide()) return attention_block_wide(q, ldq, rows, packed_keys, packed_values, keys, head_dim, scale, scratch, out, ldo);
#endif
    attention_block(q, ldq, rows, packed_keys, packed_values, keys, head_dim, scale, scratch, out, ldo);
}

void vector_direct_conv1d(const float *x, size_t channels, size_t x_stride, size_t length, const float *weight,
                          const float *bias, size_t outputs, size_t taps, size_t dilation, size_t padding,
                          size_t first, size_t last, float *scratch, float *out, size_t out_stride) {
#if defined(__x86_64__)
    if (wide())
        return direct_conv1d_wide(x, channels, x_stride, length, weight, bias, outputs, taps, dilation, padding,
                                  first, last, scratch, out, out_stride);
#endif
    direct_conv1d(x, channels, x_stride, length, weight, bias, outputs, taps, dilation, padding, first, last,
                  scratch, out, out_stride);
}

void vector_winograd_weights(const float *w, size_t count, size_t stride, float *u) {
#if defined(__x86_64__)
    if (wide()) return winograd_weights_wide(w, count, stride, u);
#endif
    winograd_weights(w, count, stride, u);
}

void vector_winograd_input(const float *x, size_t channels, size_t height, size_t width, size_t first, size_t last,
                           float *scratch, float *v) {
#if defined(__x86_64__)
    if (wide()) return winograd_input_wide(x, channels, height, width, first, last, scratch, v);
#endif
    winograd_input(x, channels, height, width, first, last, scratch, v);
}

void vector_winograd_output(const float *m, size_t outputs, const float *bias, const float *gate_bias, size_t height,
                            size_t width, size_t first, size_t last, float *scratch, float *out) {
#if defined(__x86_64__)
    if (wide()) return winograd_output_wide(m, outputs, bias, gate_bias, height, width, first, last, scratch, out);
#endif
    winograd_output(m, outputs, bias, gate_bias, height, width, first, last, scratch, out);
}
