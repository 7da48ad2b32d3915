// Numerical ranks, singular values and symmetric eigenvalues (Eigen's JacobiSVD and
// SelfAdjointEigenSolver: exact enough for the small matrices here, and dependency-free), and
// LAPACK's dsyevd for the eigen stage's large spectra.
#include "landscape/core/linalg.hpp"

#ifdef LANDSCAPE_HAVE_LAPACK
#include <dlfcn.h>
#include <lapacke.h>
#endif

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>

#include "landscape/core/common.hpp"

namespace landscape {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

int rank_from_singular_values(const double* s, int count, double rtol) {
  if (count == 0 || !(s[0] > 0.0)) return 0;
  int r = 0;
  for (int k = 0; k < count; ++k)
    if (s[k] > rtol * s[0]) ++r;
  return r;
}

std::vector<double> singular_values(const double* M, int rows, int cols) {
  if (rows <= 0 || cols <= 0) return {};
  Eigen::Map<const RowMat> A(M, rows, cols);
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(A);
  const auto& s = svd.singularValues();
  return std::vector<double>(s.data(), s.data() + s.size());
}

int numerical_rank(const double* M, int rows, int cols, double rtol) {
  const std::vector<double> s = singular_values(M, rows, cols);
  return rank_from_singular_values(s.data(), int(s.size()), rtol);
}

std::vector<double> symmetric_eigenvalues(const double* H, int P) {
  if (P <= 0) return {};
  Eigen::Map<const RowMat> A(H, P, P);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(A, Eigen::EigenvaluesOnly);
  const auto& ev = es.eigenvalues();  // ascending
  return std::vector<double>(ev.data(), ev.data() + ev.size());
}

#ifdef LANDSCAPE_HAVE_LAPACK
bool lapack_available() { return true; }

namespace {

/// The eigen stage already runs one matrix per thread: a multithreaded OpenBLAS would start
/// its own threads inside each call and oversubscribe the cores, so it is asked for one
/// thread (looked up at run time: other LAPACK builds have no such call and need none).
void single_threaded_blas() {
  static std::once_flag once;
  std::call_once(once, [] {
    using SetThreads = void (*)(int);
    if (void* f = dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))
      reinterpret_cast<SetThreads>(f)(1);
  });
}

}  // namespace

int lapack_symmetric_eigenvalues(double* A, int P, double* out) {
  if (P <= 0) return 0;
  single_threaded_blas();
  // H is symmetric, so the column-major lower triangle is the row-major one's mirror: no copy.
  const lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'L', P, A, P, out);
  if (info < 0)
    throw Error("LAPACKE_dsyevd: argument " + std::to_string(-info) + " is invalid (P = " +
                std::to_string(P) + ")");
  return int(info);
}
#else
bool lapack_available() { return false; }

int lapack_symmetric_eigenvalues(double*, int P, double*) {
  if (P <= 0) return 0;
  throw Error("this build has no LAPACK (liblapacke-dev was not found when it was configured)");
}
#endif

bool symmetric_spectrum(double* A, int P, double* out) {
  return symmetric_spectrum_with(A, P, out, lapack_symmetric_eigenvalues);
}

bool symmetric_spectrum_with(double* A, int P, double* out, LapackEigenSolver lapack) {
  if (P <= 0) return true;
  // LAPACKE refuses a non-finite matrix as a bad argument; Eigen's solver says what it can.
  const bool finite = std::all_of(A, A + std::size_t(P) * P, [](double x) { return std::isfinite(x); });
  if (lapack_available() && P >= kLapackMinP && finite) {
    // dsyevd destroys only the triangle it reads, the column-major lower one with the diagonal
    // (the row-major upper); the row-major strict lower triangle survives, so a retry needs
    // only the diagonal kept, not a copy of the matrix.
    std::vector<double> diagonal(static_cast<std::size_t>(P));
    for (int i = 0; i < P; ++i) diagonal[std::size_t(i)] = A[std::size_t(i) * P + i];
    if (lapack(A, P, out) == 0) return true;
    for (int i = 0; i < P; ++i) {
      A[std::size_t(i) * P + i] = diagonal[std::size_t(i)];
      for (int j = i + 1; j < P; ++j) A[std::size_t(i) * P + j] = A[std::size_t(j) * P + i];
    }
  }
  Eigen::Map<const RowMat> H(A, P, P);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(H, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) {
    std::fill(out, out + P, std::numeric_limits<double>::quiet_NaN());
    return false;
  }
  std::copy(es.eigenvalues().data(), es.eigenvalues().data() + P, out);
  return true;
}

}  // namespace landscape
