/* engine/base/base-cpu.c — run-time CPU feature detection (see base-cpu.h). */
#include "engine/base/base-cpu.h"

guint
bimi_cpu_features(void)
{
  static gsize once = 0;
  static guint features;
  if (g_once_init_enter(&once)) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
      features |= BIMI_CPU_AVX512BW;
    if ((features & BIMI_CPU_AVX512BW) && __builtin_cpu_supports("avx512vbmi2"))
      features |= BIMI_CPU_AVX512VBMI2;
#endif
    g_once_init_leave(&once, 1);
  }
  return features;
}
