// Refinement to the nearby exact critical point (docs/math.md §5): Levenberg–Marquardt on ∇L = 0.
#include "landscape/analysis/refine.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "evaluator.hpp"
#include "landscape/analysis/hessian.hpp"

namespace landscape {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using detail::Evaluator;
using detail::norm;

RefineResult refine_critical_point(const Model& m, const Dataset& d, const double* w0,
                                   double loss_scale, const RefineSpec& spec) {
  const std::size_t P = m.param_count();
  const int Pi = int(P);
  Evaluator ev(m, d);
  RefineResult r;
  r.weights.assign(w0, w0 + P);
  std::vector<double> g(P), trial(P), g_trial(P);
  r.loss_before = ev.gradient(w0, g.data());
  r.grad_norm_before = norm(g);
  double gn = r.grad_norm_before;
  r.loss_after = r.loss_before;
  const double target = spec.grad_rtol * loss_scale;
  double mu = -1;
  if (!std::isfinite(gn)) {
    r.grad_norm_after = gn;
    return r;
  }
  // Keep stepping past the target while steps still lower the gradient: next to a degenerate
  // critical point convergence is only linear (g = O(δ²), H = O(δ)), and stopping at a small
  // gradient would leave Hessian eigenvalues O(δ) that look like strict negative curvature.
  // Near a nondegenerate point the iteration reaches rounding level in a few quadratic steps,
  // after which no step is accepted and the loop ends.
  for (; r.iterations < spec.max_iterations && gn > 0; ++r.iterations) {
    const HessianResult h = exact_hessian(m, d, r.weights.data());
    Eigen::Map<const RowMat> H(h.H.data(), Pi, Pi);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(H);
    const Eigen::VectorXd& lam = es.eigenvalues();
    const Eigen::MatrixXd& Q = es.eigenvectors();
    const Eigen::VectorXd c = Q.transpose() * Eigen::Map<const Eigen::VectorXd>(h.gradient.data(), Pi);
    const double lmax2 = std::max(1e-300, lam.cwiseAbs().maxCoeff() * lam.cwiseAbs().maxCoeff());
    if (mu < 0) mu = 1e-12 * lmax2;
    bool accepted = false;
    for (int attempt = 0; attempt < 40 && !accepted; ++attempt) {
      Eigen::VectorXd coef(Pi);
      for (int k = 0; k < Pi; ++k) coef(k) = lam(k) / (lam(k) * lam(k) + mu) * c(k);
      const Eigen::VectorXd delta = -(Q * coef);
      for (std::size_t k = 0; k < P; ++k) trial[k] = r.weights[k] + delta(Eigen::Index(k));
      const double lt = ev.gradient(trial.data(), g_trial.data());
      const double gt = norm(g_trial);
      if (std::isfinite(lt) && gt < gn) {
        r.weights.swap(trial);
        gn = gt;
        r.loss_after = lt;
        mu = std::max(mu * 0.1, 1e-30 * lmax2);
        accepted = true;
      } else {
        mu = mu * 10 + 1e-16 * lmax2;
      }
    }
    if (!accepted) break;  // no step lowers the gradient: we are at rounding level
  }
  r.grad_norm_after = gn;
  r.converged = gn <= target;
  double dist = 0;
  for (std::size_t k = 0; k < P; ++k) dist += (r.weights[k] - w0[k]) * (r.weights[k] - w0[k]);
  r.distance = std::sqrt(dist);
  return r;
}

}  // namespace landscape
