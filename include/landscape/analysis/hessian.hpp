// Second-order analysis of one endpoint on the host: float64 loss, gradient and exact Hessian
// (the single-source math of math/network.hpp), and the loss scale tolerances are judged by.
#pragma once

#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/records.hpp"

namespace landscape {

/// Exact float64 Hessian (P×P, row-major) at w, with loss and gradient.
struct HessianResult {
  double loss = 0.0;
  std::vector<double> gradient;
  std::vector<double> H;
};
HessianResult exact_hessian(const Model& m, const Dataset& d, const double* w);

/// Loss, gradient norm and kink distance at w in float64.
PointFacts point_facts(const Model& m, const Dataset& d, const double* w);

/// Loss scale max(1, ½‖Y‖²_F): losses and gradient norms are judged relative to it.
double loss_scale(const Dataset& d);

}  // namespace landscape
