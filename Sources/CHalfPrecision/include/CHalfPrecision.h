#ifndef DEMIXER_HALF_PRECISION_H
#define DEMIXER_HALF_PRECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Widens `count` IEEE binary16 values (bit patterns) to binary32, exactly.
void half_widen(const uint16_t *source, float *target, size_t count);

/// Narrows `count` floats to binary16 bit patterns. Returns false, with `target`
/// unspecified, unless every value is exactly representable (NaNs never are).
bool half_narrow_exactly(const float *source, uint16_t *target, size_t count);

#endif
