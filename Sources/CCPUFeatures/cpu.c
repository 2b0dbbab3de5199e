#include "CCPUFeatures.h"

bool cpu_runs_engine_code(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")
        && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("movbe")
        && __builtin_cpu_supports("lzcnt");
#else
    return true;
#endif
}
