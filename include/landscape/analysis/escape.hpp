// The escape test for PSD endpoints above L* (docs/math.md §7 step 5) and the eigensystem it probes.
#pragma once

#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/records.hpp"
#include "landscape/core/settings.hpp"

namespace landscape {

/// Looks for a loss decrease of more than `drop_target` next to w, along monotone descent
/// paths only: a line probe stops as soon as the loss rises above L(w) + `drop_target`, so a
/// drop found beyond a barrier (another basin) never counts. `null_vectors` holds k unit
/// eigenvectors (row-major k × P) of H's near-null space. Stops early once the drop exceeds
/// `stop_drop` (≥ drop_target) so callers can judge several tolerances from one run.
EscapeResult escape_test(const Model& m, const Dataset& d, const double* w,
                         const std::vector<double>& null_vectors, int k, double drop_target,
                         double stop_drop, const EscapeSpec& spec);

/// Eigenvalues (ascending) and eigenvectors (row-major, row i ↔ λ_i) of H at w.
void hessian_eigensystem(const Model& m, const Dataset& d, const double* w,
                         std::vector<double>& values, std::vector<double>& vectors);


}  // namespace landscape
