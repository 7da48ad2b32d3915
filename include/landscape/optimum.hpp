// The global optimum L* in closed form (docs/math.md §3) where a formula applies.
#pragma once

#include <optional>

#include "landscape/data.hpp"
#include "landscape/model.hpp"

namespace landscape {

/// Relative tolerance for numerical ranks: singular values ≤ kRankRtol·σ_max count as zero.
inline constexpr double kRankRtol = 1e-10;

/// Number of singular values (descending, s[0] the largest) above rtol · s[0].
int rank_from_singular_values(const double* s, int count, double rtol);

/// Numerical rank of a row-major rows×cols matrix (SVD, relative tolerance `rtol`).
int numerical_rank(const double* M, int rows, int cols, double rtol = kRankRtol);

/// Closed-form L* for the square loss, or nullopt where no formula applies:
/// - deep linear, any X and Y: L* = ½(‖Y − Ŷ‖² + Σ_{k>r} σ_k(Ŷ)²), Ŷ = Y·P_X, r = min_i d_i;
/// - leaky ReLU, pyramidal (d_i ≤ d_{i−1}) with X of full column rank: L* = 0.
std::optional<double> closed_form_optimum(const Model& m, const Dataset& d);

}  // namespace landscape
