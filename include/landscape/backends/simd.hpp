// The CPU backend's SIMD paths: which instruction sets this binary can run here, which one it
// runs, and the machine's measured FMA peak.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "landscape/core/settings.hpp"

namespace landscape {

/// The CPU backend's training paths on this machine, best first: the dispatch targets this
/// binary was built for and the CPU supports ("avx512", "avx2", "sse4", "emu128", "neon", …),
/// then "scalar" (the per-network reference loop, always available).
std::vector<std::string> simd_targets();

/// The path the CPU backend runs: the value of the environment variable LANDSCAPE_SIMD when it
/// is set (Error naming LANDSCAPE_SIMD when it is not one of simd_targets()), else the first of
/// simd_targets().
std::string simd_target();

/// Networks trained side by side in one SIMD register on `target` in `precision` (1 for
/// "scalar"). Error for a target not in simd_targets().
int simd_lanes(const std::string& target, Precision precision);

/// Registers per lane value for a batch of `count` networks on a target of `lanes` ≥ 1 networks
/// per register and `threads` threads (0: all cores). Two registers train two groups of
/// networks side by side in every instruction, which hides the latency of small networks'
/// chains of dependent products; the answer is 1 when the batch is too small to keep the threads
/// as busy with the wider groups (the threads' rounds of wide groups more than 9/16 of their
/// rounds of narrow ones), otherwise 2. The environment variable LANDSCAPE_SIMD_REGS = 1 or 2
/// forces the choice (Error naming it for any other value). Results do not depend on it: each
/// network goes through the same operations in the same order either way.
int simd_registers(std::size_t count, int lanes, int threads);

/// The value of LANDSCAPE_SIMD_REGS: 1 or 2, 0 when unset. Error naming the variable otherwise.
int simd_registers_forced();

/// The FMA peak of `threads` threads (0: all cores) in FLOP/s, measured with independent
/// multiply-add chains on the widest target here (each FMA counts two flops): every thread at
/// once, the best of 32 short runs each, a few tens of milliseconds in all.
double measure_fma_peak(Precision precision, int threads);

}  // namespace landscape
