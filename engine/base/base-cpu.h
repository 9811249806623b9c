/* engine/base/base-cpu.h — which vector instructions this CPU (and OS) offers,
 * for the scans that pick a wider path at run time (issue 21: DKIM relaxed
 * canonicalization, bare-LF search). */
#pragma once

#include <glib.h>

/** Instruction set extensions bimi_cpu_features() reports. */
typedef enum {
  BIMI_CPU_AVX512BW = 1u << 0,    /**< AVX-512 F + BW: 64-byte compares into masks */
  BIMI_CPU_AVX512VBMI2 = 1u << 1, /**< AVX-512 VBMI2: vpcompressb */
} BimiCpuFeatures;

/**
 * bimi_cpu_features:
 *
 * Asks the CPU once (thread-safe; GCC/clang's __builtin_cpu_supports, which
 * also checks that the OS saves the AVX-512 state) and returns the same
 * answer after. Always 0 off x86-64 or with another compiler.
 * Returns: a #BimiCpuFeatures bit set.
 */
guint bimi_cpu_features(void);
