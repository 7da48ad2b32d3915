// Per-target body of the lane trainers (included once per Highway target by
// train_lanes_f32.cpp and train_lanes_f64.cpp through hwy/foreach_target.h): a group of N
// networks, interleaved network index fastest, trained by the single-source math
// (math/network.hpp, math/train.hpp) instantiated with T = lanes::Lane, so every multiply-add
// of the N networks is one full-width vector operation.

// Per-target include guard (Highway's idiom: toggled once per target).
#if defined(LS_TRAIN_LANES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef LS_TRAIN_LANES_INL_H_
#undef LS_TRAIN_LANES_INL_H_
#else
#define LS_TRAIN_LANES_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "landscape/math/network.hpp"
#include "landscape/math/train.hpp"
#include "lanes.hpp"
#include "simd_dispatch.hpp"

HWY_BEFORE_NAMESPACE();
namespace landscape::cpu {
namespace HWY_NAMESPACE {

/// Register width of this target, within the widths lanes.hpp defines: SVE's and RVV's
/// scalable registers use 64 bytes of generic vectors, the scalar target 16.
constexpr int kLaneBytes = HWY_MAX_BYTES >= 64 ? 64 : HWY_MAX_BYTES >= 32 ? 32 : 16;

template <class T>
using LaneOf = lanes::Lane<T, kLaneBytes>;

template <class T>
std::size_t lane_values(const math::Shape& s) {
  const std::size_t P = math::param_count(s);
  return std::size_t(s.dims[0]) * s.n + std::size_t(s.dims[s.h]) * s.n + P +
         math::train_workspace(s);
}

/// The optimizer step of every parameter, applied only in the lanes of `live` (a stopped or
/// diverged network keeps its weights and moments, whatever its lane computed).
template <math::OptimizerKind K, class L, class M>
inline void masked_update(const math::StepScalars<L>& sc, std::size_t P, L* w, const L* g, L* m,
                          L* v, M live, bool all_live) {
  if (all_live) {
    for (std::size_t k = 0; k < P; ++k) math::update_parameter<K>(sc, w[k], g[k], m[k], v[k]);
    return;
  }
  for (std::size_t k = 0; k < P; ++k) {
    L wn = w[k], mn = m[k], vn = v[k];
    math::update_parameter<K>(sc, wn, g[k], mn, vn);
    w[k] = lanes::select(live, wn, w[k]);
    m[k] = lanes::select(live, mn, m[k]);
    v[k] = lanes::select(live, vn, v[k]);
  }
}

/// Trains networks [first, first + N) ∩ [0, count) of `j` exactly as math::train_network trains
/// each one: the same loss and gradient, the same stop test before every step, the same update.
/// Lanes past `count` repeat the last network and are never written back. Flattened, so the
/// math templates (and the lane operators) are inlined here and compiled for this target.
template <class T>
__attribute__((flatten)) void train_group(const LaneJob& j, std::size_t first, void* scratch) {
  using L = LaneOf<T>;
  constexpr int N = L::N;
  const math::Shape& s = j.s;
  const math::TrainParams& p = j.p;
  const std::size_t P = math::param_count(s);
  const std::size_t nx = std::size_t(s.dims[0]) * s.n, ny = std::size_t(s.dims[s.h]) * s.n;
  L* X = static_cast<L*>(scratch);
  L* Y = X + nx;
  L* w = Y + ny;
  L* gws = w + P;
  L* g = gws + math::gradient_workspace(s);
  L* m = g + P;
  L* v = m + P;
  for (std::size_t k = 0; k < nx; ++k) X[k] = L(T(j.X[k]));
  for (std::size_t k = 0; k < ny; ++k) Y[k] = L(T(j.Y[k]));
  const int live_count = int(std::min<std::size_t>(std::size_t(N), j.count - first));
  for (std::size_t k = 0; k < P; ++k) {
    for (int l = 0; l < N; ++l)
      w[k].set(l, T(j.weights[(first + std::size_t(std::min(l, live_count - 1))) * P + k]));
    m[k] = v[k] = L(0);
  }
  double* curve[N];
  bool live[N];
  for (int l = 0; l < N; ++l) {
    live[l] = l < live_count;
    curve[l] = live[l] && j.curves ? j.curves + (first + std::size_t(l)) * std::size_t(p.curve_len)
                                   : nullptr;
    math::clear_curve(curve[l], p);
  }
  math::AdamClock clock;
  for (long step = 0;; ++step) {
    const L loss = math::loss_and_gradient(s, X, Y, w, g, gws);
    L g2(0);
    if constexpr (std::is_same_v<T, float>) {
      // Four running sums, as in the float32 loss (lanes.hpp): not one chain of dependent adds.
      L p0(0), p1(0), p2(0), p3(0);
      std::size_t k = 0;
      for (; k + 4 <= P; k += 4) {
        p0 += g[k] * g[k];
        p1 += g[k + 1] * g[k + 1];
        p2 += g[k + 2] * g[k + 2];
        p3 += g[k + 3] * g[k + 3];
      }
      for (; k < P; ++k) p0 += g[k] * g[k];
      g2 = (p0 + p1) + (p2 + p3);
    } else {
      for (std::size_t k = 0; k < P; ++k) g2 += g[k] * g[k];  // as train_network: bitwise
    }
    int running = 0;
    for (int l = 0; l < live_count; ++l) {
      if (!live[l]) continue;
      math::record_curve(curve[l], p, step, double(loss[l]));
      if (math::stop_test(loss[l], g2[l], step, p, j.outcomes[first + std::size_t(l)]))
        live[l] = false;
      else
        ++running;
    }
    if (running == 0) break;
    const math::StepScalars<T> sc = math::next_step_scalars<T>(p, clock);
    const math::StepScalars<L> scl{L(sc.lr),  L(sc.mu), L(sc.b1), L(sc.b2),
                                   L(sc.eps), L(sc.c1), L(sc.c2)};
    L on(0);
    for (int l = 0; l < N; ++l) on.set(l, live[l] ? T(1) : T(0));
    const auto mask = on.v != L(0).v;
    const bool all_live = running == N;
    switch (p.kind) {
      case math::OptimizerKind::gd:
        masked_update<math::OptimizerKind::gd>(scl, P, w, g, m, v, mask, all_live);
        break;
      case math::OptimizerKind::momentum:
        masked_update<math::OptimizerKind::momentum>(scl, P, w, g, m, v, mask, all_live);
        break;
      case math::OptimizerKind::adam:
        masked_update<math::OptimizerKind::adam>(scl, P, w, g, m, v, mask, all_live);
        break;
    }
  }
  for (int l = 0; l < live_count; ++l)
    for (std::size_t k = 0; k < P; ++k)
      j.weights[(first + std::size_t(l)) * P + k] = double(w[k][l]);
}

}  // namespace HWY_NAMESPACE
}  // namespace landscape::cpu
HWY_AFTER_NAMESPACE();

#endif  // LS_TRAIN_LANES_INL_H_
