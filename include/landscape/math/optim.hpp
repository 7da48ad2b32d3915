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
};

enum class TrainStatus : int { converged = 0, budget = 1, diverged = 2 };

/// Per-network outcome of training.
struct TrainOutcome {
  TrainStatus status = TrainStatus::budget;
  long steps = 0;          ///< optimizer steps taken
  double loss = 0.0;       ///< loss at the final weights, in the training precision
  double grad_norm = 0.0;  ///< ‖∇L‖ at the final weights, in the training precision
};

/// Scratch for `train_network`: gradient workspace + gradient + two optimizer moments.
LS_HD inline std::size_t train_workspace(const Shape& s) {
  return gradient_workspace(s) + 3 * param_count(s);
}

template <class T>
LS_HD inline bool finite_value(T x) {
  return x == x && x - x == T(0);  // false for NaN and ±inf; also valid in device code
}

/// Trains one network in place from `w`. The stop test comes before the step, so a network
/// that starts converged takes zero steps; a non-finite or exploding loss stops at once and
/// marks only this network diverged. `curve` (optional, p.curve_len slots) receives the loss at
/// steps 0, curve_every, 2·curve_every, …; slots never reached are NaN.
template <class T>
LS_HD inline TrainOutcome train_network(const Shape& s, const T* X, const T* Y, T* w,
                                        const TrainParams& p, T* ws, double* curve = nullptr) {
  const std::size_t P = param_count(s);
  T* gws = ws;
  T* g = ws + gradient_workspace(s);
  T* m = g + P;
  T* v = m + P;
  for (std::size_t k = 0; k < P; ++k) m[k] = v[k] = T(0);
  const T lr = T(p.lr), mu = T(p.momentum), b1 = T(p.beta1), b2 = T(p.beta2), eps = T(p.eps);
  double b1t = 1.0, b2t = 1.0;
  TrainOutcome out;
  const bool record = curve != nullptr && p.curve_every > 0;
  if (record)
    for (int k = 0; k < p.curve_len; ++k) curve[k] = std::numeric_limits<double>::quiet_NaN();
  for (long step = 0;; ++step) {
    const T L = loss_and_gradient(s, X, Y, w, g, gws);
    if (record && step % p.curve_every == 0 && step / p.curve_every < p.curve_len)
      curve[step / p.curve_every] = double(L);
    T g2 = T(0);
    for (std::size_t k = 0; k < P; ++k) g2 += g[k] * g[k];
    const double gn = std::sqrt(double(g2));
    out.steps = step;
    out.loss = double(L);
    out.grad_norm = gn;
    if (!finite_value(L) || !finite_value(g2) || double(L) > p.diverge_loss) {
      out.status = TrainStatus::diverged;
      return out;
    }
    if (gn <= p.grad_tol) {
      out.status = TrainStatus::converged;
      return out;
    }
    if (step >= p.max_steps) {
      out.status = TrainStatus::budget;
      return out;
    }
    switch (p.kind) {
      case OptimizerKind::gd:
        for (std::size_t k = 0; k < P; ++k) w[k] -= lr * g[k];
        break;
      case OptimizerKind::momentum:  // heavy ball: v ← μv − ηg, w ← w + v
        for (std::size_t k = 0; k < P; ++k) {
          m[k] = mu * m[k] - lr * g[k];
          w[k] += m[k];
        }
        break;
      case OptimizerKind::adam: {
        b1t *= p.beta1;
        b2t *= p.beta2;
        const T c1 = T(1.0 / (1.0 - b1t));
        const T c2 = T(1.0 / (1.0 - b2t));
        for (std::size_t k = 0; k < P; ++k) {
          m[k] = b1 * m[k] + (T(1) - b1) * g[k];
          v[k] = b2 * v[k] + (T(1) - b2) * g[k] * g[k];
          w[k] -= lr * (m[k] * c1) / (std::sqrt(v[k] * c2) + eps);
        }
        break;
      }
    }
  }
}

}  // namespace landscape::math
