// The compute backend interface: batched training and batched float64 second-order analysis.
// Nothing outside a backend's own sources sees its device types.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "landscape/analysis/hessian.hpp"
#include "landscape/core/records.hpp"
#include "landscape/core/settings.hpp"
#include "landscape/core/data.hpp"
#include "landscape/math/train.hpp"
#include "landscape/core/model.hpp"

namespace landscape {

/// Analysis of one endpoint: float64 facts plus (when finite) its Hessian spectrum.
struct EndpointAnalysis {
  PointFacts facts;
  bool has_spectrum = false;  ///< false for non-finite points (no Hessian is formed)
};

/// Seconds spent in the stages of the last `analyze` call.
struct AnalyzeTimes {
  double hessian = 0, eigen = 0;
};

/// The eigen stage against a reference solver on the same Hessians (Backend::compare_eigen).
struct EigenComparison {
  std::size_t networks = 0;
  std::string solver;            ///< what the eigen stage used
  std::string reference;         ///< the reference solver
  double seconds = 0;            ///< the eigen stage
  double reference_seconds = 0;  ///< the reference alone, in as few calls as its limits allow
  double max_abs_difference = 0; ///< largest |λ − λ_ref| over all eigenvalues
  std::size_t solver_batch = 0;     ///< matrices per call of the eigen stage's solver (that worked)
  std::size_t reference_batch = 0;  ///< matrices per call of the reference
};

/// OpenMP's default thread count (omp_get_max_threads), without OpenMP in this header.
int omp_max_threads();

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;    ///< "cpu" or "cuda"
  virtual std::string device() const = 0;  ///< human-readable device description
  /// Peak arithmetic rate of the device in FLOP/s for the precision, 0 when unknown.
  virtual double peak_flops(Precision) const { return 0; }
  /// Stage times of the most recent `analyze` (wall-clock; on the CPU, summed over threads and
  /// divided by the thread count).
  AnalyzeTimes last_analyze_times() const { return m_times; }
  /// Networks per batch that keep the device busy (and progress reports frequent).
  virtual long preferred_chunk(const Model& m) const = 0;
  /// True when `train` may run on one thread while `analyze` runs on another, so callers can
  /// train the next chunk during the analysis of this one. Backends that already use every
  /// core inside each call (the CPU backend) say false.
  virtual bool supports_overlap() const { return false; }

  /// Trains `count` networks in place. `weights` holds count × P float64 values (initial
  /// weights in, endpoints out); training runs in `settings.precision`. Networks are
  /// independent: one diverging never affects another. `curves` (optional) receives
  /// count × params.curve_len loss samples (see math::train_network). A deep linear network
  /// with more samples than inputs trains on its compressed data (core/data.hpp: the same loss
  /// and gradient for d0 instead of n samples) unless `settings.compress` is false; every
  /// backend goes through here, so all train on the same data.
  // Seven parameters: every backend and caller shares this one per-chunk signature.
  void train(const Model& m, const Dataset& d, const TrainSettings& settings, std::size_t count,
             double* weights, math::TrainOutcome* outcomes, double* curves = nullptr);

  /// float64 facts and Hessian eigenvalues (ascending, count × P, NaN for non-finite points)
  /// at `count` points. With fewer samples than inputs, the Hessian is formed and solved in the
  /// first layer's reduced coordinates (core/data.hpp InputReduction, docs/math.md §2b: the
  /// same spectrum, whose d1·(d0 − n) structural zeros are exact) and the facts at the points
  /// as given; every backend goes through here, so all solve the same matrices.
  void analyze(const Model& m, const Dataset& d, std::size_t count, const double* weights,
               EndpointAnalysis* out, double* eigenvalues);

  /// Times the eigen stage on the Hessians at up to `count` points against the reference
  /// solver of the device alone on the same matrices (fewer networks where memory is short;
  /// the points must be finite). Returns false where the backend has no such reference.
  virtual bool compare_eigen(const Model&, const Dataset&, std::size_t /*count*/,
                             const double* /*weights*/, EigenComparison& /*out*/) {
    return false;
  }

 protected:
  /// The backend's trainer: `train` on the data as given (compressed or not) with
  /// settings.params.loss_offset set to the loss's constant part.
  // Seven parameters, as train.
  virtual void train_batch(const Model& m, const Dataset& d, const TrainSettings& settings,
                           std::size_t count, double* weights, math::TrainOutcome* outcomes,
                           double* curves) = 0;

  /// Threads for the host-side work around `analyze_batch` (the CPU backend's own count).
  virtual int host_threads() const { return omp_max_threads(); }

  /// The backend's analysis: `analyze` on the model and data as given to it. Sets m_times to
  /// this call's stage times (analyze adds its own work around it).
  virtual void analyze_batch(const Model& m, const Dataset& d, std::size_t count,
                             const double* weights, EndpointAnalysis* out,
                             double* eigenvalues) = 0;

  AnalyzeTimes m_times;
};

/// "cpu", "cuda" or "auto" (CUDA when built and a GPU is present, else CPU). `threads` ≤ 0
/// uses every core. CUDA uses visible device `device_slot` modulo the number of visible devices
/// (an MPI rank passes its node-local rank). Throws Error when "cuda" is asked for and
/// unavailable.
std::unique_ptr<Backend> make_backend(const std::string& kind, int threads, int device_slot = 0);

/// The CPU reference backend (OpenMP over networks).
std::unique_ptr<Backend> make_cpu_backend(int threads);

/// True when the CUDA backend was built and a device is visible.
bool cuda_available();

}  // namespace landscape
