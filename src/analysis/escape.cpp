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

void remove_data_null_directions(const Model& m, const DataColumnSpace& cols, double* v, int k) {
  const int d0 = m.dims[0], d1 = m.dims[1], r = cols.rank;
  if (r >= d0) return;
  const std::size_t P = m.param_count();
  std::vector<double> coef(static_cast<std::size_t>(r));
  const auto U = [&](int c, int q) { return cols.basis[std::size_t(q) * std::size_t(d0) + std::size_t(c)]; };
  for (int j = 0; j < k; ++j)
    for (int a = 0; a < d1; ++a) {  // W_1's row a, parameters a·d0 … a·d0 + d0 − 1: U·Uᵀ·row
      double* row = v + std::size_t(j) * P + std::size_t(a) * std::size_t(d0);
      for (int q = 0; q < r; ++q) {
        double s = 0;
        for (int c = 0; c < d0; ++c) s += U(c, q) * row[c];
        coef[std::size_t(q)] = s;
      }
      for (int c = 0; c < d0; ++c) {
        double s = 0;
        for (int q = 0; q < r; ++q) s += U(c, q) * coef[std::size_t(q)];
        row[c] = s;
      }
    }
}

namespace {

/// Divides u by its norm; false (u unchanged) where less than `floor` of it is left, as of a unit
/// vector projected onto a data null direction.
bool normalize(std::vector<double>& u, double floor) {
  const double n = norm(u);
  if (!(n > floor)) return false;
  for (double& x : u) x /= n;
  return true;
}

/// Share of a projected unit vector below which it is taken for a data null direction (whose
/// projection is rounding, about 1e-16): well above rounding, far below any direction the loss
/// sees.
constexpr double kLeftFloor = 1e-6;

/// One escape test in progress: the endpoint, its loss, the probe scratch and the best drop so
/// far. The phases run in a fixed order and share one random stream, so a result is reproducible.
class EscapeProbe {
 public:
  EscapeProbe(const Model& m, const Dataset& d, const double* w, const EscapeQuery& q,
              const EscapeSpec& spec)
      : m_P(m.param_count()), m_ev(m, d), m_w(w), m_q(q), m_spec(spec), m_x(m_P), m_dir(m_P),
        m_g(m_P), m_y(m_P) {
    m_r.null_space_dim = q.projected ? q.null_space_dim : q.null_count;
    m_L0 = m_ev.loss(w);
    double wn = 0;
    for (std::size_t i = 0; i < m_P; ++i) wn += w[i] * w[i];
    m_scale = std::max(1.0, std::sqrt(wn));
  }

  bool done() const { return m_r.loss_drop > m_q.stop_drop; }

  /// Each near-null eigenvector, smallest |λ| first. Projected ones are orthonormalized against
  /// those probed before (Gram–Schmidt, twice), and skipped where nothing is left.
  void null_eigenvectors() {
    const std::ptrdiff_t P = std::ptrdiff_t(m_P);
    std::vector<double> probed;  // the probed directions, row-major
    int count = 0;
    for (int i = 0; i < m_q.null_count && count < m_spec.null_directions && !done(); ++i) {
      std::copy(m_q.null_vectors.begin() + std::ptrdiff_t(i) * P,
                m_q.null_vectors.begin() + std::ptrdiff_t(i + 1) * P, m_dir.begin());
      if (m_q.projected) {
        if (!normalize(m_dir, kLeftFloor)) continue;
        for (int pass = 0; pass < 2; ++pass)
          for (int j = 0; j < count; ++j) {
            const double* y = probed.data() + std::ptrdiff_t(j) * P;
            double s = 0;
            for (std::size_t p = 0; p < m_P; ++p) s += m_dir[p] * y[p];
            for (std::size_t p = 0; p < m_P; ++p) m_dir[p] -= s * y[p];
          }
        if (!normalize(m_dir, kLeftFloor)) continue;
        probed.insert(probed.end(), m_dir.begin(), m_dir.end());
      }
      ++count;
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
      // Π(V·c) for a uniform unit c is, normalized, uniform on the projected space.
      if (m_q.projected && !normalize(m_dir, kLeftFloor)) continue;
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
