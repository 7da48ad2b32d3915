// Numerical ranks, singular values and symmetric eigenvalues (Eigen's JacobiSVD and
// SelfAdjointEigenSolver: exact enough for the small matrices here, and dependency-free).
#include "landscape/core/linalg.hpp"

#include <Eigen/Dense>

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

}  // namespace landscape
