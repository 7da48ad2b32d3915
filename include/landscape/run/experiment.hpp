// Running experiments: sample many networks (train → Hessian → classify → decide) or classify
// one point.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "landscape/analysis/lanczos.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/core/records.hpp"
#include "landscape/core/settings.hpp"

namespace landscape {

/// Called after each chunk with (networks done, total).
using Progress = std::function<void(long, long)>;

/// The fixed context of one cell from its config: the data, the loss scale and the training
/// settings made absolute against it.
CellContext make_cell_context(const ExperimentConfig& c);
/// The same on given data (a cell's X and Y as a database stored them), which must fit the
/// model (throws Error otherwise).
CellContext make_cell_context(const ExperimentConfig& c, Dataset data);

/// The dynamics of one trained network (docs/math.md §7a): initial loss, escape step, loss
/// drop, and the two flags; `loss_tol_abs` (loss_tol · loss_scale) decides "still descending".
DynamicsInfo dynamics_of(const math::TrainOutcome& o, double loss_tol_abs);

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

/// The same check for classifying one point: throws Error naming the point's source and
/// model.dims when its Hessian and decisions cannot fit in `available` bytes (0: no check).
void check_point_memory(const Point& p, double available);

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

/// L* for a cell from every endpoint's loss: the closed form, or the best finite loss.
GlobalOptimum cell_optimum(const CellContext& ctx, const std::vector<EndpointRecord>& endpoints);

/// The final classes and escape tests of `endpoints` (any subset of a cell: each is decided on
/// its own, so the split does not change them) against `opt`; `candidates` holds the weights of
/// the PSD endpoints, which the escape test needs. On ctx.threads threads.
void finalize_endpoints(const CellContext& ctx, const GlobalOptimum& opt, std::vector<EndpointRecord>& endpoints,
                        const std::map<long, std::vector<double>>& candidates);

/// Appends the cell's warnings (an endpoint below a closed-form optimum, kinks).
void cell_warnings(const CellContext& ctx, const GlobalOptimum& opt, const std::vector<EndpointRecord>& endpoints,
                   std::vector<std::string>& warnings);

/// cell_optimum, finalize_endpoints of every endpoint and cell_warnings: L* for the cell, then
/// the final classes and escape tests of every endpoint. Appends warnings (loss below a closed
/// form, kinks).
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

/// What classify_single does beyond the class: the large-P switch and the optional geometry.
struct PointOptions {
  /// The dense Hessian path (every eigenvalue) is taken while its memory, dense_hessian_bytes,
  /// stays at or below this many MiB; above it the spectrum is partial: the `lanczos_k`
  /// smallest and largest eigenvalues by Lanczos on exact Hessian-vector products.
  double max_dense_mb = kDefaultMaxDenseMb;
  int lanczos_k = 20;
  int vectors = 0;      ///< report the eigenvectors of this many smallest eigenvalues
  bool blocks = true;   ///< report the per-layer Hessian blocks (dense path only)
  /// Where notes and progress lines go (stderr in the CLI); none when empty.
  std::function<void(const std::string&)> note;
};

/// Classifies one user-given point (the `classify` command), refinement and escape test included.
/// Against p.global_loss where the point gives one (only where no closed form applies: else an
/// Error naming the field), else the closed form, else the best of the point and the restarts.
PointReport classify_single(const Point& p, const DecideSettings& settings, const RestartSpec& rs,
                            Backend& backend, const PointOptions& options = {});

}  // namespace landscape
