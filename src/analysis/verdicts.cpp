// Summaries of training dynamics, refinement sensitivity and certified minima over a cell.
#include "landscape/analysis/verdicts.hpp"

#include <algorithm>

namespace landscape {
namespace {

double quantile_sorted(const std::vector<double>& v, double q) {
  const double pos = q * double(v.size() - 1);
  const std::size_t lo = std::size_t(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}

/// The most frequent class (the first in class order on a tie).
PointClass modal(const std::array<long, kNumClasses>& counts) {
  return PointClass(std::max_element(counts.begin(), counts.end()) - counts.begin());
}

}  // namespace

Distribution distribution_of(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double x) { return !std::isfinite(x); }),
               values.end());
  Distribution d;
  d.count = long(values.size());
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  d.min = values.front();
  d.max = values.back();
  d.q10 = quantile_sorted(values, 0.1);
  d.median = quantile_sorted(values, 0.5);
  d.q90 = quantile_sorted(values, 0.9);
  return d;
}

VerdictSummary summarize_verdicts(const std::vector<EndpointRecord>& endpoints) {
  VerdictSummary s;
  std::vector<double> escape, drop;
  for (const auto& e : endpoints) {
    if (e.dynamics) {
      const DynamicsInfo& d = *e.dynamics;
      ++s.with_dynamics;
      ++s.stopped[std::size_t(e.train_status)];
      if (d.on_plateau) {
        ++s.on_plateau;
        ++s.plateau_classes[std::size_t(e.cls)];
      } else if (d.still_descending) {
        ++s.descending_classes[std::size_t(e.cls)];
      }
      s.still_descending += d.still_descending;
      if (d.escape_step >= 0) escape.push_back(double(d.escape_step));
      if (e.train_status != math::TrainStatus::diverged) drop.push_back(d.loss_drop);
    }
    if (e.refined) {
      ++s.refined;
      ++s.raw_classes[std::size_t(e.refined->class_before)];
      ++s.refined_classes[std::size_t(e.raw_class)];
      s.refine_changed += e.refined->class_before != e.raw_class;
    }
    if (e.cls == PointClass::global_minimum) {
      ++s.global_minima;
      s.global_certified += e.minimum && e.minimum->certified();
    } else if (e.cls == PointClass::spurious_local_minimum) {
      ++s.spurious_minima;
      s.spurious_certified += e.minimum && e.minimum->certified();
    }
  }
  s.escape_step = distribution_of(std::move(escape));
  s.loss_drop = distribution_of(std::move(drop));
  if (s.refined > 0) {
    s.raw_verdict = modal(s.raw_classes);
    s.refined_verdict = modal(s.refined_classes);
    s.verdict_flips = s.raw_verdict != s.refined_verdict;
  }
  return s;
}

}  // namespace landscape
