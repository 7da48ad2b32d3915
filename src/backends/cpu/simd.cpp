// The CPU backend's SIMD targets (names, the LANDSCAPE_SIMD choice, lanes per register) and the
// FMA peak micro-benchmark, compiled once per Highway target.
//
// Why Highway: one portable binary that picks AVX-512, AVX2+FMA, SSE4 or baseline at run time
// (and NEON/SVE on arm64) from one source, with a well-kept CPU detection and per-target
// compilation (hwy/foreach_target.h), instead of hand-written cpuid checks and per-file ISA flags
// whose inline functions could leak into the baseline path. The training math itself runs on
// generic vectors (lanes.hpp); Highway supplies the targets, the dispatch and, here, the ops.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <chrono>

HWY_BEFORE_NAMESPACE();
namespace landscape::cpu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// Flops of `iters` rounds of twelve independent multiply-add chains (12 covers the FMA
/// latency × throughput of current x86 and Arm cores: 4–5 cycles × 2 pipes), and the seconds
/// they took. The chains converge to 1 (a·m + c with m + c = 1): no overflow, no subnormals.
template <class D>
HWY_NOINLINE double FmaChains(D d, long iters, double* seconds) {
  using T = hn::TFromD<D>;
  const auto mul = hn::Set(d, T(0.9375));
  const auto add = hn::Set(d, T(0.0625));
  auto a0 = hn::Set(d, T(0.5)), a1 = hn::Set(d, T(0.51)), a2 = hn::Set(d, T(0.52));
  auto a3 = hn::Set(d, T(0.53)), a4 = hn::Set(d, T(0.54)), a5 = hn::Set(d, T(0.55));
  auto a6 = hn::Set(d, T(0.56)), a7 = hn::Set(d, T(0.57)), a8 = hn::Set(d, T(0.58));
  auto a9 = hn::Set(d, T(0.59)), a10 = hn::Set(d, T(0.6)), a11 = hn::Set(d, T(0.61));
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iters; ++i) {
    a0 = hn::MulAdd(a0, mul, add);
    a1 = hn::MulAdd(a1, mul, add);
    a2 = hn::MulAdd(a2, mul, add);
    a3 = hn::MulAdd(a3, mul, add);
    a4 = hn::MulAdd(a4, mul, add);
    a5 = hn::MulAdd(a5, mul, add);
    a6 = hn::MulAdd(a6, mul, add);
    a7 = hn::MulAdd(a7, mul, add);
    a8 = hn::MulAdd(a8, mul, add);
    a9 = hn::MulAdd(a9, mul, add);
    a10 = hn::MulAdd(a10, mul, add);
    a11 = hn::MulAdd(a11, mul, add);
  }
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto sum = hn::Add(
      hn::Add(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)), hn::Add(hn::Add(a4, a5), hn::Add(a6, a7))),
      hn::Add(hn::Add(a8, a9), hn::Add(a10, a11)));
  // The result must be used, or the chains are dead code; it is 12 per lane after convergence.
  if (!(hn::GetLane(sum) > T(0))) *seconds = -1;
  return double(iters) * 12.0 * 2.0 * double(hn::Lanes(d));
}

/// One thread's FMA rate in FLOP/s: the best of `reps` timed runs of `iters` rounds.
double FmaRateF32(long iters, int reps) {
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    double sec = 0;
    const double flops = FmaChains(hn::ScalableTag<float>(), iters, &sec);
    if (sec > 0 && flops / sec > best) best = flops / sec;
  }
  return best;
}
double FmaRateF64(long iters, int reps) {
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    double sec = 0;
    const double flops = FmaChains(hn::ScalableTag<double>(), iters, &sec);
    if (sec > 0 && flops / sec > best) best = flops / sec;
  }
  return best;
}

}  // namespace HWY_NAMESPACE
}  // namespace landscape::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <omp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

#include "landscape/backends/simd.hpp"
#include "landscape/core/common.hpp"
#include "simd_dispatch.hpp"

namespace landscape {
namespace cpu {

HWY_EXPORT(FmaRateF32);
HWY_EXPORT(FmaRateF64);

namespace {

/// "avx512" for Highway's AVX3, "baseline" for its SCALAR target (generic 16-byte vectors on
/// the baseline instruction set: "scalar" is the per-network reference loop), otherwise
/// Highway's target name in lower case.
std::string target_name(std::int64_t t) {
  if (t == HWY_AVX3) return "avx512";
  if (t == HWY_SCALAR) return "baseline";
  std::string s = hwy::TargetName(t);
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// hwy::SupportedAndGeneratedTargets(), asked once: Highway 1.0.3 measures the timer's
/// resolution on every call (about 0.2 ms), and every chunk asks which target to run.
const std::vector<std::int64_t>& supported_targets() {
  static const std::vector<std::int64_t> targets = hwy::SupportedAndGeneratedTargets();
  return targets;
}

}  // namespace

std::int64_t simd_target_bit(const std::string& name) {
  for (std::int64_t t : supported_targets())
    if (target_name(t) == name) return t;
  if (name == "scalar") return 0;
  std::string known;
  for (const std::string& k : simd_targets()) known += (known.empty() ? "" : ", ") + k;
  throw Error("LANDSCAPE_SIMD: '" + name + "' is not a SIMD path of this binary on this CPU (" +
              known + ")");
}

}  // namespace cpu

std::vector<std::string> simd_targets() {
  std::vector<std::string> names;
  for (std::int64_t t : cpu::supported_targets()) names.push_back(cpu::target_name(t));
  names.push_back("scalar");
  return names;
}

std::string simd_target() {
  const char* env = std::getenv("LANDSCAPE_SIMD");
  if (env == nullptr || *env == '\0') return simd_targets().front();
  cpu::simd_target_bit(env);  // throws, naming the variable, when unknown here
  return env;
}

int simd_lanes(const std::string& target, Precision precision) {
  const std::int64_t t = cpu::simd_target_bit(target);
  if (t == 0) return 1;
  const cpu::LaneTrainer tr =
      precision == Precision::f32 ? cpu::lane_trainer_f32(t) : cpu::lane_trainer_f64(t);
  return int(tr.lanes());
}

int simd_registers_forced() {
  const char* env = std::getenv("LANDSCAPE_SIMD_REGS");
  if (env == nullptr || *env == '\0') return 0;
  const std::string v = env;
  require(v == "1" || v == "2", "LANDSCAPE_SIMD_REGS", "must be 1 or 2, not '" + v + "'");
  return v == "1" ? 1 : 2;
}

int simd_registers(std::size_t count, int lanes, int threads) {
  require(lanes >= 1, "simd_registers", "lanes must be at least 1");
  if (const int forced = simd_registers_forced(); forced > 0) return forced;
  // Groups of each width, and rounds of them on the threads: a wide group takes at most the time
  // of two narrow ones (it does their work, and less when the narrow ones wait on latency), so
  // two registers lengthen the batch by at most an eighth, even with no gain, when the threads'
  // rounds of wide groups are at most 9/16 of their rounds of narrow ones.
  const auto rounds = [&](std::size_t width) {
    const std::size_t t = std::size_t(thread_count(threads));
    return ((count + width - 1) / width + t - 1) / t;
  };
  return 16 * rounds(2 * std::size_t(lanes)) <= 9 * rounds(std::size_t(lanes)) ? 2 : 1;
}

double measure_fma_peak(Precision precision, int threads) {
  const int nt = thread_count(threads);
  const std::int64_t best = cpu::supported_targets().front();
  const std::size_t i = cpu::dispatch_index(best);
  double (*rate)(long, int) = precision == Precision::f32 ? HWY_DISPATCH_TABLE(cpu::FmaRateF32)[i]
                                                          : HWY_DISPATCH_TABLE(cpu::FmaRateF64)[i];
  // 2^18 rounds: 3M FMAs a run, well under a millisecond, so on a busy machine some runs fit
  // between two preemptions; the best of 32 runs per thread.
  constexpr long kIters = 1L << 18;
  constexpr int kReps = 32;
  rate(kIters * 4, 1);  // warm up: clocks and (on some x86) the upper vector halves
  double total = 0;
#pragma omp parallel num_threads(nt) reduction(+ : total)
  {
#pragma omp barrier
    total += rate(kIters, kReps);
  }
  return total;
}

}  // namespace landscape
#endif  // HWY_ONCE
