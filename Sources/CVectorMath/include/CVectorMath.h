#ifndef DEMIXER_VECTOR_MATH_H
#define DEMIXER_VECTOR_MATH_H

#include <stddef.h>

/// Softmax numerator of one row, in place: `x[i] = exp(x[i] - max(x))`. Returns the
/// sum of the new values.
float vector_softmax_exponentials(float *x, size_t count);

/// Exact (erf-based) GELU of `count` values, in place.
void vector_gelu(float *x, size_t count);

/// Gated linear unit: `result[i] = value[i] · σ(gate[i])`; `result` may be `value`.
void vector_glu(const float *value, const float *gate, float *result, size_t count);

#endif
