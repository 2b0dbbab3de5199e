#ifndef DEMIXER_VECTOR_MATH_H
#define DEMIXER_VECTOR_MATH_H

#include <stddef.h>

/// Softmax numerator of one row of base-2 scores, in place: `x[i] = 2^(x[i] - peak)`
/// for `peak` at least `max(x)`. Returns the sum of the new values.
float vector_softmax_powers(float *x, size_t count, float peak);

/// Exact (erf-based) GELU of `count` values, in place.
void vector_gelu(float *x, size_t count);

/// Gated linear unit: `result[i] = value[i] · σ(gate[i])`; `result` must not overlap the inputs.
void vector_glu(const float *value, const float *gate, float *result, size_t count);

/// GELU of an affine map, in place: `x[i] = gelu(x[i] · scale + shift)`; a norm's
/// affine and the activation after it in one pass over memory.
void vector_affine_gelu(float *x, size_t count, float scale, float shift);

/// A gated linear unit of two affine maps, added with a weight:
/// `out[i] += weight · (value[i] · value_scale + value_shift) · σ(gate[i] · gate_scale + gate_shift)`;
/// a norm's affine, the GLU and a LayerScaled residual in one pass. `out` must not
/// overlap the inputs.
void vector_affine_glu_add(const float *value, const float *gate, size_t count, float value_scale, float value_shift,
                           float gate_scale, float gate_shift, float weight, float *out);

/// Floats of one head's packed keys or packed values (the larger of the two), for
/// `count` keys of `head_dim` dimensions.
size_t vector_attention_packed_count(size_t count, size_t head_dim);

/// Floats of the scratch `vector_attention_block` needs for `rows` queries and `keys` keys.
size_t vector_attention_scratch_count(size_t rows, size_t keys);

/// Packs one head's keys (`count` rows of `head_dim`, row stride `ld`) for
/// `vector_attention_block`: panels of 16 keys, dimension-major, zero-padded.
void vector_attention_pack_keys(const float *keys, size_t ld, size_t count, size_t head_dim, float *packed);

/// Packs one head's values (`count` rows of `head_dim`, row stride `ld`) for
/// `vector_attention_block`: groups of 16 columns, key-major, zero-padded.
void vector_attention_pack_values(const float *values, size_t ld, size_t count, size_t head_dim, float *packed);

/// Softmax attention of `rows` queries (row stride `ldq`) over `keys` packed keys and
/// values: `out[r] = Σⱼ softmax(scale · q[r]·kⱼ)ⱼ vⱼ` (row stride `ldo`), with the score
/// block in `scratch` (`vector_attention_scratch_count(rows, keys)` floats).
void vector_attention_block(const float *q, size_t ldq, size_t rows, const float *packed_keys,
                            const float *packed_values, size_t keys, size_t head_dim, float scale,
                            float *scratch, float *out, size_t ldo);

/// Floats of the scratch `vector_direct_conv1d` needs for `columns` outputs at a time.
size_t vector_direct_conv1d_scratch_count(size_t channels, size_t columns, size_t taps, size_t dilation);

/// A stride-1 1-D convolution computed directly, for few output channels (no patch
/// matrix): `channels` input rows of `length` (row stride `x_stride`), weights
/// `[outputs][channels][taps]`, a bias per output, `padding` zeros each side. Writes
/// output columns `[first, last)` of `outputs` rows (row stride `out_stride`; an output row
/// has `length + 2·padding - (taps - 1)·dilation` columns).
void vector_direct_conv1d(const float *x, size_t channels, size_t x_stride, size_t length, const float *weight,
                          const float *bias, size_t outputs, size_t taps, size_t dilation, size_t padding,
                          size_t first, size_t last, float *scratch, float *out, size_t out_stride);

/// Winograd F(4×4, 3×3) weights for `count` 3×3 kernels (`w[p][3][3]`):
/// `u[ξ·stride + p]` for the 36 transform points ξ.
void vector_winograd_weights(const float *w, size_t count, size_t stride, float *u);

/// Floats of the scratch the Winograd input and output transforms need for rows of `width`.
size_t vector_winograd_scratch_count(size_t width);

/// Winograd input transform of tiles `[first, last)` (4×4 output blocks, numbered along
/// rows of ⌈width/4⌉ tiles) of `x` (`[channels][height][width]`, zero-padded by one):
/// `v[ξ][c][t - first]`.
void vector_winograd_input(const float *x, size_t channels, size_t height, size_t width, size_t first, size_t last,
                           float *scratch, float *v);

/// Winograd output transform of tiles `[first, last)`: from the products
/// `m[ξ][row][t - first]` to `out[o][height][width]`, plus `bias[o]`. With `gate_bias`,
/// `m` holds `2·outputs` rows (values, then gates) and `out` gets their gated linear unit.
void vector_winograd_output(const float *m, size_t outputs, const float *bias, const float *gate_bias, size_t height,
                            size_t width, size_t first, size_t last, float *scratch, float *out);

#endif
