// Dense linear algebra on row-major float64 matrices: the one numerical-rank rule, singular
// values and symmetric eigenvalues (Eigen; LAPACK for large spectra). Every rank in landscape comes from here.
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

/// From this P up, symmetric_spectrum uses LAPACK; below, Eigen's solver is as fast or faster
/// (measured values-only on one core: even at P = 48, LAPACK 1.3–1.6× faster at P = 64–96,
/// 2–3× at P = 672–768, the W-P and W-M sizes).
inline constexpr int kLapackMinP = 64;

/// True when this build has LAPACK (LAPACKE); without it every spectrum comes from Eigen.
bool lapack_available();

/// LAPACK's dsyevd, values only (through LAPACKE; OpenBLAS on Debian), of a symmetric P×P
/// matrix into `out`, ascending. `A` is overwritten. Returns LAPACK's info: 0 on success, > 0
/// when the solver did not converge; a negative info (a bad argument) throws Error, as does a
/// build without LAPACK.
int lapack_symmetric_eigenvalues(double* A, int P, double* out);

/// The eigen stage's solver: eigenvalues of the symmetric P×P matrix `A` (overwritten) into
/// `out`, ascending: LAPACK for P ≥ kLapackMinP (when built), Eigen below and for a non-finite
/// matrix; a LAPACK solve that does not converge is retried with Eigen. Returns false (and
/// `out` all NaN) when no solver converged.
bool symmetric_spectrum(double* A, int P, double* out);

/// The LAPACK step of symmetric_spectrum: lapack_symmetric_eigenvalues's contract.
using LapackEigenSolver = int (*)(double* A, int P, double* out);

/// symmetric_spectrum with its LAPACK step given, so a test can make it fail (a positive info,
/// the column-major lower triangle and diagonal destroyed, as dsyevd may leave them) and check
/// the retry on the rebuilt matrix.
bool symmetric_spectrum_with(double* A, int P, double* out, LapackEigenSolver lapack);

}  // namespace landscape
