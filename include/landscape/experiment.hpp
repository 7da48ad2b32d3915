// Running experiments: sample many networks (train → Hessian → classify → decide) or classify
// one point.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "landscape/backend.hpp"
#include "landscape/classify.hpp"
#include "landscape/config.hpp"
#include "landscape/decide.hpp"
#include "landscape/point.hpp"

namespace landscape {

/// Index of the tolerance levels kept for sensitivity analysis: ×0.1, ×1, ×10.
enum TolLevel { kTolLo = 0, kTolNominal = 1, kTolHi = 2 };
inline constexpr double kTolFactor[3] = {0.1, 1.0, 10.0};

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

  const SpectrumSummary& nominal_spectrum() const { return spectrum[kTolNominal]; }
};

/// Where L* came from: a closed form (docs/math.md §3) or the best loss found ("empirical").
struct GlobalOptimum {
  double value = 0;
  std::string kind;  ///< "closed_form" or "empirical"
};

struct SampleResult {
  ExperimentConfig config;
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
  std::string theory_json;                ///< the oracle's claims with observations (JSON array)
  std::vector<std::string> theory_lines;  ///< the same, one readable line each
};

/// Called after each chunk with (networks done, total).
using Progress = std::function<void(long, long)>;

/// The fixed context of one cell: its config, data and absolute thresholds.
struct CellContext {
  ExperimentConfig cfg;
  Dataset data;
  double loss_scale = 1;
  TrainSettings train;
  int threads = 1;
  explicit CellContext(const ExperimentConfig& c);
};

/// Host memory a cell needs at least, in bytes, split by what drives it.
struct MemoryEstimate {
  double analysis = 0;  ///< exact Hessians, spectra and eigenvectors being worked on, all threads
  double results = 0;   ///< every endpoint's record (and candidate weights) when the cell completes
};

/// The estimate for `c` analyzed on `threads` host threads.
MemoryEstimate estimate_memory(const ExperimentConfig& c, int threads);

/// Throws Error naming the field to change (model.dims, experiment.networks) when `c` cannot fit
/// in `available` bytes (0: unknown, no check), before anything is allocated or written.
/// Returns the estimate it checked.
MemoryEstimate check_memory(const ExperimentConfig& c, int threads, double available,
                  const std::string& source);

/// What one chunk of networks produced.
struct ChunkResult {
  std::vector<EndpointRecord> endpoints;
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

/// Initializes networks `indices` of a cell and trains them: the first half of process_chunk.
/// Calls only `backend.train`, so it may run on another thread while finish_chunk analyzes
/// another chunk (see train_ahead).
TrainedChunk train_chunk(const CellContext& ctx, Backend& backend, std::vector<long> indices);

/// Analyzes and describes a trained chunk: the second half of process_chunk.
ChunkResult finish_chunk(const CellContext& ctx, Backend& backend, TrainedChunk trained);

/// Trains, analyzes and describes networks `indices` of a cell (any subset, any order: network
/// i is always initialized from stream (seed, i), so results do not depend on the chunking).
ChunkResult process_chunk(const CellContext& ctx, Backend& backend, const std::vector<long>& indices);

/// Whether the chunk drivers (run_sample, run_sweep, bench) train chunk k+1 while chunk k is
/// analyzed: Backend::supports_overlap(), unless the environment variable LANDSCAPE_OVERLAP is
/// `0` (never) or `1` (always, whatever the backend says: results are the same either way, which
/// the tests check on the CPU backend).
bool train_ahead(const Backend& backend);

/// L* for the cell (closed form, or the best finite loss), then the final classes and escape
/// tests of every endpoint. Appends warnings (loss below a closed form, kinks).
GlobalOptimum finalize_cell(const CellContext& ctx, std::vector<EndpointRecord>& endpoints,
                            const std::map<long, std::vector<double>>& candidates,
                            std::vector<std::string>& warnings);

/// Runs one experiment on `backend`. Deterministic given the config: network i is initialized
/// from stream (seed, i) whatever the chunking, thread count or backend.
SampleResult run_sample(const ExperimentConfig& cfg, Backend& backend, const Progress& progress);

/// Settings for estimating an empirical optimum when no closed form applies.
struct RestartSpec {
  int restarts = 16;
  long steps = 5000;
  double lr = 1e-3;  ///< Adam step
  std::uint64_t seed = 12345;
};

struct PointReport {
  EndpointRecord endpoint;          ///< facts, spectra, decisions (index 0)
  std::vector<double> eigenvalues;  ///< all P at the (refined) point
  GlobalOptimum optimum;
  double loss_scale = 1;
  DecideSettings settings;
  int restarts = 0;  ///< restarts used for an empirical optimum (0 for closed form)
};

/// Classifies one user-given point (the `classify` command), refinement and escape test included.
PointReport classify_single(const Point& p, const DecideSettings& settings, const RestartSpec& rs,
                            Backend& backend);

}  // namespace landscape
