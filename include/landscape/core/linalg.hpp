// Dense linear algebra on row-major float64 matrices: the one numerical-rank rule, singular
// values and symmetric eigenvalues (Eigen). Every rank in landscape comes from here.
#pragma once

#include <vector>

namespace landscape {

/// The rank rule: singular values σ_k ≤ rtol · σ_max count as zero (and an all-zero or empty
/// matrix has rank 0). Data matrices (X, Y, XYᵀ: exact inputs, where only rounding makes a
/// singular value nonzero) use kDataRankRtol; weight matrices (endpoints of an iterative
/// method) use DecideSettings::rank_tol, which the experiment file sets.
inline constexpr double kDataRankRtol = 1e-10;

/// Number of singular values (descending, s[0] the largest) above rtol · s[0].
int rank_from_singular_values(const double* s, int count, double rtol);

/// Singular values, descending, of a row-major rows×cols matrix (empty when either is 0).
std::vector<double> singular_values(const double* M, int rows, int cols);

/// Numerical rank of a row-major rows×cols matrix under the rank rule.
int numerical_rank(const double* M, int rows, int cols, double rtol = kDataRankRtol);

/// Eigenvalues of a symmetric P×P matrix, ascending (Eigen's self-adjoint solver).
std::vector<double> symmetric_eigenvalues(const double* H, int P);

}  // namespace landscape
