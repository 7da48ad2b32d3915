// Endpoint classification rules.
#include "landscape/analysis/classify.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace landscape {


SpectrumSummary summarize_spectrum(const double* ev, int P, double eig_rtol) {
  SpectrumSummary s;
  if (P <= 0) return s;
  // NaN compares false with everything, so min/max and the counts below would be meaningless
  // (and an all-NaN spectrum would count as PSD): a non-finite spectrum is flagged and
  // classify_point refuses it.
  for (int k = 0; k < P; ++k)
    if (!std::isfinite(ev[k])) {
      s.finite = false;
      s.lambda_min = s.lambda_max = std::numeric_limits<double>::quiet_NaN();
      return s;
    }
  s.lambda_min = *std::min_element(ev, ev + P);
  s.lambda_max = *std::max_element(ev, ev + P);
  const double scale = std::max({1.0, std::abs(s.lambda_min), std::abs(s.lambda_max)});
  s.eig_threshold = eig_rtol * scale;
  for (int k = 0; k < P; ++k) {
    if (ev[k] < -s.eig_threshold) ++s.n_negative;
    else if (ev[k] <= s.eig_threshold) ++s.n_near_zero;
    else ++s.n_positive;
  }
  return s;
}

// Seven parameters: callers judge the raw and the refined point; no one record holds both.
PointClass classify_point(bool finite, double loss, double grad_norm, const SpectrumSummary& sp,
                          double global_loss, double loss_scale, const Tolerances& tol) {
  // A point whose loss, gradient or Hessian spectrum is not finite (overflow in float64) is
  // never a minimum or a saddle: nothing about its curvature is known.
  if (!finite || !std::isfinite(loss) || !std::isfinite(grad_norm) || !sp.finite)
    return PointClass::diverged;
  if (grad_norm > tol.grad * loss_scale) return PointClass::not_critical;
  if (loss - global_loss <= tol.loss * loss_scale) return PointClass::global_minimum;
  if (sp.n_negative > 0) return PointClass::strict_saddle;
  return PointClass::degenerate;
}

PointClass resolve_degenerate(PointClass second_order, double escape_drop, double loss_scale,
                              const Tolerances& tol) {
  if (second_order != PointClass::degenerate) return second_order;
  return escape_drop > tol.loss * loss_scale ? PointClass::non_strict_saddle
                                             : PointClass::spurious_local_minimum;
}

}  // namespace landscape
