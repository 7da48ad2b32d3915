// The escape test for PSD endpoints above L* (docs/math.md §7 step 5) and the eigensystem it probes.
#pragma once

#include <vector>

#include "landscape/analysis/symmetry.hpp"
#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/records.hpp"
#include "landscape/core/settings.hpp"

namespace landscape {

/// What the escape test looks for next to one endpoint.
struct EscapeQuery {
  /// k vectors spanning the near-null eigenspace of H, row-major k × P: its unit eigenvectors,
  /// or, where the data has null directions, those projected off them (remove_data_null_directions)
  std::vector<double> null_vectors;
  int null_count = 0;                ///< k
  double drop_target = 0;            ///< a loss decrease above this is an escape
  double stop_drop = 0;              ///< probing stops once the decrease exceeds this (≥ drop_target)
  /// The vectors were projected: each is orthonormalized against those probed before it, and
  /// skipped where nothing is left; random combinations are normalized.
  bool projected = false;
  int null_space_dim = 0;            ///< dimension of the space they span (reported when projected)
};

/// Looks for a loss decrease of more than `q.drop_target` next to w, along monotone descent
/// paths only: a line probe stops as soon as the loss rises above L(w) + `drop_target`, so a
/// drop found beyond a barrier (another basin) never counts. Probes, in this order: the
/// near-null eigenvectors, random combinations of them, random directions, perturbed descent.
/// Stops early once the drop exceeds `q.stop_drop` so callers can judge several tolerances from
/// one run.
EscapeResult escape_test(const Model& m, const Dataset& d, const double* w, const EscapeQuery& q,
                         const EscapeSpec& spec);

/// Projects each of the k vectors v (row-major k × P) off the data's null directions (docs/math.md
/// §2b, §6): the rows of the first layer's block are replaced by their projections onto col(X)
/// (`cols`, data_column_space(d)); the other layers are unchanged. The loss cannot see what is
/// removed: L(w + t·u) = L(w + t·Πu) at every w and t. O(k·d1·d0·rank X). Nothing changes when X
/// has full row rank.
void remove_data_null_directions(const Model& m, const DataColumnSpace& cols, double* v, int k);

/// Eigenvalues (ascending) and eigenvectors (row-major, row i ↔ λ_i) of H at w.
void hessian_eigensystem(const Model& m, const Dataset& d, const double* w,
                         std::vector<double>& values, std::vector<double>& vectors);


}  // namespace landscape
