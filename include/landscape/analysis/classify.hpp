// Classification of an endpoint from first- and second-order information (docs/math.md §7).
#pragma once

#include "landscape/core/records.hpp"
#include "landscape/core/settings.hpp"

namespace landscape {

/// Counts and extremes of a spectrum against the eigenvalue threshold eig_rtol · max(1, max|λ|).
SpectrumSummary summarize_spectrum(const double* eigenvalues, int P, double eig_rtol);

/// The decision of docs/math.md §7 steps 1–4; PSD-to-tolerance points above L* are `degenerate`.
/// A non-finite loss, gradient or spectrum (`sp.finite` false) is `diverged`.
PointClass classify_point(bool finite, double loss, double grad_norm, const SpectrumSummary& sp,
                          double global_loss, double loss_scale, const Tolerances& tol);

/// Step 5: a `degenerate` point whose escape test found a loss drop above the loss tolerance is a
/// non-strict saddle, otherwise a spurious local minimum. Other classes pass through.
PointClass resolve_degenerate(PointClass second_order, double escape_drop, double loss_scale,
                              const Tolerances& tol);

}  // namespace landscape
