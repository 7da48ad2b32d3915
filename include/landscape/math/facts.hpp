// First-order facts at a point (finiteness, loss, gradient norm, distance from the leaky-ReLU
// kinks), single source for the host reference and the GPU's Hessian preparation.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>

#include "landscape/math/hd.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/train.hpp"

namespace landscape::math {

/// First-order facts at a point, in float64.
struct PointFacts {
  bool finite = false;  ///< all weights, the loss and the gradient norm finite
  double loss = 0.0;
  double grad_norm = 0.0;
  /// min over layers of min|Z_i[j,k]| / max|Z_i[j,k]| (leaky ReLU; +inf for linear networks):
  /// how far the point sits from the kink where the Hessian is undefined.
  double kink_distance = 0.0;
};

/// The facts at w from its loss L, gradient `grad` and forward activations `acts` (A_1..A_h in
/// the layout of `forward`), as left by loss_and_gradient or prepare_hessian.
LS_HD inline PointFacts facts_from(const Shape& s, const double* w, double L, const double* grad,
                                   const double* acts) {
  const std::size_t P = param_count(s);
  PointFacts f;
  bool finite = true;
  for (std::size_t k = 0; k < P; ++k) finite = finite && finite_value(w[k]);
  f.loss = L;
  double g2 = 0;
  for (std::size_t k = 0; k < P; ++k) g2 += grad[k] * grad[k];
  f.grad_norm = std::sqrt(g2);
  f.finite = finite && finite_value(f.loss) && finite_value(f.grad_norm);
  f.kink_distance = std::numeric_limits<double>::infinity();
  if (s.slope != 1.0 && f.finite) {
    // Z = A where A ≥ 0, A/α where A < 0.
    for (int i = 1; i <= s.h; ++i) {
      const double* A = layer_ptr(s, const_cast<double*>(acts), i);
      const std::size_t cnt = std::size_t(s.dims[i]) * s.n;
      double zmin = std::numeric_limits<double>::infinity(), zmax = 0;
      for (std::size_t k = 0; k < cnt; ++k) {
        const double z = std::fabs(A[k] >= 0 ? A[k] : A[k] / s.slope);
        zmin = z < zmin ? z : zmin;  // std::min and std::max, also for NaN
        zmax = zmax < z ? z : zmax;
      }
      const double r = zmax > 0 ? zmin / zmax : 0.0;
      f.kink_distance = r < f.kink_distance ? r : f.kink_distance;
    }
  }
  return f;
}

}  // namespace landscape::math
