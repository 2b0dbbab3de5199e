#ifndef DEMIXER_CPU_FEATURES_H
#define DEMIXER_CPU_FEATURES_H

#include <stdbool.h>

/// Whether this CPU runs code built for Haswell (AVX2, FMA, F16C, BMI1/2, MOVBE,
/// LZCNT), as the engine is on x86-64; always true elsewhere.
bool cpu_runs_engine_code(void);

#endif
