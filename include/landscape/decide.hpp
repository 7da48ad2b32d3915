// Deciding what second-order information cannot (docs/math.md §5–7): refinement to the nearby exact
// critical point, the escape test for PSD endpoints above the optimum, symmetry-aware spectra,
// and local openness / degeneracy from numerical ranks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "landscape/classify.hpp"
#include "landscape/data.hpp"
#include "landscape/model.hpp"

namespace landscape {

// ---- refinement ---------------------------------------------------------------------------

struct RefineSpec {
  bool enabled = false;
  int max_iterations = 50;
  double grad_rtol = 1e-12;  ///< target: ‖∇L‖ ≤ grad_rtol · loss_scale
};

struct RefineResult {
  bool converged = false;       ///< reached the gradient target
  int iterations = 0;
  double distance = 0;          ///< ‖w_refined − w‖
  double grad_norm_before = 0, grad_norm_after = 0;
  double loss_before = 0, loss_after = 0;
  std::vector<double> weights;  ///< the refined point
};

/// Moves w to a nearby exact critical point with Levenberg–Marquardt steps on ∇L = 0:
/// δ = −(H² + μI)⁻¹ H g, computed in H's eigenbasis. Singular directions (λ ≈ 0) are left
/// alone, so the step stays in the range of H and copes with the symmetry null space; μ is
/// raised until ‖∇L‖ decreases and lowered after every accepted step; iteration continues past
/// the target while the gradient still decreases (linear convergence at degenerate points), up
/// to max_iterations. `converged` means the target was reached. float64 throughout.
RefineResult refine_critical_point(const Model& m, const Dataset& d, const double* w,
                                   double loss_scale, const RefineSpec& spec);

// ---- escape test --------------------------------------------------------------------------

struct EscapeSpec {
  int random_directions = 32;      ///< random unit directions in the full space
  int null_directions = 32;        ///< near-null eigenvectors probed (smallest |λ| first)
  int null_combinations = 32;      ///< random unit vectors inside the near-null space
  double step_min = 1e-6;          ///< relative to max(1, ‖w‖)
  double step_max = 0.3;           ///< relative to max(1, ‖w‖)
  double step_factor = 2.0;        ///< geometric growth of the step
  int perturbed_runs = 8;          ///< perturbed-descent starts
  double perturb_radius = 1e-3;    ///< relative to max(1, ‖w‖)
  long perturbed_steps = 2000;     ///< backtracking gradient steps per start
  std::uint64_t seed = 0x5eed;
};

/// Witness and budget of an escape test.
struct EscapeResult {
  bool escaped = false;
  std::string method;              ///< null_eigenvector | null_space_random | random | perturbed_descent
  std::vector<double> direction;   ///< unit witness direction (for perturbed descent: w_end − w, normalized)
  double step = 0;                 ///< distance along the direction
  double loss_drop = 0;            ///< best L(w) − L(w') found over all probes (≥ 0)
  long probes = 0;                 ///< loss evaluations spent
  long descent_steps = 0;          ///< gradient steps spent in perturbed descent
  int null_space_dim = 0;          ///< near-null eigenvectors available
};

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

// ---- symmetry -------------------------------------------------------------------------------

struct SymmetryInfo {
  int orbit_dim = 0;      ///< rank of the symmetry orbit's tangent map at w (docs/math.md §6)
  int orbit_dim_max = 0;  ///< Σ d_i² (linear) or Σ d_i (leaky ReLU) over hidden layers
  int near_zero = 0;      ///< observed near-zero Hessian eigenvalues
  int excess = 0;         ///< near_zero − orbit_dim: degeneracy beyond the symmetries
};

/// Orbit dimension at w: numerical rank (relative tolerance `rank_rtol`) of the P × K matrix of
/// tangent vectors δW_i = M W_i, δW_{i+1} = −W_{i+1} M over a basis of M for every hidden layer
/// (M general for linear networks, diagonal for leaky ReLU).
int orbit_dimension(const Model& m, const double* w, double rank_rtol);
int orbit_dimension_max(const Model& m);

// ---- local openness and degeneracy --------------------------------------------------------

struct PartialRank {
  int from = 0, to = 0;  ///< product W_to ⋯ W_from (1-based layers)
  int rank = 0;
};

struct OpennessInfo {
  std::vector<int> layer_ranks;       ///< rank W_i, i = 1..h
  std::vector<PartialRank> partial;   ///< every contiguous product W_j ⋯ W_i, j > i
  int product_rank = 0;               ///< rank W_h ⋯ W_1
  int min_width = 0;                  ///< min_i d_i
  std::optional<bool> non_degenerate; ///< deep linear: product_rank == min_width
  std::optional<bool> locally_open;   ///< two-layer linear: N&R Thm 2 / Behrends verdict
  std::string openness_rule;          ///< which rule decided locally_open
  std::optional<bool> all_full_row_rank;  ///< leaky ReLU: N&R Lemma 3's condition
};

/// Ranks from SVDs with singular values ≤ rank_rtol · σ_max treated as zero.
OpennessInfo openness(const Model& m, const double* w, double rank_rtol);

/// Local openness of M(A, B) = AB at (A, B), A ∈ R^{m×k}, B ∈ R^{k×n}, from ranks:
/// k < min(m, n): open iff rank A = rank B = rank AB (N&R Thm 2);
/// k ≥ min(m, n): open iff s ≤ k − m or n − rank AB ≤ k − rank A, s = rank B − rank AB
/// (Behrends 2017). `rule` receives which case applied.
bool matrix_product_locally_open(int m, int k, int n, int rank_a, int rank_b, int rank_ab,
                                 std::string* rule = nullptr);

// ---- all of it together ---------------------------------------------------------------------

/// Everything that turns an endpoint into a final class.
struct DecideSettings {
  Tolerances tol;
  RefineSpec refine;
  EscapeSpec escape;
  double rank_tol = 1e-6;  ///< relative SVD tolerance for weight ranks and the orbit dimension
};

}  // namespace landscape
