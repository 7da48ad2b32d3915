// The CPU reference backend (OpenMP over networks, each network running the single-source
// math): its class, shared by backends/cpu/backend.cpp, train.cpp and hessian.cpp.
#pragma once

#include <string>

#include "landscape/backends/backend.hpp"
#include "landscape/core/common.hpp"

namespace landscape::cpu {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads) : m_threads(thread_count(threads)) {}

  std::string name() const override { return "cpu"; }
  std::string device() const override {
    return "CPU, " + std::to_string(m_threads) + " thread" + (m_threads == 1 ? "" : "s");
  }
  long preferred_chunk(const Model&) const override { return 32L * m_threads; }

  /// Training (train.cpp): every network of the batch on the OpenMP threads.
  void train(const Model& m, const Dataset& d, const TrainSettings& st, std::size_t count,
             double* weights, math::TrainOutcome* outcomes, double* curves) override;

  /// Facts, exact Hessians and their eigenvalues (hessian.cpp).
  void analyze(const Model& m, const Dataset& d, std::size_t count, const double* weights,
               EndpointAnalysis* out, double* eigenvalues) override;

 private:
  // Seven parameters, as Backend::train plus the precision it is instantiated for.
  template <class T>
  void train_as(const Model& m, const Dataset& d, const math::TrainParams& p, std::size_t count,
                double* weights, math::TrainOutcome* outcomes, double* curves);

  int m_threads;
};

}  // namespace landscape::cpu
