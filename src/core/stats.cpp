// Binomial confidence intervals.
#include "landscape/core/stats.hpp"

#include <algorithm>
#include <cmath>

namespace landscape {

Interval binomial_interval_95(long k, long n) {
  Interval iv;
  if (n <= 0) {
    iv.lo = 0;
    iv.hi = 1;
    iv.method = "none";
    return iv;
  }
  if (k == 0 || k == n) {
    // Exact bound at the boundary: P(X = 0) = (1 − p)^n = α/2 gives p = 1 − (α/2)^{1/n}.
    iv.method = "clopper-pearson";
    const double b = 1.0 - std::pow(0.025, 1.0 / double(n));
    iv.lo = k == 0 ? 0.0 : 1.0 - b;
    iv.hi = k == 0 ? b : 1.0;
    return iv;
  }
  iv.method = "wilson";
  const double z = 1.959963984540054;
  const double nn = double(n), p = double(k) / nn, z2 = z * z;
  const double center = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
  iv.lo = std::max(0.0, center - half);
  iv.hi = std::min(1.0, center + half);
  return iv;
}

}  // namespace landscape
