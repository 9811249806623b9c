/* tests/test-base-cpu.c — engine/base/base-cpu.c: run-time CPU features. */
#include "engine/base/base-cpu.h"

/* Asked once: the same answer every time; VBMI2 is reported only with BW
 * (the AVX-512 path of the canonicalizer relies on both). */
static void
test_cpu_features(void)
{
  guint f = bimi_cpu_features();
  g_assert_cmpuint(bimi_cpu_features(), ==, f);
  g_assert_cmpuint(f & ~(guint) (BIMI_CPU_AVX512BW | BIMI_CPU_AVX512VBMI2), ==, 0);
  if (f & BIMI_CPU_AVX512VBMI2)
    g_assert_true(f & BIMI_CPU_AVX512BW);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  g_assert_cmpint(!!(f & BIMI_CPU_AVX512BW), ==, __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"));
#endif
  g_test_message("features: avx512bw %d, avx512vbmi2 %d", !!(f & BIMI_CPU_AVX512BW), !!(f & BIMI_CPU_AVX512VBMI2));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/base/cpu/features", test_cpu_features);
  return g_test_run();
}
