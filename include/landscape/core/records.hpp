// The result types every layer passes around: an endpoint's record and the evidence behind its
// class, the optimum, what a chunk, a cell and a single-point classification produce, and the
// point a user gives. Plain data; this header depends on nothing above core.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/settings.hpp"
#include "landscape/core/stats.hpp"
#include "landscape/math/facts.hpp"
#include "landscape/math/train.hpp"

namespace landscape {

/// Endpoint classes. `degenerate` (PSD to tolerance, above L*) is a second-order verdict only:
/// the escape test turns it into `non_strict_saddle` or `spurious_local_minimum`.
enum class PointClass {
  diverged,
  not_critical,
  global_minimum,
  strict_saddle,
  non_strict_saddle,
  spurious_local_minimum,
  degenerate
};
inline constexpr int kNumClasses = 7;

std::string to_string(PointClass c);
/// The inverse of to_string(PointClass) (throws Error).
PointClass parse_point_class(const std::string& s);

/// "converged", "budget" or "diverged"; parse_train_status is its inverse (throws Error).
std::string to_string(math::TrainStatus s);
math::TrainStatus parse_train_status(const std::string& s);

/// What a theorem says about the endpoint classes it lists: `forbids` (no endpoint of those
/// classes within the claim's scope), `exists` (such endpoints exist for some data or init; not
/// observing them contradicts nothing), `none` (no theorem applies) or `not_applicable` (a
/// theorem whose hypotheses fail on this data, or whose scope holds no critical point by
/// construction: listed with the reason, never judged).
enum class ClaimKind { forbids, exists, none, not_applicable };
/// Endpoints a claim speaks about: all | degenerate (rank W_h⋯W_1 < min d_i) | non_degenerate |
/// full_row_rank (every W_i of full row rank).
enum class ClaimScope { all, degenerate, non_degenerate, full_row_rank };
/// A claim against the endpoints observed ("no prediction" for kind `none`).
enum class Verdict { consistent, inconsistent, inconclusive, no_prediction, not_applicable };

/// "forbids", "exists", "none", "not_applicable"; parse_claim_kind is its inverse (throws Error).
std::string to_string(ClaimKind k);
ClaimKind parse_claim_kind(const std::string& s);
/// "all", "degenerate", "non_degenerate", "full_row_rank"; parse_claim_scope is its inverse.
std::string to_string(ClaimScope s);
ClaimScope parse_claim_scope(const std::string& s);
/// "consistent", "inconsistent", "inconclusive", "no prediction", "not applicable"; parse_verdict is its inverse.
std::string to_string(Verdict v);
Verdict parse_verdict(const std::string& s);

/// One theorem of docs/math.md §4, applied to an architecture and data (analysis/theory's
/// theory_claims builds them).
struct Claim {
  std::string id;         ///< short identifier, e.g. "NR-Thm5"
  std::string source;     ///< e.g. "N&R Thm 5"
  std::string statement;  ///< what it says, in words
  ClaimKind kind = ClaimKind::none;
  std::vector<std::string> classes;  ///< classes forbidden (or predicted to exist)
  ClaimScope scope = ClaimScope::all;
  std::string why;        ///< which conditions hold (or fail), with the numbers

  bool operator==(const Claim& o) const {
    return id == o.id && source == o.source && statement == o.statement && kind == o.kind &&
           classes == o.classes && scope == o.scope && why == o.why;
  }
};

/// A claim next to what was observed (analysis/theory's check_claims builds them).
struct Observation {
  Claim claim;
  long in_scope = 0;            ///< endpoints the claim speaks about
  long count = 0;               ///< of those, endpoints in the claim's classes
  Interval ci;                  ///< 95% interval of count / in_scope
  Verdict verdict = Verdict::inconclusive;
  std::vector<long> offending;  ///< network indices contradicting a "forbids" claim
  /// Endpoints not taken as evidence (left out of in_scope and count), by reason: for a
  /// "forbids" claim, membership in its classes changes within the tolerance range ×0.1 … ×10;
  /// in its classes but refinement did not converge; at a leaky-ReLU kink (any claim);
  /// unrefined and unsettled by training (any claim).
  /// Near-kink endpoints are left out whatever their class (their Hessian is undefined, so no
  /// second-order verdict about them stands); `dynamics`: an unrefined endpoint still on its
  /// initial plateau or still descending when its budget ran out (in the classes or not).
  struct SetAside {
    long tolerance = 0, refinement = 0, kink = 0, dynamics = 0;
    long total() const { return tolerance + refinement + kink + dynamics; }
  } set_aside;
  /// In scope but not at a critical point (final class diverged or not_critical): claims speak
  /// of critical points, so these are not counted in in_scope.
  long not_critical = 0;
};

/// First-order facts at a point, in float64 (shared with the device code).
using PointFacts = math::PointFacts;

/// Counts and extremes of a spectrum against the eigenvalue threshold.
struct SpectrumSummary {
  double lambda_min = 0, lambda_max = 0, eig_threshold = 0;
  int n_negative = 0, n_near_zero = 0, n_positive = 0;
  bool finite = true;  ///< every eigenvalue finite (an overflowing Hessian makes them NaN)
};

/// Witness and budget of an escape test.
struct EscapeResult {
  bool escaped = false;
  std::string method;              ///< null_eigenvector | null_space_random | random | perturbed_descent
  std::vector<double> direction;   ///< unit witness direction (for perturbed descent: w_end − w, normalized)
  double step = 0;                 ///< distance along the direction
  double loss_drop = 0;            ///< best L(w) − L(w') found over all probes (≥ 0)
  long probes = 0;                 ///< loss evaluations spent
  long descent_steps = 0;          ///< gradient steps spent in perturbed descent
  int null_space_dim = 0;          ///< dimension of the near-null space probed: H's near-null eigenspace less the data's null directions
};

struct SymmetryInfo {
  int orbit_dim = 0;      ///< rank of the symmetry orbit's tangent map at w (docs/math.md §6)
  int orbit_dim_max = 0;  ///< Σ d_i² (linear) or Σ d_i (leaky ReLU) over hidden layers
  /// The data's null directions beyond the orbit's (δW_1 = A·Zᵀ, Z ⊥ col(X): the loss is
  /// constant along them; d1·(d0 − rank X) when the orbit shares none, docs/math.md §6)
  int data_null_dim = 0;
  int near_zero = 0;      ///< observed near-zero Hessian eigenvalues
  int excess = 0;         ///< near_zero − orbit_dim − data_null_dim: beyond the known null space
  /// λ_{k+1}, k = orbit_dim + data_null_dim (ascending, 1-based): the smallest eigenvalue once
  /// the k known near-zero ones are set aside; NaN when k ≥ P.
  double normal_margin = 0;
  double spectrum_error = 0;  ///< floating-point error bound of the eigenvalues: 10·P·ε·max|λ|
};

struct PartialRank {
  int from = 0, to = 0;  ///< product W_to ⋯ W_from (1-based layers)
  int rank = 0;
};

struct OpennessInfo {
  std::vector<int> layer_ranks;       ///< rank W_i, i = 1..h
  std::vector<PartialRank> partial;   ///< every contiguous product W_j ⋯ W_i, j > i
  int product_rank = 0;               ///< rank W_h ⋯ W_1
  int min_width = 0;                  ///< min_i d_i
  std::optional<bool> non_degenerate; ///< deep linear: product_rank == min_width
  std::optional<bool> locally_open;   ///< two-layer linear: N&R Thm 2 / Behrends verdict
  std::string openness_rule;          ///< which rule decided locally_open
  std::optional<bool> all_full_row_rank;  ///< leaky ReLU: N&R Lemma 3's condition
};

/// How training went (docs/math.md §7a), from what every training loop tracks.
struct DynamicsInfo {
  double initial_loss = 0;  ///< loss at step 0 (training precision)
  long escape_step = -1;    ///< first step off the initial plateau; −1: never left it
  double loss_drop = 0;     ///< initial loss − final training loss
  double late_loss = 0;     ///< loss at math::late_step(budget), for still_descending
  bool on_plateau = false;  ///< never left the initial plateau
  /// Ran out of budget while the loss was still falling: more than the loss tolerance lost over
  /// the last tenth of the budget.
  bool still_descending = false;
  /// "plateau", "descending" or "settled" (on_plateau wins over still_descending).
  std::string label() const { return on_plateau ? "plateau" : still_descending ? "descending" : "settled"; }
  /// The endpoint is not where training came to rest on the landscape.
  bool unsettled() const { return on_plateau || still_descending; }
};

/// Second-order certificate of a minimum (docs/math.md §7, certified minima): the Hessian is
/// PSD and its near-null space has exactly the dimension of the symmetry orbit.
struct MinimumCertificate {
  /// "certified" (Morse–Bott argument), "no_descent_found" (spurious_local_minimum on the
  /// escape test alone) or "loss_only" (global_minimum by its loss, second order not clean).
  std::string status;
  double margin = 0;       ///< smallest eigenvalue on the orbit's normal space, λ_{k+1}
  double error_bound = 0;  ///< floating-point error bound of the computed spectrum
  bool certified() const { return status == "certified"; }
};

/// Refinement outcome as reported (the refined weights are not kept).
struct RefineSummary {
  bool converged = false;
  int iterations = 0;
  double distance = 0, grad_norm_before = 0, grad_norm_after = 0, loss_before = 0, loss_after = 0;
  PointClass class_before = PointClass::diverged;  ///< second-order class of the raw endpoint
  SpectrumSummary spectrum_before;                 ///< raw endpoint, nominal eigenvalue tolerance
};

/// One endpoint: first- and second-order facts, decisions and their evidence.
struct EndpointRecord {
  long index = 0;
  PointClass cls = PointClass::diverged;        ///< final class (nominal tolerances)
  PointClass raw_class = PointClass::diverged;  ///< second-order class before the escape test
  std::array<PointClass, 3> cls_by_tol{};       ///< final class at tolerances ×0.1, ×1, ×10
  math::TrainStatus train_status = math::TrainStatus::budget;
  long steps = 0;
  double loss = 0, grad_norm = 0, kink_distance = 0;  ///< float64, at the (refined) endpoint
  bool finite = false;
  std::array<SpectrumSummary, 3> spectrum{};    ///< at eigenvalue tolerances ×0.1, ×1, ×10
  std::vector<double> eigenvalues;              ///< all P, only when output.spectrum is set
  std::optional<RefineSummary> refined;
  std::optional<EscapeResult> escape;
  std::optional<SymmetryInfo> symmetry;
  std::optional<OpennessInfo> openness;
  double wall_time = 0;  ///< seconds of this network's chunk, per network
  bool near_kink = false;  ///< leaky ReLU: a pre-activation within kink_tol of the kink
  std::optional<DynamicsInfo> dynamics;        ///< trained endpoints (not a user's point)
  std::optional<MinimumCertificate> minimum;   ///< global_minimum and spurious_local_minimum

  const SpectrumSummary& nominal_spectrum() const { return spectrum[kTolNominal]; }
};

/// Where L* came from: a closed form (docs/math.md §3) or the best loss found ("empirical").
struct GlobalOptimum {
  double value = 0;
  std::string kind;  ///< "closed_form" or "empirical"
};

/// The fixed context of one cell: its config, data and absolute thresholds
/// (run/experiment's make_cell_context builds it).
struct CellContext {
  ExperimentConfig cfg;
  Dataset data;
  double loss_scale = 1;
  TrainSettings train;
  int threads = 1;
};

struct SampleResult {
  ExperimentConfig config;
  std::vector<SweptValue> swept;  ///< the cell's swept values (none outside a sweep)
  std::string backend, device;
  Dataset data;
  GlobalOptimum optimum;
  double loss_scale = 1;
  std::vector<EndpointRecord> endpoints;
  std::array<long, kNumClasses> counts{};
  /// Weights of endpoints that might be spurious minima or non-strict saddles (PSD at some
  /// tolerance level), kept so they can be exported as POINT.json.
  std::map<long, std::vector<double>> candidate_weights;
  double seconds_train = 0, seconds_analyze = 0, seconds_decide = 0, seconds_total = 0;
  std::vector<std::string> warnings;
  std::vector<Observation> theory;        ///< the oracle's claims with what was observed
  std::vector<std::string> theory_lines;  ///< the same, one readable line each
};

/// What summary.json's "run" says about the run that wrote it.
struct RunInfo {
  long run_id = 0;
  std::string database;     ///< path of the results database
  std::string config_hash;
  bool resumed = false;
  double seconds_this_process = 0;
  long networks_this_process = 0;
};

/// What one chunk of networks produced.
struct ChunkResult {
  std::vector<EndpointRecord> endpoints;
  std::vector<double> weights;  ///< endpoints.size() × P trained endpoints, before refinement
  std::map<long, std::vector<double>> candidates;  ///< weights of PSD-at-some-tolerance endpoints
  std::vector<double> curves;                      ///< endpoints.size() × curve_len (if enabled)
  int curve_len = 0, curve_every = 0;
  double seconds_train = 0, seconds_analyze = 0, seconds_decide = 0;
};

/// A chunk of networks after training, before analysis.
struct TrainedChunk {
  std::vector<long> indices;
  std::vector<double> weights;               ///< indices.size() × P endpoints
  std::vector<math::TrainOutcome> outcomes;  ///< one per network
  std::vector<double> curves;                ///< indices.size() × curve_len (if enabled)
  double seconds_train = 0;                  ///< backend.train alone
  double seconds_work = 0;                   ///< initialization and training
};

/// One network given by a user (POINT.json): architecture, data, weights.
struct Point {
  Model model;
  Dataset data;
  std::vector<double> weights;  ///< packed [vec(W_1); …; vec(W_h)], each row-major
  std::string source;           ///< where it came from (for messages)
  /// The decision settings the point is to be classified with (POINT.json "settings", e.g.
  /// those of the sweep it was taken from); defaults and command-line options when absent.
  std::optional<DecideSettings> settings;
  /// L* to classify against where no closed form applies (the sweep's empirical optimum), in
  /// place of the restarts; absent: the restarts estimate it.
  std::optional<double> global_loss;
};

/// Eigenpairs of a Hessian: `count` eigenvalues ascending and their unit eigenvectors, row-major
/// count × P (analysis/geometry and analysis/lanczos fill it).
struct Eigenpairs {
  std::vector<double> values;
  std::vector<double> vectors;
  int count = 0, P = 0;
  const double* vector(int i) const { return vectors.data() + std::size_t(i) * std::size_t(P); }
};

/// The Hessian's h × h block structure by layer: block (i, j) is ∂²L/∂vec(W_i)∂vec(W_j).
struct HessianBlocks {
  int layers = 0;                  ///< h
  std::vector<double> frobenius;   ///< h × h row-major: ‖H_ij‖_F
  std::vector<double> lambda_min;  ///< per diagonal block H_ii, its smallest eigenvalue
  std::vector<double> lambda_max;  ///< and its largest
};

/// The classification of one user-given point.
struct PointReport {
  EndpointRecord endpoint;          ///< facts, spectra, decisions (index 0)
  std::vector<double> eigenvalues;  ///< all P at the (refined) point
  GlobalOptimum optimum;
  double loss_scale = 1;
  DecideSettings settings;
  int restarts = 0;  ///< restarts used for an empirical optimum (0 for closed form)
  /// "full" (every eigenvalue, dense solver) or "partial" (Lanczos: `eigenvalues` holds the
  /// spectrum_k smallest, `eigenvalues_largest` the spectrum_k largest, both ascending).
  std::string spectrum = "full";
  int spectrum_k = 0;
  std::vector<double> eigenvalues_largest;
  long hessian_vector_products = 0;     ///< partial spectrum: products the Lanczos runs used
  double dense_bytes = 0;               ///< memory the dense path needs (estimated up front)
  std::optional<Eigenpairs> vectors;    ///< with --vectors K: the K smallest eigenpairs
  std::optional<HessianBlocks> blocks;  ///< per-layer blocks (dense path)
};

}  // namespace landscape
