// The global optimum L* in closed form (docs/math.md §3) where a formula applies.
#pragma once

#include <optional>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"

namespace landscape {

/// Closed-form L* for the square loss, or nullopt where no formula applies:
/// - deep linear, any X and Y: L* = ½(‖Y − Ŷ‖² + Σ_{k>r} σ_k(Ŷ)²), Ŷ = Y·P_X, r = min_i d_i;
/// - leaky ReLU, pyramidal (d_i ≤ d_{i−1}) with X of full column rank: L* = 0.
/// Ranks follow core/linalg's rule with kDataRankRtol.
std::optional<double> closed_form_optimum(const Model& m, const Dataset& d);

}  // namespace landscape
