// Refinement, escape test, symmetry orbit dimension and local-openness ranks.
#include "landscape/decide.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "landscape/analysis.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/rng.hpp"
#include "landscape/optimum.hpp"

namespace landscape {
namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

/// Loss and gradient evaluations at arbitrary points, with reusable scratch.
class Evaluator {
 public:
  Evaluator(const Model& m, const Dataset& d)
      : m_d(d), m_s(m.shape(d.n)), m_ws(math::gradient_workspace(m_s)) {}
  double loss(const double* w) { return math::loss(m_s, m_d.X.data(), m_d.Y.data(), w, m_ws.data()); }
  double gradient(const double* w, double* g) {
    return math::loss_and_gradient(m_s, m_d.X.data(), m_d.Y.data(), w, g, m_ws.data());
  }

 private:
  const Dataset& m_d;
  math::Shape m_s;
  std::vector<double> m_ws;
};

void random_unit(math::CounterRng& rng, std::vector<double>& v) {
  double s = 0;
  for (double& x : v) {
    x = rng.normal();
    s += x * x;
  }
  s = std::sqrt(s);
  for (double& x : v) x /= s;
}

}  // namespace

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

int orbit_dimension_max(const Model& m) {
  int k = 0;
  for (int i = 1; i < m.depth(); ++i)
    k += m.family == Family::linear ? m.dims[std::size_t(i)] * m.dims[std::size_t(i)]
                                    : m.dims[std::size_t(i)];
  return k;
}

namespace {
constexpr double kOrbitScreen = 1e-4;  ///< σ_min/σ_max above which the SVD is skipped
}  // namespace

int orbit_dimension(const Model& m, const double* w, double rank_rtol) {
  const int h = m.depth();
  const int K = orbit_dimension_max(m);
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

bool matrix_product_locally_open(int m, int k, int n, int rank_a, int rank_b, int rank_ab,
                                 std::string* rule) {
  if (k < std::min(m, n)) {
    if (rule) *rule = "N&R Theorem 2 (k < min(m, n)): rank A = rank B = rank AB";
    return rank_a == rank_b && rank_b == rank_ab;
  }
  if (rule) *rule = "Behrends 2017 (k >= min(m, n))";
  const int s = rank_b - rank_ab;  // dim(N(A) ∩ C(B))
  return s <= k - m || n - rank_ab <= k - rank_a;
}

OpennessInfo openness(const Model& m, const double* w, double rank_rtol) {
  const int h = m.depth();
  OpennessInfo o;
  std::vector<RowMat> W;
  std::size_t off = 0;
  for (int i = 1; i <= h; ++i) {
    const int r = m.dims[std::size_t(i)], c = m.dims[std::size_t(i) - 1];
    W.emplace_back(Eigen::Map<const RowMat>(w + off, r, c));
    off += std::size_t(r) * c;
    o.layer_ranks.push_back(numerical_rank(W.back().data(), r, c, rank_rtol));
  }
  for (int i = 1; i <= h; ++i) {
    RowMat prod = W[std::size_t(i) - 1];
    for (int j = i + 1; j <= h; ++j) {
      prod = (W[std::size_t(j) - 1] * prod).eval();
      o.partial.push_back({i, j, numerical_rank(prod.data(), int(prod.rows()), int(prod.cols()), rank_rtol)});
      if (i == 1 && j == h) o.product_rank = o.partial.back().rank;
    }
  }
  if (h == 1) o.product_rank = o.layer_ranks[0];
  o.min_width = *std::min_element(m.dims.begin(), m.dims.end());
  if (m.family == Family::linear) {
    o.non_degenerate = o.product_rank == o.min_width;
    if (h == 2) {
      // M(A, B) = AB with A = W_2 (d2 × d1) and B = W_1 (d1 × d0).
      o.locally_open = matrix_product_locally_open(m.dims[2], m.dims[1], m.dims[0], o.layer_ranks[1],
                                                   o.layer_ranks[0], o.product_rank, &o.openness_rule);
    }
  } else {
    bool all = true;
    for (int i = 1; i <= h; ++i) all = all && o.layer_ranks[std::size_t(i) - 1] == m.dims[std::size_t(i)];
    o.all_full_row_rank = all;
  }
  return o;
}

}  // namespace landscape
