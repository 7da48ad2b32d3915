// The escape test for PSD endpoints above L* (docs/math.md §7 step 5) and the eigensystem it probes.
#pragma once

#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/records.hpp"
#include "landscape/core/settings.hpp"

namespace landscape {

/// What the escape test looks for next to one endpoint.
struct EscapeQuery {
  /// k orthonormal directions of H's near-null eigenspace, row-major k × P: the near-null
  /// eigenvectors less the data's null directions, along which the loss never changes
  std::vector<double> null_vectors;
  int null_count = 0;                ///< k
  double drop_target = 0;            ///< a loss decrease above this is an escape
  double stop_drop = 0;              ///< probing stops once the decrease exceeds this (≥ drop_target)
};

/// Looks for a loss decrease of more than `q.drop_target` next to w, along monotone descent
/// paths only: a line probe stops as soon as the loss rises above L(w) + `drop_target`, so a
/// drop found beyond a barrier (another basin) never counts. Probes, in this order: the
/// near-null eigenvectors, random combinations of them, random directions, perturbed descent.
/// Stops early once the drop exceeds `q.stop_drop` so callers can judge several tolerances from
/// one run.
EscapeResult escape_test(const Model& m, const Dataset& d, const double* w, const EscapeQuery& q,
                         const EscapeSpec& spec);

/// Eigenvalues (ascending) and eigenvectors (row-major, row i ↔ λ_i) of H at w.
void hessian_eigensystem(const Model& m, const Dataset& d, const double* w,
                         std::vector<double>& values, std::vector<double>& vectors);


}  // namespace landscape
