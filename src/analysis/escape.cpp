// The escape test for PSD endpoints above L* (docs/math.md §7 step 5): monotone descent probes along
// near-null eigenvectors, random directions and perturbed descent.
#include "landscape/analysis/escape.hpp"

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
using detail::random_unit;

void hessian_eigensystem(const Model& m, const Dataset& d, const double* w,
                         std::vector<double>& values, std::vector<double>& vectors) {
  const HessianResult h = exact_hessian(m, d, w);
  const int P = int(m.param_count());
  Eigen::Map<const RowMat> H(h.H.data(), P, P);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(H);
  values.assign(es.eigenvalues().data(), es.eigenvalues().data() + P);
  vectors.resize(std::size_t(P) * P);
  for (int i = 0; i < P; ++i)
    for (int k = 0; k < P; ++k) vectors[std::size_t(i) * P + k] = es.eigenvectors()(k, i);
}

EscapeResult escape_test(const Model& m, const Dataset& d, const double* w,
                         const std::vector<double>& null_vectors, int k, double drop_target,
                         double stop_drop, const EscapeSpec& spec) {
  const std::size_t P = m.param_count();
  Evaluator ev(m, d);
  EscapeResult r;
  r.null_space_dim = k;
  const double L0 = ev.loss(w);
  double wn = 0;
  for (std::size_t i = 0; i < P; ++i) wn += w[i] * w[i];
  const double scale = std::max(1.0, std::sqrt(wn));
  std::vector<double> x(P), dir(P);
  auto done = [&] { return r.loss_drop > stop_drop; };

  // Probes one ray in both signs with geometric steps; a ray ends at the first barrier.
  auto probe = [&](const std::vector<double>& u, const char* method) {
    for (int sign : {1, -1}) {
      for (double t = spec.step_min * scale; t <= spec.step_max * scale; t *= spec.step_factor) {
        for (std::size_t i = 0; i < P; ++i) x[i] = w[i] + sign * t * u[i];
        const double L = ev.loss(x.data());
        ++r.probes;
        if (!std::isfinite(L)) break;
        if (L0 - L > r.loss_drop) {
          r.loss_drop = L0 - L;
          r.method = method;
          r.step = t;
          r.direction = u;
          if (sign < 0)
            for (double& v : r.direction) v = -v;
        }
        if (done()) return;
        if (L > L0 + drop_target) break;
      }
    }
  };

  math::CounterRng rng(spec.seed, 0xE5CA9Eull);
  for (int i = 0; i < std::min(k, spec.null_directions) && !done(); ++i) {
    std::copy(null_vectors.begin() + std::ptrdiff_t(i) * std::ptrdiff_t(P),
              null_vectors.begin() + std::ptrdiff_t(i + 1) * std::ptrdiff_t(P), dir.begin());
    probe(dir, "null_eigenvector");
  }
  if (k > 1) {
    std::vector<double> coef(static_cast<std::size_t>(k));
    for (int j = 0; j < spec.null_combinations && !done(); ++j) {
      random_unit(rng, coef);
      std::fill(dir.begin(), dir.end(), 0.0);
      for (int i = 0; i < k; ++i)
        for (std::size_t p = 0; p < P; ++p) dir[p] += coef[std::size_t(i)] * null_vectors[std::size_t(i) * P + p];
      probe(dir, "null_space_random");
    }
  }
  for (int j = 0; j < spec.random_directions && !done(); ++j) {
    random_unit(rng, dir);
    probe(dir, "random");
  }

  // Perturbed descent: gradient steps with backtracking, each step no longer than the
  // perturbation radius so the path stays local and monotone.
  std::vector<double> g(P), y(P);
  const double radius = spec.perturb_radius * scale;
  for (int run = 0; run < spec.perturbed_runs && !done(); ++run) {
    random_unit(rng, dir);
    for (std::size_t i = 0; i < P; ++i) x[i] = w[i] + radius * dir[i];
    double L = ev.gradient(x.data(), g.data());
    double lr = 1.0;
    for (long step = 0; step < spec.perturbed_steps && std::isfinite(L) && !done(); ++step) {
      const double gn = norm(g);
      if (gn == 0) break;
      lr = std::min(lr, radius / gn);
      bool moved = false;
      for (int halve = 0; halve < 60; ++halve, lr *= 0.5) {
        for (std::size_t i = 0; i < P; ++i) y[i] = x[i] - lr * g[i];
        const double Ly = ev.loss(y.data());
        ++r.probes;
        if (std::isfinite(Ly) && Ly <= L - 1e-4 * lr * gn * gn) {
          x.swap(y);
          moved = true;
          break;
        }
      }
      ++r.descent_steps;
      if (!moved) break;
      lr *= 2;
      L = ev.gradient(x.data(), g.data());
      if (L0 - L > r.loss_drop) {
        r.loss_drop = L0 - L;
        r.method = "perturbed_descent";
        r.direction.assign(P, 0.0);
        double s = 0;
        for (std::size_t i = 0; i < P; ++i) {
          r.direction[i] = x[i] - w[i];
          s += r.direction[i] * r.direction[i];
        }
        s = std::sqrt(s);
        r.step = s;
        if (s > 0)
          for (double& v : r.direction) v /= s;
      }
    }
  }
  r.escaped = r.loss_drop > drop_target;
  return r;
}

}  // namespace landscape
