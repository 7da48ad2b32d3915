// What stands behind a cell's classes: training dynamics (plateau, budget, escape times),
// refinement sensitivity and certified minima, summarized over a cell's endpoints.
#pragma once

#include <array>
#include <cmath>
#include <vector>

#include "landscape/core/records.hpp"

namespace landscape {

/// Order statistics of a sample (NaN where the sample is empty); quantiles interpolate linearly.
struct Distribution {
  long count = 0;
  double min = NAN, q10 = NAN, median = NAN, q90 = NAN, max = NAN;
};
Distribution distribution_of(std::vector<double> values);

/// One cell's dynamics, refinement sensitivity and certificates.
struct VerdictSummary {
  long with_dynamics = 0;                  ///< endpoints that carry training dynamics
  std::array<long, 3> stopped{};           ///< by math::TrainStatus: converged, budget, diverged
  long on_plateau = 0;                     ///< never left the initial plateau
  long still_descending = 0;               ///< out of budget while the loss was still falling
  std::array<long, kNumClasses> plateau_classes{};     ///< final classes of on_plateau endpoints
  std::array<long, kNumClasses> descending_classes{};  ///< … of still_descending (not on_plateau) ones
  Distribution escape_step;                ///< over endpoints that left the plateau
  Distribution loss_drop;                  ///< initial − final training loss, every trained endpoint

  long refined = 0;                        ///< endpoints refined
  long refine_changed = 0;                 ///< second-order class differs between raw and refined point
  std::array<long, kNumClasses> raw_classes{}, refined_classes{};  ///< second-order classes
  PointClass raw_verdict = PointClass::diverged;      ///< most frequent raw class
  PointClass refined_verdict = PointClass::diverged;  ///< most frequent refined class
  bool verdict_flips = false;              ///< the two differ

  long global_minima = 0, global_certified = 0;
  long spurious_minima = 0, spurious_certified = 0;
};

/// The summary of a cell's (finished) endpoints.
VerdictSummary summarize_verdicts(const std::vector<EndpointRecord>& endpoints);

}  // namespace landscape
