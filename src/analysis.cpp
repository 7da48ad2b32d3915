// Exact Hessians and spectra on the host (the CPU backend and the classify command use these).
#include "landscape/analysis.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "landscape/math/network.hpp"

namespace landscape {

HessianResult exact_hessian(const Model& m, const Dataset& d, const double* w) {
  const math::Shape s = m.shape(d.n);
  const std::size_t P = math::param_count(s);
  HessianResult r;
  r.gradient.resize(P);
  r.H.resize(P * P);
  std::vector<double> ws(math::hessian_workspace(s) + P);
  r.loss = math::hessian(s, d.X.data(), d.Y.data(), w, r.H.data(), r.gradient.data(), ws.data());
  return r;
}

PointFacts point_facts(const Model& m, const Dataset& d, const double* w) {
  const math::Shape s = m.shape(d.n);
  const std::size_t P = math::param_count(s);
  PointFacts f;
  f.finite = std::all_of(w, w + P, [](double x) { return std::isfinite(x); });
  std::vector<double> ws(math::gradient_workspace(s)), g(P);
  f.loss = math::loss_and_gradient(s, d.X.data(), d.Y.data(), w, g.data(), ws.data());
  double g2 = 0;
  for (double x : g) g2 += x * x;
  f.grad_norm = std::sqrt(g2);
  f.finite = f.finite && std::isfinite(f.loss) && std::isfinite(f.grad_norm);
  f.kink_distance = std::numeric_limits<double>::infinity();
  if (m.family == Family::leaky_relu && f.finite) {
    // ws still holds the activations; recover Z = A (A ≥ 0) or A/α (A < 0).
    for (int i = 1; i <= s.h; ++i) {
      const double* A = math::layer_ptr(s, ws.data(), i);
      const std::size_t cnt = std::size_t(s.dims[i]) * s.n;
      double zmin = std::numeric_limits<double>::infinity(), zmax = 0;
      for (std::size_t k = 0; k < cnt; ++k) {
        const double z = std::abs(A[k] >= 0 ? A[k] : A[k] / s.slope);
        zmin = std::min(zmin, z);
        zmax = std::max(zmax, z);
      }
      f.kink_distance = std::min(f.kink_distance, zmax > 0 ? zmin / zmax : 0.0);
    }
  }
  return f;
}

std::vector<double> symmetric_eigenvalues(const double* H, int P) {
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> A(H, P, P);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(A, Eigen::EigenvaluesOnly);
  const auto& ev = es.eigenvalues();  // ascending
  return std::vector<double>(ev.data(), ev.data() + ev.size());
}

double loss_scale(const Dataset& d) {
  double y2 = 0;
  for (double y : d.Y) y2 += y * y;
  return std::max(1.0, 0.5 * y2);
}

}  // namespace landscape
