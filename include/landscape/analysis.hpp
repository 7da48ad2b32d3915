// Second-order analysis of one endpoint: float64 loss, gradient, exact Hessian and its spectrum.
#pragma once

#include <vector>

#include "landscape/data.hpp"
#include "landscape/math/facts.hpp"
#include "landscape/model.hpp"

namespace landscape {

/// First-order facts at a point, in float64 (shared with the device code).
using PointFacts = math::PointFacts;

/// Exact float64 Hessian (P×P, row-major) at w, with loss and gradient.
struct HessianResult {
  double loss = 0.0;
  std::vector<double> gradient;
  std::vector<double> H;
};
HessianResult exact_hessian(const Model& m, const Dataset& d, const double* w);

/// Loss, gradient norm and kink distance at w in float64.
PointFacts point_facts(const Model& m, const Dataset& d, const double* w);

/// Eigenvalues of a symmetric P×P matrix, ascending (Eigen's self-adjoint solver).
std::vector<double> symmetric_eigenvalues(const double* H, int P);

/// Loss scale max(1, ½‖Y‖²_F): losses and gradient norms are judged relative to it.
double loss_scale(const Dataset& d);

}  // namespace landscape
