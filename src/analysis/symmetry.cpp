// Symmetry orbit dimension at an endpoint (docs/math.md §6): the rank of the orbit's tangent map.
#include "landscape/analysis/symmetry.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "landscape/core/linalg.hpp"

namespace landscape {

std::size_t orbit_dimension_max(const Model& m) {
  std::size_t k = 0;
  for (int i = 1; i < m.depth(); ++i) {
    const auto d = std::size_t(m.dims[std::size_t(i)]);
    k += m.family == Family::linear ? d * d : d;
  }
  return k;
}

namespace {
constexpr double kOrbitScreen = 1e-4;  ///< σ_min/σ_max above which the SVD is skipped
}  // namespace

namespace {

/// The P × K tangent matrix of the orbit at w: one column per basis element of M.
Eigen::MatrixXd tangent_matrix(const Model& m, const double* w) {
  const int h = m.depth();
  const int K = int(orbit_dimension_max(m));  // fits: T (P × K) was sized to fit memory
  const std::size_t P = m.param_count();
  Eigen::MatrixXd T = Eigen::MatrixXd::Zero(Eigen::Index(P), K);
  std::vector<std::size_t> off(std::size_t(h) + 2, 0);
  for (int i = 1; i <= h; ++i)
    off[std::size_t(i) + 1] = off[std::size_t(i)] + std::size_t(m.dims[std::size_t(i)]) * m.dims[std::size_t(i) - 1];
  int col = 0;
  for (int i = 1; i < h; ++i) {
    const int di = m.dims[std::size_t(i)], dprev = m.dims[std::size_t(i) - 1], dnext = m.dims[std::size_t(i) + 1];
    const double* Wi = w + off[std::size_t(i)];
    const double* Wn = w + off[std::size_t(i) + 1];
    for (int a = 0; a < di; ++a)
      for (int b = 0; b < di; ++b) {
        if (m.family == Family::leaky_relu && a != b) continue;
        // δW_i = E_ab W_i: row a receives row b of W_i.
        for (int c = 0; c < dprev; ++c)
          T(Eigen::Index(off[std::size_t(i)] + std::size_t(a) * dprev + c), col) = Wi[std::size_t(b) * dprev + c];
        // δW_{i+1} = −W_{i+1} E_ab: column b receives −column a of W_{i+1}.
        for (int r = 0; r < dnext; ++r)
          T(Eigen::Index(off[std::size_t(i) + 1] + std::size_t(r) * di + b), col) = -Wn[std::size_t(r) * di + a];
        ++col;
      }
  }
  return T;
}

/// Numerical rank of T (relative tolerance rank_rtol).
int tangent_rank(const Eigen::MatrixXd& T, double rank_rtol) {
  const Eigen::Index P = T.rows(), K = T.cols();
  if (K == 0 || P == 0) return 0;
  // Screen with the Gram matrix: its computed eigenvalues are σ_i(T)² to within about
  // P·ε·σ_max², so a smallest one above (10⁻⁴)²·λ_max (and above (10³·rtol)²·λ_max) proves
  // σ_min/σ_max far above the rank threshold: T has full column rank, as the SVD would say.
  // That is the generic case, at a fifth of the SVD's cost; only near-deficient T pay for it.
  if (K <= P) {
    const Eigen::MatrixXd G = T.transpose() * T;
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(G, Eigen::EigenvaluesOnly);
    const double lmin = es.eigenvalues().minCoeff(), lmax = es.eigenvalues().maxCoeff();
    const double screen = std::max(kOrbitScreen, 1e3 * rank_rtol);
    if (lmax > 0 && lmin >= screen * screen * lmax) return int(K);
  }
  Eigen::BDCSVD<Eigen::MatrixXd> svd(T);
  return rank_from_singular_values(svd.singularValues().data(), int(svd.singularValues().size()), rank_rtol);
}

}  // namespace

int orbit_dimension(const Model& m, const double* w, double rank_rtol) {
  if (orbit_dimension_max(m) == 0) return 0;
  return tangent_rank(tangent_matrix(m, w), rank_rtol);
}

DataColumnSpace data_column_space(const Dataset& d) {
  DataColumnSpace c;
  c.d0 = d.d0;
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> X(d.X.data(), d.d0, d.n);
  const Eigen::JacobiSVD<Eigen::MatrixXd> svd(X, Eigen::ComputeThinU);
  // X's rank at rounding level, not rank_rtol: the certificate counts these directions as exact
  // null directions, which they are only where X is rank-deficient to rounding (data drawn with
  // x_rank: σ ≈ 1e-16·σ₁); a merely small σ (nearly collinear features) stays out of D, where a
  // near-zero eigenvalue it causes reads as excess degeneracy.
  const double xtol = 10.0 * double(std::max(d.d0, d.n)) * std::numeric_limits<double>::epsilon();
  c.rank = rank_from_singular_values(svd.singularValues().data(), int(svd.singularValues().size()), xtol);
  const Eigen::MatrixXd U = svd.matrixU().leftCols(c.rank);
  c.basis.assign(U.data(), U.data() + U.size());
  return c;
}

const DataColumnSpace& column_space_of(const Dataset& d, const DataColumnSpace* given,
                                       DataColumnSpace& own) {
  if (given != nullptr && given->d0 == d.d0) return *given;
  own = data_column_space(d);
  return own;
}

KnownNullSpace known_null_space(const Model& m, const Dataset& d, const double* w, double rank_rtol,
                                const DataColumnSpace* columns) {
  KnownNullSpace k;
  const Eigen::MatrixXd T = tangent_matrix(m, w);
  k.orbit = tangent_rank(T, rank_rtol);
  const int d0 = m.dims[0], d1 = m.dims[1];
  DataColumnSpace own;
  columns = &column_space_of(d, columns, own);
  const int rx = columns->rank;
  if (rx >= d0) return k;
  // [T | D] with D = {δW_1 = A·Zᵀ, Z ⊥ col(X)} (d1·(d0 − rx) directions, W_1's block only):
  // its rank is dim D plus the rank of T with W_1's block seen in col(X)'s coordinates
  // (δW_1 ↦ δW_1·U), the part of T that D does not already span.
  const Eigen::Map<const Eigen::MatrixXd> U(columns->basis.data(), d0, rx);
  const Eigen::Index first = Eigen::Index(d1) * d0, first_r = Eigen::Index(d1) * rx;
  Eigen::MatrixXd Tr(T.rows() - first + first_r, T.cols());
  for (Eigen::Index c = 0; c < T.cols(); ++c) {
    for (int a = 0; a < d1; ++a)
      Tr.col(c).segment(Eigen::Index(a) * rx, rx) =
          U.transpose() * T.col(c).segment(Eigen::Index(a) * d0, d0);
    Tr.col(c).tail(T.rows() - first) = T.col(c).tail(T.rows() - first);
  }
  // The two ranks are thresholded relative to their own largest singular values, so in a near
  // tie the difference can leave [0, d1·(d0 − rx)]; the count stays within what D can add.
  k.data = std::clamp(d1 * (d0 - rx) + tangent_rank(Tr, rank_rtol) - k.orbit, 0, d1 * (d0 - rx));
  return k;
}

}  // namespace landscape
