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

int orbit_dimension(const Model& m, const double* w, double rank_rtol) {
  const int h = m.depth();
  const int K = int(orbit_dimension_max(m));  // fits: T (P × K) was sized to fit memory
  if (K == 0) return 0;
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
  // Screen with the Gram matrix: its computed eigenvalues are σ_i(T)² to within about
  // P·ε·σ_max², so a smallest one above (10⁻⁴)²·λ_max (and above (10³·rtol)²·λ_max) proves
  // σ_min/σ_max far above the rank threshold: T has full column rank, as the SVD would say.
  // That is the generic case, at a fifth of the SVD's cost; only near-deficient T pay for it.
  if (K <= int(P)) {
    const Eigen::MatrixXd G = T.transpose() * T;
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(G, Eigen::EigenvaluesOnly);
    const double lmin = es.eigenvalues().minCoeff(), lmax = es.eigenvalues().maxCoeff();
    const double screen = std::max(kOrbitScreen, 1e3 * rank_rtol);
    if (lmax > 0 && lmin >= screen * screen * lmax) return K;
  }
  Eigen::BDCSVD<Eigen::MatrixXd> svd(T);
  return rank_from_singular_values(svd.singularValues().data(), int(svd.singularValues().size()), rank_rtol);
}

}  // namespace landscape
