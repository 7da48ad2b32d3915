// The CPU reference backend (OpenMP over networks, each network running the single-source
// math, SIMD lanes of networks where a target is available): its class, shared by
// backends/cpu/backend.cpp, train.cpp and hessian.cpp.
#pragma once

#include <mutex>
#include <string>

#include "landscape/backends/backend.hpp"
#include "landscape/core/common.hpp"

namespace landscape::cpu {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads) : m_threads(thread_count(threads)) {}

  std::string name() const override { return "cpu"; }
  std::string device() const override;
  /// The FMA peak of this backend's threads, measured on first use (measure_fma_peak).
  double peak_flops(Precision p) const override;
  long preferred_chunk(const Model&) const override { return 32L * m_threads; }

  /// Training (train.cpp): every network of the batch on the OpenMP threads.
  void train_batch(const Model& m, const Dataset& d, const TrainSettings& st, std::size_t count,
                   double* weights, math::TrainOutcome* outcomes, double* curves) override;

  int host_threads() const override { return m_threads; }

  /// Facts, exact Hessians and their eigenvalues (hessian.cpp).
  void analyze_batch(const Model& m, const Dataset& d, std::size_t count, const double* weights,
               EndpointAnalysis* out, double* eigenvalues) override;

 private:
  // Seven parameters, as Backend::train plus the precision it is instantiated for.
  template <class T>
  void train_as(const Model& m, const Dataset& d, const math::TrainParams& p, std::size_t count,
                double* weights, math::TrainOutcome* outcomes, double* curves);

  int m_threads;
  mutable std::once_flag m_peak_once;
  mutable double m_peak[2] = {0, 0};  ///< FLOP/s, float32 then float64
};

}  // namespace landscape::cpu
