// Binomial confidence intervals for class fractions (docs/math.md §8).
#pragma once

#include <string>

namespace landscape {

struct Interval {
  double lo = 0, hi = 0;
  std::string method;  ///< "wilson" or "clopper-pearson"
};

/// Two-sided 95% interval for k successes in n trials: Wilson score interval, or the exact
/// Clopper–Pearson interval when k = 0 or k = n (where Wilson is known to be too narrow).
Interval binomial_interval_95(long k, long n);

}  // namespace landscape
