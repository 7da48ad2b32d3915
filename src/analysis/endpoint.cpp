// One endpoint from facts to final class: refinement, spectra at three tolerance levels, symmetry,
// openness (describe_endpoint), then L*, classification and the escape test (finalize_endpoint).
#include "landscape/analysis/endpoint.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "landscape/analysis/classify.hpp"
#include "landscape/analysis/escape.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/analysis/openness.hpp"
#include "landscape/analysis/optimum.hpp"
#include "landscape/analysis/refine.hpp"
#include "landscape/analysis/symmetry.hpp"
#include "landscape/core/linalg.hpp"

namespace landscape {
namespace {

void summarize_levels(const double* ev, int P, double eig_rtol, EndpointRecord& e) {
  for (int l = 0; l < 3; ++l) e.spectrum[std::size_t(l)] = summarize_spectrum(ev, P, eig_rtol * kTolFactor[l]);
}

/// λ_{k+1} for k = orbit_dim + data_null_dim (the smallest eigenvalue once the k known near-zero
/// ones are set aside: on the normal space when the near-null space is the known one)
/// and a bound on the floating-point error of the computed spectrum: the Hessian is formed by
/// P Hessian-vector products and the symmetric eigensolver is backward stable, each with an
/// error of a modest multiple of P·ε·‖H‖₂ (‖H‖₂ = max|λ|); 10·P·ε·‖H‖₂ bounds both with room.
void set_normal_margin(const double* ev, int P, SymmetryInfo& sym) {
  double hmax = 0;
  for (int k = 0; k < P; ++k) hmax = std::max(hmax, std::abs(ev[k]));
  sym.spectrum_error = 10.0 * double(P) * std::numeric_limits<double>::epsilon() * hmax;
  const int k = sym.orbit_dim + sym.data_null_dim;
  if (k >= P) {
    sym.normal_margin = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  std::vector<double> sorted(ev, ev + P);
  std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
  sym.normal_margin = sorted[std::size_t(k)];
}

/// The certificate of a minimum (docs/math.md §7): a critical point to the refinement's
/// tolerance (‖∇L‖ ≤ `critical_grad`: the Morse–Bott argument is about an exact critical point,
/// which an endpoint of gradient descent stopped at the classification tolerance is not), PSD to
/// tolerance, excess degeneracy 0 (the near-null space has exactly the known null space's
/// dimension, so at a critical point it is that space, the tangent space of the loss-preserving
/// orbit of the symmetries and the data's null directions: a Morse–Bott point), not at a kink, and a
/// margin above the spectrum's error.
MinimumCertificate certify_minimum(const EndpointRecord& e, const Tolerances& tol, double critical_grad) {
  MinimumCertificate c;
  c.status = e.cls == PointClass::global_minimum ? "loss_only" : "no_descent_found";
  if (!e.symmetry) return c;
  c.margin = e.symmetry->normal_margin;
  c.error_bound = e.symmetry->spectrum_error;
  const bool kink = e.near_kink || (std::isfinite(e.kink_distance) && e.kink_distance < tol.kink);
  if (e.finite && !kink && e.grad_norm <= critical_grad && e.nominal_spectrum().n_negative == 0 &&
      e.symmetry->excess == 0 &&
      std::isfinite(c.margin) && c.margin > c.error_bound)
    c.status = "certified";
  return c;
}

}  // namespace

double decision_memory_bytes(const Model& m) {
  const double P = double(m.param_count()), K = double(orbit_dimension_max(m));
  const double small = std::min(P, K);
  // Orbit: T (P×K), with X of rank below d0 also T in col(X)'s coordinates (at most P×K), and
  // the SVD's copy of one of them, its U/V blocks or the K×K Gram matrix and its solver (at most
  // 3·min(P, K)²). Refinement and escape: H, its eigenvectors and the solver's workspace (3·P²).
  // Both are held at once only in the worst case; the sum stays an upper bound.
  return sizeof(double) * (3.0 * P * K + 3.0 * small * small + 3.0 * P * P);
}

/// Closed form where docs/math.md §3 has one; otherwise the best finite loss among `losses`.
GlobalOptimum find_optimum(const Model& m, const Dataset& d, const std::vector<double>& losses) {
  GlobalOptimum g;
  if (auto v = closed_form_optimum(m, d)) {
    g.value = *v;
    g.kind = "closed_form";
    return g;
  }
  g.kind = "empirical";
  g.value = std::numeric_limits<double>::infinity();
  for (double l : losses)
    if (std::isfinite(l)) g.value = std::min(g.value, l);
  return g;
}


/// Everything about one endpoint that does not depend on L*: optional refinement (which
/// replaces `w` and the facts by the refined point), spectra at three tolerance levels,
/// symmetry and openness. Returns true when the endpoint is PSD to tolerance at some level,
/// i.e. a candidate for the escape test.
bool describe_endpoint(const EndpointProblem& pb, bool keep_spectrum, std::vector<double>& w,
                       const PointFacts& facts, const double* ev, EndpointRecord& e) {
  const Model& m = pb.model;
  const Dataset& d = pb.data;
  const double loss_scale = pb.loss_scale;
  const DecideSettings& s = pb.settings;
  const int P = int(m.param_count());
  e.finite = facts.finite;
  e.loss = facts.loss;
  e.grad_norm = facts.grad_norm;
  e.kink_distance = facts.kink_distance;
  if (!e.finite) return false;
  summarize_levels(ev, P, s.tol.eig, e);
  // A Hessian that overflowed (non-finite eigenvalues) says nothing about curvature: the point
  // is not finite (diverged), so it is stored as such and never becomes an escape candidate.
  if (!e.nominal_spectrum().finite) {
    e.finite = false;
    return false;
  }
  std::vector<double> refined_ev;
  if (s.refine.enabled) {
    const RefineResult r = refine_critical_point(m, d, w.data(), loss_scale, s.refine);
    RefineSummary rs;
    rs.converged = r.converged;
    rs.iterations = r.iterations;
    rs.distance = r.distance;
    rs.grad_norm_before = r.grad_norm_before;
    rs.grad_norm_after = r.grad_norm_after;
    rs.loss_before = r.loss_before;
    rs.loss_after = r.loss_after;
    rs.spectrum_before = e.nominal_spectrum();
    e.refined = rs;
    const PointFacts f = point_facts(m, d, r.weights.data());
    if (f.finite) {
      w = r.weights;
      e.loss = f.loss;
      e.grad_norm = f.grad_norm;
      e.kink_distance = f.kink_distance;
      const HessianResult h = exact_hessian(m, d, w.data());
      refined_ev = symmetric_eigenvalues(h.H.data(), P);
      ev = refined_ev.data();
      summarize_levels(ev, P, s.tol.eig, e);
      if (!e.nominal_spectrum().finite) {
        e.finite = false;
        return false;
      }
    }
  }
  if (keep_spectrum) e.eigenvalues.assign(ev, ev + P);
  SymmetryInfo sym;
  sym.orbit_dim_max = int(orbit_dimension_max(m));
  const KnownNullSpace known = known_null_space(m, d, w.data(), s.rank_tol, pb.columns);
  sym.orbit_dim = known.orbit;
  sym.data_null_dim = known.data;
  sym.near_zero = e.nominal_spectrum().n_near_zero;
  sym.excess = sym.near_zero - sym.orbit_dim - sym.data_null_dim;
  set_normal_margin(ev, P, sym);
  e.symmetry = sym;
  e.openness = openness(m, w.data(), s.rank_tol);
  const Tolerances hi = s.tol.scaled(kTolFactor[kTolHi]);
  return e.grad_norm <= hi.grad * loss_scale && e.spectrum[kTolHi].n_negative == 0;
}

/// Classes at the three tolerance levels, with the escape test wherever the second-order
/// verdict is `degenerate`. `w` is the endpoint (required when it is a candidate).
void finalize_endpoint(const EndpointProblem& pb, const GlobalOptimum& opt, const double* w,
                       EndpointRecord& e, const Eigenpairs* partial) {
  const Model& m = pb.model;
  const Dataset& d = pb.data;
  const double loss_scale = pb.loss_scale;
  const DecideSettings& s = pb.settings;
  std::array<PointClass, 3> second{};
  for (int l = 0; l < 3; ++l)
    second[std::size_t(l)] = classify_point(e.finite, e.loss, e.grad_norm, e.spectrum[std::size_t(l)],
                                            opt.value, loss_scale, s.tol.scaled(kTolFactor[l]));
  if (e.refined)
    e.refined->class_before = classify_point(e.finite, e.refined->loss_before, e.refined->grad_norm_before,
                                             e.refined->spectrum_before, opt.value, loss_scale, s.tol);
  const bool need_escape = std::any_of(second.begin(), second.end(),
                                       [](PointClass c) { return c == PointClass::degenerate; });
  double drop = 0;
  if (need_escape && w) {
    std::vector<double> values, vectors;
    if (partial) {
      values = partial->values;
      vectors = partial->vectors;
    } else {
      hessian_eigensystem(m, d, w, values, vectors);
    }
    const int P = int(m.param_count());
    const int count = int(values.size());
    // Near-null eigenvectors (loosest threshold), smallest |λ| first.
    const double thr = e.spectrum[kTolHi].eig_threshold;
    std::vector<int> idx;
    for (int i = 0; i < count; ++i)
      if (std::abs(values[std::size_t(i)]) <= thr) idx.push_back(i);
    std::sort(idx.begin(), idx.end(), [&](int a, int b) {
      return std::abs(values[std::size_t(a)]) < std::abs(values[std::size_t(b)]);
    });
    std::vector<double> nullv(idx.size() * std::size_t(P));
    for (std::size_t j = 0; j < idx.size(); ++j)
      std::copy(vectors.begin() + std::ptrdiff_t(idx[j]) * P, vectors.begin() + std::ptrdiff_t(idx[j] + 1) * P,
                nullv.begin() + std::ptrdiff_t(j) * P);
    DataColumnSpace own;
    const DataColumnSpace* cols = &column_space_of(d, pb.columns, own);
    // The data's null directions lie in H's kernel at every point, so the near-null space holds
    // all d1·(d0 − rank X) of them; the loss never changes along them, and as exact zeros they
    // would come first and use up the probes (docs/math.md §7 step 5).
    EscapeQuery q;
    q.null_count = int(idx.size());
    q.null_space_dim = q.null_count;
    if (cols->rank < d.d0) {
      remove_data_null_directions(m, *cols, nullv.data(), q.null_count);
      q.projected = true;
      q.null_space_dim = std::max(0, q.null_count - m.dims[1] * (d.d0 - cols->rank));
    }
    q.null_vectors = std::move(nullv);
    q.drop_target = s.tol.scaled(kTolFactor[kTolLo]).loss * loss_scale;
    q.stop_drop = s.tol.scaled(kTolFactor[kTolHi]).loss * loss_scale;
    EscapeResult r = escape_test(m, d, w, q, s.escape);
    r.escaped = r.loss_drop > s.tol.loss * loss_scale;
    if (!r.escaped) r.direction.clear();  // a witness only where there is an escape
    drop = r.loss_drop;
    e.escape = std::move(r);
  }
  for (int l = 0; l < 3; ++l)
    e.cls_by_tol[std::size_t(l)] =
        resolve_degenerate(second[std::size_t(l)], drop, loss_scale, s.tol.scaled(kTolFactor[l]));
  e.raw_class = second[kTolNominal];
  e.cls = e.cls_by_tol[kTolNominal];
  e.minimum.reset();
  if (e.cls == PointClass::global_minimum || e.cls == PointClass::spurious_local_minimum)
    e.minimum = certify_minimum(e, s.tol, s.refine.grad_rtol * loss_scale);
}


}  // namespace landscape
