// Per-target body of the lane trainers (included once per Highway target by
// train_lanes_f32.cpp and train_lanes_f64.cpp through hwy/foreach_target.h): a group of N
// networks, interleaved network index fastest, trained by the single-source math
// (math/network.hpp, math/train.hpp) instantiated with T = lanes::Lane, so every multiply-add
// of the N networks is one full-width vector operation per register of the lane value.

// Per-target include guard (Highway's idiom: toggled once per target).
#if defined(LS_TRAIN_LANES_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef LS_TRAIN_LANES_INL_H_
#undef LS_TRAIN_LANES_INL_H_
#else
#define LS_TRAIN_LANES_INL_H_
#endif

#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
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

/// U registers per lane value (lanes.hpp): U = 2 trains two register-wide groups of networks
/// in one instruction stream.
template <class T, int U = 1>
using LaneOf = lanes::Lane<T, kLaneBytes, U>;

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

/// Bounds that prove a step quiet for the stop test (math::stop_test) of every live lane: no
/// divergence, no convergence and no escape can happen at a loss and squared gradient norm on
/// the right side of them. Each keeps a margin of 1e-6 relative to the quantities the stop test
/// compares in double, far above their rounding, so a lane near a bound always goes through the
/// full test: the outcomes are exactly the test's.
template <class T>
struct StopScreen {
  T g2_above;    ///< g2 > this: ‖∇L‖ > grad_tol
  T loss_below;  ///< data loss ≤ this: L = loss + offset finite and ≤ diverge_loss
  const math::TrainParams& p;

  explicit StopScreen(const math::TrainParams& params) : p(params) {
    constexpr T inf = std::numeric_limits<T>::infinity();
    const double g = p.grad_tol * p.grad_tol * (1 + 1e-6);
    g2_above = round_up(g);
    const double off = p.loss_offset, div = p.diverge_loss;
    // Without a finite diverge_loss, L must still be finite: half the range leaves room for
    // the offset (at most 1e300 here).
    const double lim = std::isfinite(div) ? div - off - 1e-6 * (std::fabs(div) + std::fabs(off))
                                          : 0.5 * double(std::numeric_limits<T>::max());
    // An offset near the double range could overflow L; then every step takes the full test.
    loss_below = std::fabs(off) < 1e300 && lim > 0 ? round_down(lim) : -inf;
  }

  /// The data loss above which L cannot satisfy the escape test of a lane whose initial loss is
  /// `initial` (L(0) − L ≥ f·(L(0) − floor), i.e. L ≤ L(0) − f·(L(0) − floor)).
  T escape_bound(double initial) const {
    const double e = initial - p.escape_fraction * (initial - p.escape_floor);
    const double margin = 1e-6 * (std::fabs(initial) + std::fabs(e) + std::fabs(p.loss_offset) +
                                  std::fabs(p.escape_fraction * p.escape_floor));
    const double b = e - p.loss_offset + margin;
    return std::isfinite(b) ? round_up(b) : std::numeric_limits<T>::infinity();
  }

  /// True when every lane of `on` (1 where live) passes every bound.
  template <class L>
  bool quiet(const L& loss, const L& g2, const L& escape_below, const L& on) const {
    const L big(std::numeric_limits<T>::max());
    return lanes::all_of((lanes::gt(g2, L(g2_above)) & lanes::le(g2, big) &
                          lanes::le(loss, L(loss_below)) & lanes::gt(loss, escape_below)) |
                         lanes::eq(on, L(0)));
  }

 private:
  // Outside T's range (float) the conversion itself would be undefined: the infinities.
  static T round_up(double x) {
    if (x > double(std::numeric_limits<T>::max())) return std::numeric_limits<T>::infinity();
    if (x < -double(std::numeric_limits<T>::max())) return -std::numeric_limits<T>::max();
    T t = T(x);
    if (double(t) < x) t = std::nextafter(t, std::numeric_limits<T>::infinity());
    return t;
  }
  static T round_down(double x) {
    if (x > double(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    if (x < -double(std::numeric_limits<T>::max())) return -std::numeric_limits<T>::infinity();
    T t = T(x);
    if (double(t) > x) t = std::nextafter(t, -std::numeric_limits<T>::infinity());
    return t;
  }
};

/// Trains networks [first, first + N) ∩ [0, count) of `j` exactly as math::train_network trains
/// each one: the same loss and gradient, the same stop test before every step, the same update.
/// Lanes past `count` repeat the last network and are never written back. Flattened, so the
/// math templates (and the lane operators) are inlined here and compiled for this target.
template <class T, int U>
__attribute__((flatten)) void train_group(const LaneJob& j, std::size_t first, void* scratch) {
  using L = LaneOf<T, U>;
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
  // The stop test's quiet steps, decided for all lanes at once (StopScreen): on most steps no
  // lane stops, escapes or records anything, and the per-lane test (a double square root and
  // the outcome's stores for each of N lanes) is what a step on few samples spends most outside
  // its products. The screen only ever sends a step to the full test, whose outcomes are final.
  StopScreen<T> screen(p);
  const long late = math::late_step(p.max_steps);
  const bool curves = j.curves != nullptr && p.curve_every > 0;
  L on(0);
  for (int l = 0; l < N; ++l) on.set(l, live[l] ? T(1) : T(0));
  L escape_below(-std::numeric_limits<T>::infinity());
  int running = live_count;
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
    const bool special = step == 0 || step == late || step >= p.max_steps ||
                         (curves && step % p.curve_every == 0);
    if (special || !screen.quiet(loss, g2, escape_below, on)) {
      running = 0;
      for (int l = 0; l < live_count; ++l) {
        if (!live[l]) continue;
        math::TrainOutcome& o = j.outcomes[first + std::size_t(l)];
        math::record_curve(curve[l], p, step, double(loss[l]));
        if (math::stop_test(loss[l], g2[l], step, p, o)) {
          live[l] = false;
          on.set(l, T(0));
          continue;
        }
        ++running;
        escape_below.set(l, o.escape_step < 0 ? screen.escape_bound(o.initial_loss)
                                              : -std::numeric_limits<T>::infinity());
      }
      if (running == 0) break;
    }
    const math::StepScalars<T> sc = math::next_step_scalars<T>(p, clock);
    const math::StepScalars<L> scl{L(sc.lr),  L(sc.mu), L(sc.b1), L(sc.b2),
                                   L(sc.eps), L(sc.c1), L(sc.c2)};
    const auto mask = lanes::ne(on, L(0));
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
