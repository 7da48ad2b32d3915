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

namespace {

/// One escape test in progress: the endpoint, its loss, the probe scratch and the best drop so
/// far. The phases run in a fixed order and share one random stream, so a result is reproducible.
class EscapeProbe {
 public:
  EscapeProbe(const Model& m, const Dataset& d, const double* w, const EscapeQuery& q,
              const EscapeSpec& spec)
      : m_P(m.param_count()), m_ev(m, d), m_w(w), m_q(q), m_spec(spec), m_x(m_P), m_dir(m_P),
        m_g(m_P), m_y(m_P) {
    m_r.null_space_dim = q.null_count;
    m_L0 = m_ev.loss(w);
    double wn = 0;
    for (std::size_t i = 0; i < m_P; ++i) wn += w[i] * w[i];
    m_scale = std::max(1.0, std::sqrt(wn));
  }

  bool done() const { return m_r.loss_drop > m_q.stop_drop; }

  /// Each near-null eigenvector, smallest |λ| first.
  void null_eigenvectors() {
    const std::ptrdiff_t P = std::ptrdiff_t(m_P);
    for (int i = 0; i < std::min(m_q.null_count, m_spec.null_directions) && !done(); ++i) {
      std::copy(m_q.null_vectors.begin() + std::ptrdiff_t(i) * P,
                m_q.null_vectors.begin() + std::ptrdiff_t(i + 1) * P, m_dir.begin());
      probe(m_dir, "null_eigenvector");
    }
  }

  /// Random unit combinations of the near-null eigenvectors (only where there are several).
  void null_space_combinations(math::CounterRng& rng) {
    const int k = m_q.null_count;
    if (k <= 1) return;
    std::vector<double> coef(static_cast<std::size_t>(k));
    for (int j = 0; j < m_spec.null_combinations && !done(); ++j) {
      random_unit(rng, coef);
      std::fill(m_dir.begin(), m_dir.end(), 0.0);
      for (int i = 0; i < k; ++i)
        for (std::size_t p = 0; p < m_P; ++p)
          m_dir[p] += coef[std::size_t(i)] * m_q.null_vectors[std::size_t(i) * m_P + p];
      probe(m_dir, "null_space_random");
    }
  }

  /// Uniformly random unit directions in the whole parameter space.
  void random_directions(math::CounterRng& rng) {
    for (int j = 0; j < m_spec.random_directions && !done(); ++j) {
      random_unit(rng, m_dir);
      probe(m_dir, "random");
    }
  }

  /// Perturbed descent: gradient steps with backtracking, each step no longer than the
  /// perturbation radius so the path stays local and monotone.
  void perturbed_descent(math::CounterRng& rng) {
    const double radius = m_spec.perturb_radius * m_scale;
    for (int run = 0; run < m_spec.perturbed_runs && !done(); ++run) {
      random_unit(rng, m_dir);
      for (std::size_t i = 0; i < m_P; ++i) m_x[i] = m_w[i] + radius * m_dir[i];
      descend(radius);
    }
  }

  EscapeResult finish() {
    m_r.escaped = m_r.loss_drop > m_q.drop_target;
    return std::move(m_r);
  }

 private:
  /// Probes one ray in both signs with geometric steps; a ray ends at the first barrier.
  void probe(const std::vector<double>& u, const char* method) {
    for (int sign : {1, -1}) {
      for (double t = m_spec.step_min * m_scale; t <= m_spec.step_max * m_scale; t *= m_spec.step_factor) {
        for (std::size_t i = 0; i < m_P; ++i) m_x[i] = m_w[i] + sign * t * u[i];
        const double L = m_ev.loss(m_x.data());
        ++m_r.probes;
        if (!std::isfinite(L)) break;
        if (m_L0 - L > m_r.loss_drop) {
          m_r.loss_drop = m_L0 - L;
          m_r.method = method;
          m_r.step = t;
          m_r.direction = u;
          if (sign < 0)
            for (double& v : m_r.direction) v = -v;
        }
        if (done()) return;
        if (L > m_L0 + m_q.drop_target) break;
      }
    }
  }

  /// One backtracking descent from m_x, recording every improvement on the best drop.
  void descend(double radius) {
    std::vector<double>& g = m_g;
    std::vector<double>& y = m_y;
    double L = m_ev.gradient(m_x.data(), g.data());
    double lr = 1.0;
    for (long step = 0; step < m_spec.perturbed_steps && std::isfinite(L) && !done(); ++step) {
      const double gn = norm(g);
      if (gn == 0) break;
      lr = std::min(lr, radius / gn);
      bool moved = false;
      for (int halve = 0; halve < 60; ++halve, lr *= 0.5) {
        for (std::size_t i = 0; i < m_P; ++i) y[i] = m_x[i] - lr * g[i];
        const double Ly = m_ev.loss(y.data());
        ++m_r.probes;
        if (std::isfinite(Ly) && Ly <= L - 1e-4 * lr * gn * gn) {
          m_x.swap(y);
          moved = true;
          break;
        }
      }
      ++m_r.descent_steps;
      if (!moved) break;
      lr *= 2;
      L = m_ev.gradient(m_x.data(), g.data());
      if (m_L0 - L > m_r.loss_drop) record_descent(m_L0 - L);
    }
  }

  /// The descent's best point so far: its drop, and the unit direction and distance from w.
  void record_descent(double drop) {
    m_r.loss_drop = drop;
    m_r.method = "perturbed_descent";
    m_r.direction.assign(m_P, 0.0);
    double s = 0;
    for (std::size_t i = 0; i < m_P; ++i) {
      m_r.direction[i] = m_x[i] - m_w[i];
      s += m_r.direction[i] * m_r.direction[i];
    }
    s = std::sqrt(s);
    m_r.step = s;
    if (s > 0)
      for (double& v : m_r.direction) v /= s;
  }

  std::size_t m_P;
  Evaluator m_ev;
  const double* m_w;
  const EscapeQuery& m_q;
  const EscapeSpec& m_spec;
  std::vector<double> m_x, m_dir, m_g, m_y;  ///< probe point, direction, descent scratch
  EscapeResult m_r;
  double m_L0 = 0, m_scale = 1;
};

}  // namespace

EscapeResult escape_test(const Model& m, const Dataset& d, const double* w, const EscapeQuery& q,
                         const EscapeSpec& spec) {
  EscapeProbe e(m, d, w, q, spec);
  math::CounterRng rng(spec.seed, 0xE5CA9Eull);
  e.null_eigenvectors();
  e.null_space_combinations(rng);
  e.random_directions(rng);
  e.perturbed_descent(rng);
  return e.finish();
}

}  // namespace landscape
