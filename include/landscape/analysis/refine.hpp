// Refinement of an endpoint to the nearby exact critical point (docs/math.md §5).
#pragma once

#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/records.hpp"
#include "landscape/core/settings.hpp"

namespace landscape {

struct RefineResult {
  bool converged = false;       ///< reached the gradient target
  int iterations = 0;
  double distance = 0;          ///< ‖w_refined − w‖
  double grad_norm_before = 0, grad_norm_after = 0;
  double loss_before = 0, loss_after = 0;
  std::vector<double> weights;  ///< the refined point
};

/// Moves w to a nearby exact critical point with Levenberg–Marquardt steps on ∇L = 0:
/// δ = −(H² + μI)⁻¹ H g, computed in H's eigenbasis. Singular directions (λ ≈ 0) are left
/// alone, so the step stays in the range of H and copes with the symmetry null space; μ is
/// raised until ‖∇L‖ decreases and lowered after every accepted step; iteration continues past
/// the target while the gradient still decreases (linear convergence at degenerate points), up
/// to max_iterations. `converged` means the target was reached. float64 throughout.
RefineResult refine_critical_point(const Model& m, const Dataset& d, const double* w,
                                   double loss_scale, const RefineSpec& spec);

}  // namespace landscape
