// Counter-based random numbers: value k of stream (seed, stream) is a pure function of
// (seed, stream, k), so results do not depend on thread count, chunking or backend.
#pragma once

#include <cmath>
#include <cstdint>

#include "landscape/math/hd.hpp"

namespace landscape::math {

/// SplitMix64 finalizer: a bijective 64-bit mixer with full avalanche.
LS_HD inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// A stream of independent draws identified by (seed, stream id).
struct CounterRng {
  std::uint64_t key = 0;
  std::uint64_t counter = 0;

  LS_HD CounterRng(std::uint64_t seed, std::uint64_t stream)
      : key(mix64(mix64(seed) ^ (stream * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull))) {}

  LS_HD std::uint64_t next_u64() { return mix64(key ^ mix64(counter++)); }

  /// Uniform in (0, 1): 53 random bits, never exactly 0 (safe for log).
  LS_HD double uniform() { return (double(next_u64() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }

  /// Standard normal by Box–Muller (one draw per call; deterministic and branch-free).
  LS_HD double normal() {
    const double u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

/// Stream ids, kept apart so data, teacher, noise and per-network inits never share draws.
enum RngStream : std::uint64_t {
  kStreamX = 1,
  kStreamY = 2,
  kStreamTeacher = 3,
  kStreamNoise = 4,
  kStreamXFactor = 5,
  kStreamYFactor = 6,
  kStreamRestart = 7,
  kStreamInitBase = 1ull << 32,  ///< network i uses kStreamInitBase + i
};

/// Gaussian weights from stream (seed, stream): W_i entries N(0, std_i²) with
/// std_i = scale / sqrt(d_{i−1}) (fan-in scaling). Network i of an experiment uses stream
/// kStreamInitBase + i.
template <class T>
LS_HD inline void init_network(std::uint64_t seed, std::uint64_t stream, int h, const int* dims,
                               double scale, T* w) {
  CounterRng rng(seed, stream);
  std::size_t off = 0;
  for (int i = 1; i <= h; ++i) {
    const double sd = scale / std::sqrt(double(dims[i - 1]));
    const std::size_t cnt = std::size_t(dims[i]) * dims[i - 1];
    for (std::size_t k = 0; k < cnt; ++k) w[off + k] = T(sd * rng.normal());
    off += cnt;
  }
}

}  // namespace landscape::math
