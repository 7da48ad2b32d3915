// Running experiments: sample many networks (train → Hessian → classify) or classify one point.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "landscape/backend.hpp"
#include "landscape/classify.hpp"
#include "landscape/config.hpp"
#include "landscape/point.hpp"

namespace landscape {

/// One trained network's endpoint.
struct EndpointRecord {
  long index = 0;
  PointClass cls = PointClass::diverged;
  math::TrainStatus train_status = math::TrainStatus::budget;
  long steps = 0;
  double loss = 0, grad_norm = 0, kink_distance = 0;  ///< float64, at the endpoint
  bool finite = false;
  SpectrumSummary spectrum;
  std::vector<double> eigenvalues;  ///< all P, only when output.spectrum is set
};

/// Where L* came from: a closed form (MATH.md §3) or the best loss found ("empirical").
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
  double seconds_train = 0, seconds_analyze = 0, seconds_total = 0;
  std::vector<std::string> warnings;
};

/// Called after each chunk with (networks done, total).
using Progress = std::function<void(long, long)>;

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
  PointFacts facts;
  std::vector<double> eigenvalues;
  SpectrumSummary spectrum;
  GlobalOptimum optimum;
  double loss_scale = 1;
  Tolerances tol;
  PointClass cls = PointClass::diverged;
  int restarts = 0;  ///< restarts used for an empirical optimum (0 for closed form)
};

/// Classifies one user-given point (the `classify` command).
PointReport classify_single(const Point& p, const Tolerances& tol, const RestartSpec& rs,
                            Backend& backend);

}  // namespace landscape
