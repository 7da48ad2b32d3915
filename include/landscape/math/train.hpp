// Single-source optimizer steps and the per-network training loop (host and device).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "landscape/math/hd.hpp"
#include "landscape/math/network.hpp"

namespace landscape::math {

enum class OptimizerKind : int { gd = 0, momentum = 1, adam = 2 };

/// Optimizer and stopping settings, plain data so a kernel can take it by value.
struct TrainParams {
  OptimizerKind kind = OptimizerKind::gd;
  double lr = 1e-2;
  double momentum = 0.9;  ///< heavy-ball coefficient μ
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  long max_steps = 10000;
  double grad_tol = 0.0;       ///< absolute: stop once ‖∇L‖ ≤ grad_tol
  double diverge_loss = 1e30;  ///< absolute: a loss above this (or non-finite) is divergence
  int curve_every = 0;         ///< record the loss every this many steps (0: no curve)
  int curve_len = 0;           ///< slots in the curve buffer
  /// Plateau rule (docs/math.md §7a): a network has left its initial plateau at the first step
  /// where L(0) − L(t) ≥ escape_fraction · (L(0) − escape_floor); escape_floor is L* where a
  /// closed form gives it before training, else 0 (a lower bound of every loss).
  double escape_fraction = 0.1;
  double escape_floor = 0.0;
  /// Added (in double) to the loss the network's data gives before any test or record: the
  /// constant part ½‖Y − Ỹ Q̂ᵀ‖² of a deep linear network's loss trained on its compressed data
  /// (docs/math.md §2a, Backend::train); 0 for data used as given.
  double loss_offset = 0.0;
};

enum class TrainStatus : int { converged = 0, budget = 1, diverged = 2 };

/// Per-network outcome of training.
struct TrainOutcome {
  TrainStatus status = TrainStatus::budget;
  long steps = 0;          ///< optimizer steps taken
  double loss = 0.0;       ///< loss at the final weights, in the training precision
  double grad_norm = 0.0;  ///< ‖∇L‖ at the final weights, in the training precision
  double initial_loss = 0.0;  ///< loss at step 0, in the training precision
  long escape_step = -1;      ///< first step off the initial plateau (TrainParams), −1: never
  /// Loss at step late_step(max_steps) (or the last step before it): with `loss`, tells whether
  /// a network that ran out of budget was still descending.
  double late_loss = 0.0;
};

/// The step whose loss is compared with the final one to tell a network still descending at
/// the end of its budget: 90% of the way (the last tenth of the budget).
LS_HD inline long late_step(long max_steps) { return max_steps - (max_steps + 9) / 10; }

/// Scratch for `train_network`: gradient workspace + gradient + two optimizer moments.
LS_HD inline std::size_t train_workspace(const Shape& s) {
  return gradient_workspace(s) + 3 * param_count(s);
}

template <class T>
LS_HD inline bool finite_value(T x) {
  return x == x && x - x == T(0);  // false for NaN and ±inf; also valid in device code
}

/// Optimizer scalars of one step in the training precision. Adam's bias corrections c1, c2
/// come from powers of β kept in double, so float32 training does not lose them early.
template <class T>
struct StepScalars {
  T lr, mu, b1, b2, eps, c1, c2;
};

/// Powers β1^t and β2^t carried from step to step by every training loop.
struct AdamClock {
  double b1t = 1.0, b2t = 1.0;
};

/// The scalars of the next step; advances the Adam clock when the optimizer is Adam.
template <class T>
LS_HD inline StepScalars<T> next_step_scalars(const TrainParams& p, AdamClock& clock) {
  StepScalars<T> s{T(p.lr), T(p.momentum), T(p.beta1), T(p.beta2), T(p.eps), T(1), T(1)};
  if (p.kind == OptimizerKind::adam) {
    clock.b1t *= p.beta1;
    clock.b2t *= p.beta2;
    s.c1 = T(1.0 / (1.0 - clock.b1t));
    s.c2 = T(1.0 / (1.0 - clock.b2t));
  }
  return s;
}

/// One optimizer update of one parameter: w (weight), g (gradient), m and v (moments; heavy
/// ball uses m as its velocity). Every training loop, CPU or GPU, calls this.
template <OptimizerKind K, class T>
LS_HD inline void update_parameter(const StepScalars<T>& s, T& w, T g, T& m, T& v) {
  if constexpr (K == OptimizerKind::gd) {
    w -= s.lr * g;
  } else if constexpr (K == OptimizerKind::momentum) {  // heavy ball: v <- mu v - lr g, w <- w + v
    m = s.mu * m - s.lr * g;
    w += m;
  } else {
    // Unqualified, so the CPU backend's lane vectors find their own lane-wise sqrt.
    using std::sqrt;
    m = s.b1 * m + (T(1) - s.b1) * g;
    v = s.b2 * v + (T(1) - s.b2) * g * g;
    w -= s.lr * (m * s.c1) / (sqrt(v * s.c2) + s.eps);
  }
}

/// Fills a loss curve with NaN (slots never reached stay NaN).
LS_HD inline void clear_curve(double* curve, const TrainParams& p) {
  if (curve != nullptr && p.curve_every > 0)
    for (int k = 0; k < p.curve_len; ++k) curve[k] = std::numeric_limits<double>::quiet_NaN();
}

/// Records the loss of `step` when it falls on the curve's grid.
/// `loss` is the loss the data gives; the curve holds it plus p.loss_offset.
LS_HD inline void record_curve(double* curve, const TrainParams& p, long step, double loss) {
  if (curve != nullptr && p.curve_every > 0 && step % p.curve_every == 0 &&
      step / p.curve_every < p.curve_len)
    curve[step / p.curve_every] = loss + p.loss_offset;
}

/// The stop test of every training loop, taken before the step: writes the outcome and returns
/// true when the network is done (diverged, converged or out of budget). `g2` is ‖∇L‖²;
/// `data_loss` is the loss the data gives, and the outcome records it plus p.loss_offset.
template <class T>
LS_HD inline bool stop_test(T data_loss, T g2, long step, const TrainParams& p,
                            TrainOutcome& out) {
  const double gn = std::sqrt(double(g2));
  const double L = double(data_loss) + p.loss_offset;
  out.steps = step;
  out.loss = L;
  out.grad_norm = gn;
  // Dynamics, tracked here because every training loop (CPU, fused, CUDA) calls this once per
  // step with the same loss: the initial loss, the first step off the plateau, the late loss.
  if (step == 0) {
    out.initial_loss = L;
    out.escape_step = -1;
  }
  if (out.escape_step < 0 && finite_value(L) &&
      out.initial_loss - L >= p.escape_fraction * (out.initial_loss - p.escape_floor))
    out.escape_step = step;
  if (step <= late_step(p.max_steps)) out.late_loss = L;
  if (!finite_value(L) || !finite_value(g2) || L > p.diverge_loss) {
    out.status = TrainStatus::diverged;
    return true;
  }
  if (gn <= p.grad_tol) {
    out.status = TrainStatus::converged;
    return true;
  }
  if (step >= p.max_steps) {
    out.status = TrainStatus::budget;
    return true;
  }
  return false;
}

/// Trains one network in place from `w`. The stop test comes before the step, so a network
/// that starts converged takes zero steps; a non-finite or exploding loss stops at once and
/// marks only this network diverged. `curve` (optional, p.curve_len slots) receives the loss at
/// steps 0, curve_every, 2·curve_every, …; slots never reached are NaN.
/// `w` and `ws` may be T* or Strided<T> (interleaved per-thread storage on a GPU).
// Seven parameters: shape, data, weights, settings, workspace, curve (single-source).
template <class T, class PW, class PS>
LS_HD inline TrainOutcome train_network(const Shape& s, const T* X, const T* Y, PW w,
                                        const TrainParams& p, PS ws, double* curve = nullptr) {
  const std::size_t P = param_count(s);
  const PS gws = ws;
  const PS g = ws + gradient_workspace(s);
  const PS m = g + P;
  const PS v = m + P;
  for (std::size_t k = 0; k < P; ++k) m[k] = v[k] = T(0);
  AdamClock clock;
  TrainOutcome out;
  clear_curve(curve, p);
  for (long step = 0;; ++step) {
    const T L = loss_and_gradient(s, X, Y, w, g, gws);
    record_curve(curve, p, step, double(L));
    T g2 = T(0);
    for (std::size_t k = 0; k < P; ++k) g2 += g[k] * g[k];
    if (stop_test(L, g2, step, p, out)) return out;
    const StepScalars<T> sc = next_step_scalars<T>(p, clock);
    switch (p.kind) {
      case OptimizerKind::gd:
        for (std::size_t k = 0; k < P; ++k)
          update_parameter<OptimizerKind::gd>(sc, w[k], g[k], m[k], v[k]);
        break;
      case OptimizerKind::momentum:
        for (std::size_t k = 0; k < P; ++k)
          update_parameter<OptimizerKind::momentum>(sc, w[k], g[k], m[k], v[k]);
        break;
      case OptimizerKind::adam:
        for (std::size_t k = 0; k < P; ++k)
          update_parameter<OptimizerKind::adam>(sc, w[k], g[k], m[k], v[k]);
        break;
    }
  }
}

}  // namespace landscape::math
