// Classification of an endpoint from first- and second-order information (docs/math.md §7).
#pragma once

#include <string>
#include <vector>

namespace landscape {

/// Endpoint classes. `degenerate` (PSD to tolerance, above L*) is a second-order verdict only:
/// the escape test turns it into `non_strict_saddle` or `spurious_local_minimum`.
enum class PointClass {
  diverged,
  not_critical,
  global_minimum,
  strict_saddle,
  non_strict_saddle,
  spurious_local_minimum,
  degenerate
};
inline constexpr int kNumClasses = 7;

std::string to_string(PointClass c);

/// Relative tolerances. Absolute thresholds: gradient and loss against the loss scale
/// max(1, ½‖Y‖²); eigenvalues against max(1, max|λ|) of the endpoint's own spectrum.
struct Tolerances {
  double grad = 1e-5;  ///< critical when ‖∇L‖ ≤ grad · loss_scale
  double loss = 1e-6;  ///< global when L − L* ≤ loss · loss_scale
  double eig = 1e-6;   ///< λ < −eig · max(1, max|λ|) is negative; |λ| ≤ that is near zero
  double kink = 1e-8;  ///< leaky ReLU: kink_distance below this flags the Hessian untrusted

  /// grad, loss and eig multiplied by `f` (tolerance-sensitivity analysis).
  Tolerances scaled(double f) const {
    Tolerances t = *this;
    t.grad *= f;
    t.loss *= f;
    t.eig *= f;
    return t;
  }
};

/// Counts and extremes of a spectrum against the eigenvalue threshold.
struct SpectrumSummary {
  double lambda_min = 0, lambda_max = 0, eig_threshold = 0;
  int n_negative = 0, n_near_zero = 0, n_positive = 0;
};
SpectrumSummary summarize_spectrum(const double* eigenvalues, int P, double eig_rtol);

/// The decision of docs/math.md §7 steps 1–4; PSD-to-tolerance points above L* are `degenerate`.
PointClass classify_point(bool finite, double loss, double grad_norm, const SpectrumSummary& sp,
                          double global_loss, double loss_scale, const Tolerances& tol);

/// Step 5: a `degenerate` point whose escape test found a loss drop above the loss tolerance is a
/// non-strict saddle, otherwise a spurious local minimum. Other classes pass through.
PointClass resolve_degenerate(PointClass second_order, double escape_drop, double loss_scale,
                              const Tolerances& tol);

}  // namespace landscape
