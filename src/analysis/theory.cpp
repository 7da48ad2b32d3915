// Theory oracle (docs/math.md §4): conditions checked on the actual data, predictions as claims.
#include "landscape/core/linalg.hpp"
#include "landscape/analysis/theory.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <sstream>

#include "landscape/analysis/optimum.hpp"

namespace landscape {
namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::string dims_text(const std::vector<int>& d) {
  std::ostringstream os;
  os << "[";
  for (std::size_t i = 0; i < d.size(); ++i) os << (i ? ", " : "") << d[i];
  os << "]";
  return os.str();
}

}  // namespace

DataFacts data_facts(const Dataset& d) {
  DataFacts f;
  f.d0 = d.d0;
  f.dh = d.dh;
  f.n = d.n;
  Eigen::Map<const RowMat> X(d.X.data(), d.d0, d.n), Y(d.Y.data(), d.dh, d.n);
  f.rank_x = numerical_rank(d.X.data(), d.d0, d.n);
  f.rank_y = numerical_rank(d.Y.data(), d.dh, d.n);
  const RowMat XYt = X * Y.transpose();
  f.rank_xyt = numerical_rank(XYt.data(), d.d0, d.dh);
  f.x_full_column_rank = f.rank_x == d.n;
  if (f.rank_x == d.d0) {
    const Eigen::MatrixXd XXt = X * X.transpose();
    const Eigen::MatrixXd Sigma = Y * X.transpose() * XXt.ldlt().solve(Eigen::MatrixXd(X * Y.transpose()));
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(0.5 * (Sigma + Sigma.transpose()), Eigen::EigenvaluesOnly);
    const auto& ev = es.eigenvalues();
    const double scale = std::max(1e-300, ev.cwiseAbs().maxCoeff());
    f.sigma_distinct = true;
    for (Eigen::Index k = 1; k < ev.size(); ++k)
      if (ev(k) - ev(k - 1) <= 1e-8 * scale) f.sigma_distinct = false;
  }
  return f;
}

bool theorem8_condition(const std::vector<int>& dims, int* p1, int* p2) {
  const int h = int(dims.size()) - 1;
  for (int a = 1; a <= h - 1; ++a)
    for (int b = a + 1; b <= h - 1; ++b)
      if (dims[std::size_t(h)] > dims[std::size_t(b)] && dims[0] > dims[std::size_t(a)]) {
        if (p1) *p1 = a;
        if (p2) *p2 = b;
        return true;
      }
  return false;
}

namespace {

/// A deep linear network's claims from convexity (h = 1) and Nouiehed & Razaviyayn.
void linear_nr_claims(const Model& m, const DataFacts& f, std::vector<Claim>& out) {
  const int h = m.depth();
  const std::vector<int>& d = m.dims;
  if (h == 1) {
    out.push_back({"convex", "convexity of least squares",
                   "h = 1 is linear least squares, a convex problem: every local minimum is global",
                   ClaimKind::forbids, {"spurious_local_minimum", "strict_saddle", "non_strict_saddle"},
                   ClaimScope::all, "h = 1, any X and Y"});
  }
  if (h == 2) {
    out.push_back({"NR-Thm5", "N&R Thm 5",
                   "two-layer linear network, any X and Y: no spurious local minima", ClaimKind::forbids,
                   {"spurious_local_minimum"}, ClaimScope::all, "h = 2; holds for any data"});
    out.push_back({"NR-Thm5-degenerate", "N&R Thm 5",
                   "every degenerate critical point is a global minimum or a strict saddle", ClaimKind::forbids,
                   {"non_strict_saddle", "spurious_local_minimum"}, ClaimScope::degenerate,
                   "h = 2; degenerate means rank(W_2 W_1) < min d_i"});
  }
  const int min_width = *std::min_element(d.begin(), d.end());
  const std::string lemma7 = "every non-degenerate local minimum is global";
  if (f.rank_x == f.d0 && f.rank_xyt < min_width) {
    // At a critical point Z = W_h⋯W_1 satisfies Z XXᵀ Zᵀ = Y Xᵀ Zᵀ (the gradients of W_1 and
    // W_h), so rank Z ≤ rank YXᵀ when XXᵀ is invertible: no critical point is non-degenerate.
    out.push_back({"NR-Lemma7", "N&R Lemma 7", lemma7, ClaimKind::not_applicable, {"spurious_local_minimum"},
                   ClaimScope::non_degenerate,
                   "no critical point is non-degenerate here: with XX^T invertible every critical point has "
                   "rank(W_h...W_1) <= rank YX^T = " + std::to_string(f.rank_xyt) + " < min d_i = " +
                       std::to_string(min_width)});
  } else {
    out.push_back({"NR-Lemma7", "N&R Lemma 7", lemma7, ClaimKind::forbids, {"spurious_local_minimum"},
                   ClaimScope::non_degenerate,
                   "any depth; non-degenerate means rank(W_h...W_1) = min d_i = " + std::to_string(min_width)});
  }
  if (h >= 3) {
    int p1 = 0, p2 = 0;
    if (theorem8_condition(d, &p1, &p2)) {
      const std::string cond = "condition holds with p1 = " + std::to_string(p1) + ", p2 = " + std::to_string(p2) +
                               " (d_h = " + std::to_string(d.back()) + " > d_p2 = " +
                               std::to_string(d[std::size_t(p2)]) + ", d0 = " + std::to_string(d[0]) +
                               " > d_p1 = " + std::to_string(d[std::size_t(p1)]) + "); rank Y = " +
                               std::to_string(f.rank_y);
      // The theorem's spurious minima are built for a rank-deficient Y; it says nothing about a
      // full-rank one.
      if (f.rank_y < std::min(f.dh, f.n))
        out.push_back({"NR-Thm8-exists", "N&R Thm 8",
                       "for some rank-deficient Y there are spurious local minima", ClaimKind::exists,
                       {"spurious_local_minimum"}, ClaimScope::all, cond + " (rank-deficient)"});
      else
        out.push_back({"NR-Thm8-exists", "N&R Thm 8",
                       "for some rank-deficient Y there are spurious local minima", ClaimKind::not_applicable,
                       {"spurious_local_minimum"}, ClaimScope::all,
                       cond + " is full (min(d_h, n) = " + std::to_string(std::min(f.dh, f.n)) +
                           "): the theorem's spurious minima need a rank-deficient Y"});
    } else {
      out.push_back({"NR-Thm8", "N&R Thm 8", "no spurious local minima, for any X and Y", ClaimKind::forbids,
                     {"spurious_local_minimum"}, ClaimScope::all,
                     "h = " + std::to_string(h) + " and no 1 <= p1 < p2 <= h-1 with d_h > d_p2 and d0 > d_p1"});
    }
  }
}

/// Kawaguchi's claims for a deep linear network, when his data conditions hold.
void linear_kawaguchi_claims(const Model& m, const DataFacts& f, std::vector<Claim>& out) {
  const int h = m.depth();
  const bool xxt = f.rank_x == f.d0;
  const bool xyt = f.rank_xyt == std::min(f.d0, f.dh);
  const bool dy_le_dx = f.dh <= f.d0;
  std::ostringstream why;
  why << "rank XX^T = " << f.rank_x << (xxt ? " (full)" : " (not full)") << ", rank XY^T = " << f.rank_xyt
      << (xyt ? " (full)" : " (not full)") << ", d_y = " << f.dh << (dy_le_dx ? " <= " : " > ") << "d_x = "
      << f.d0 << ", Sigma eigenvalues " << (f.sigma_distinct ? "distinct" : "not distinct");
  if (xxt && xyt && dy_le_dx && f.sigma_distinct) {
    out.push_back({"K-Thm2.3", "K Thm 2.3", "every local minimum is global; every other critical point is a saddle",
                   ClaimKind::forbids, {"spurious_local_minimum"}, ClaimScope::all, why.str()});
    if (h == 2)
      out.push_back({"K-Cor2.4-h2", "K Cor 2.4", "h = 2: every saddle is strict", ClaimKind::forbids,
                     {"non_strict_saddle"}, ClaimScope::all, why.str()});
    else if (h >= 3)
      out.push_back({"K-Cor2.4-bad-saddles", "K Cor 2.4",
                     "h >= 3: non-strict (\"bad\") saddles exist, e.g. reached from small initializations",
                     ClaimKind::exists, {"non_strict_saddle"}, ClaimScope::all, why.str()});
  }
}

/// The claim for a leaky-ReLU network: N&R Lemma 3 where it applies, "none" otherwise.
void leaky_relu_claims(const Model& m, const DataFacts& f, std::vector<Claim>& out) {
  const bool pyr = m.pyramidal();
  std::ostringstream why;
  why << "pyramidal " << (pyr ? "yes" : "no") << " (dims " << dims_text(m.dims) << "), X " << f.d0 << " x " << f.n
      << " of rank " << f.rank_x << (f.x_full_column_rank ? " (full column rank)" : " (not full column rank)")
      << ", slope " << m.slope;
  if (pyr && f.x_full_column_rank) {
    out.push_back({"NR-Lemma3", "N&R Lemma 3 + Obs 1",
                   "every local minimum with all W_i of full row rank is global (L* = 0)", ClaimKind::forbids,
                   {"spurious_local_minimum"}, ClaimScope::full_row_rank, why.str()});
  } else {
    out.push_back({"none", "-", "no theorem applies here: spurious local minima may appear", ClaimKind::none,
                   {"spurious_local_minimum"}, ClaimScope::all, why.str()});
  }
}

}  // namespace

std::vector<Claim> theory_claims(const Model& m, const DataFacts& f) {
  std::vector<Claim> out;
  if (m.family == Family::linear) {
    linear_nr_claims(m, f, out);
    linear_kawaguchi_claims(m, f, out);
  } else {
    leaky_relu_claims(m, f, out);
  }
  return out;
}

namespace {

bool in_scope(ClaimScope scope, const EndpointRecord& e) {
  if (scope == ClaimScope::all) return true;
  if (!e.openness) return false;
  const OpennessInfo& o = *e.openness;
  switch (scope) {
    case ClaimScope::degenerate: return o.non_degenerate && !*o.non_degenerate;
    case ClaimScope::non_degenerate: return o.non_degenerate && *o.non_degenerate;
    case ClaimScope::full_row_rank: return o.all_full_row_rank && *o.all_full_row_rank;
    case ClaimScope::all: break;
  }
  return false;
}

std::string fmt_g(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", x);
  return buf;
}

}  // namespace

namespace {

bool in_classes(const Claim& c, PointClass cls) {
  return std::find(c.classes.begin(), c.classes.end(), to_string(cls)) != c.classes.end();
}

bool critical(PointClass c) { return c != PointClass::diverged && c != PointClass::not_critical; }

/// True (and counted in `s` under its reason) when `e` cannot be judged against the claim `c`:
/// it sits at a kink (any claim: no second-order verdict stands there); for a "forbids" claim,
/// whether it is in the claim's classes changes between the tolerance levels ×0.1, ×1 and ×10
/// (either way: evidence for the theorem is held to the same standard as evidence against it);
/// unrefined, training left it on its initial plateau or still descending (docs/math.md §7a;
/// either way too); or it is in the classes but its refinement did not converge.
bool set_aside(const Claim& c, const EndpointRecord& e, Observation::SetAside& s) {
  if (e.near_kink) return ++s.kink, true;
  const bool member = in_classes(c, e.cls);
  if (c.kind == ClaimKind::forbids &&
      (in_classes(c, e.cls_by_tol[kTolLo]) != member || in_classes(c, e.cls_by_tol[kTolHi]) != member))
    return ++s.tolerance, true;
  // Unrefined, an endpoint that training left on its plateau or still descending is not a point
  // of the landscape where anything settled: no evidence either way.
  if (!e.refined && e.dynamics && e.dynamics->unsettled()) return ++s.dynamics, true;
  if (!member) return false;
  if (e.refined && !e.refined->converged) return ++s.refinement, true;
  return false;
}

}  // namespace

std::vector<Observation> check_claims(const std::vector<Claim>& claims,
                                      const std::vector<EndpointRecord>& endpoints) {
  std::vector<Observation> out;
  for (const auto& c : claims) {
    Observation o;
    o.claim = c;
    if (c.kind == ClaimKind::not_applicable) {
      o.verdict = Verdict::not_applicable;
      o.ci = binomial_interval_95(0, 0);
      out.push_back(std::move(o));
      continue;
    }
    for (const auto& e : endpoints) {
      if (!in_scope(c.scope, e)) continue;
      // Claims speak of critical points.
      if (!critical(e.cls)) {
        ++o.not_critical;
        continue;
      }
      // Evidence about a theorem must not be an artefact of the settings.
      if (set_aside(c, e, o.set_aside)) continue;
      ++o.in_scope;
      if (in_classes(c, e.cls)) {
        ++o.count;
        if (c.kind == ClaimKind::forbids) o.offending.push_back(e.index);
      }
    }
    o.ci = binomial_interval_95(o.count, o.in_scope);
    if (c.kind == ClaimKind::none) o.verdict = Verdict::no_prediction;
    else if (o.in_scope == 0) o.verdict = Verdict::inconclusive;
    else if (c.kind == ClaimKind::forbids)
      o.verdict = o.count == 0 ? Verdict::consistent : Verdict::inconsistent;
    else o.verdict = o.count > 0 ? Verdict::consistent : Verdict::inconclusive;
    out.push_back(std::move(o));
  }
  return out;
}

std::string format_observation(const Observation& o) {
  std::ostringstream os;
  const Claim& c = o.claim;
  std::string classes;
  for (std::size_t i = 0; i < c.classes.size(); ++i) classes += (i ? "/" : "") + c.classes[i];
  const std::string scope = c.scope == ClaimScope::all ? "" : " " + to_string(c.scope);
  if (c.kind == ClaimKind::not_applicable) {
    os << "not applicable: " << c.statement << " (" << c.source << ") - " << c.why;
    return os.str();
  }
  if (c.kind == ClaimKind::forbids) {
    os << "predicted: no " << classes << (scope.empty() ? "" : " among" + scope + " endpoints")
       << " (" << c.source << ") - observed " << o.count << " of " << o.in_scope;
    if (o.in_scope > 0)
      os << (o.count == 0 ? " (rate < " + fmt_g(o.ci.hi) + " at 95%)"
                          : " (rate " + fmt_g(o.ci.lo) + " to " + fmt_g(o.ci.hi) + " at 95%)");
  } else if (c.kind == ClaimKind::exists) {
    os << "predicted: " << classes << " can occur (" << c.source << ") - observed " << o.count << " of "
       << o.in_scope;
  } else {
    os << "no theorem applies (" << c.why << ") - observed " << o.count << " " << classes << " of " << o.in_scope;
  }
  os << " - " << to_string(o.verdict);
  if (o.not_critical > 0) os << "; " << o.not_critical << " not at a critical point (not counted)";
  const Observation::SetAside& s = o.set_aside;
  if (s.total() > 0) {
    os << "; " << s.total() << " set aside as evidence (";
    const char* sep = "";
    if (s.tolerance) os << sep << s.tolerance << " change class within tolerances x0.1-x10", sep = ", ";
    if (s.refinement) os << sep << s.refinement << " refinement did not converge", sep = ", ";
    if (s.kink) os << sep << s.kink << " at a kink", sep = ", ";
    if (s.dynamics) os << sep << s.dynamics << " unrefined and still on the plateau or descending";
    os << ")";
  }
  return os.str();
}

std::string format_claims(const Model& m, const DataFacts& f, const std::vector<Claim>& claims) {
  std::ostringstream os;
  os << to_string(m.family) << " dims " << dims_text(m.dims) << ", n = " << f.n << ", rank X = " << f.rank_x
     << ", rank Y = " << f.rank_y << "\n";
  for (const auto& c : claims) {
    os << "  [" << c.source << "] " << c.statement;
    if (c.kind == ClaimKind::forbids) {
      os << "\n      predicts: no ";
      for (std::size_t i = 0; i < c.classes.size(); ++i) os << (i ? " / " : "") << c.classes[i];
      if (c.scope != ClaimScope::all) os << " among " << to_string(c.scope) << " endpoints";
    } else if (c.kind == ClaimKind::exists) {
      os << "\n      predicts: " << c.classes.front() << " can occur (not observing it contradicts nothing)";
    } else if (c.kind == ClaimKind::not_applicable) {
      os << "\n      not applicable here: nothing is predicted";
    }
    os << "\n      because: " << c.why << "\n";
  }
  return os.str();
}

}  // namespace landscape
