// Exact Hessians and spectra on the host (the CPU backend and the classify command use these).
#include "landscape/analysis/hessian.hpp"

#include <Eigen/Dense>
#include <algorithm>

#include "landscape/math/network.hpp"

namespace landscape {

HessianResult exact_hessian(const Model& m, const Dataset& d, const double* w) {
  const math::Shape s = m.shape(d.n);
  const std::size_t P = math::param_count(s);
  HessianResult r;
  r.gradient.resize(P);
  r.H.resize(P * P);
  std::vector<double> ws(math::hessian_workspace(s));
  r.loss = math::hessian(s, d.X.data(), d.Y.data(), w, r.H.data(), r.gradient.data(), ws.data());
  return r;
}

PointFacts point_facts(const Model& m, const Dataset& d, const double* w) {
  const math::Shape s = m.shape(d.n);
  std::vector<double> ws(math::gradient_workspace(s)), g(math::param_count(s));
  const double L = math::loss_and_gradient(s, d.X.data(), d.Y.data(), w, g.data(), ws.data());
  return math::facts_from(s, w, L, g.data(), ws.data());  // ws still holds the activations
}


double loss_scale(const Dataset& d) {
  double y2 = 0;
  for (double y : d.Y) y2 += y * y;
  return std::max(1.0, 0.5 * y2);
}

}  // namespace landscape
