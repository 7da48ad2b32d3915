// The geometry around one point: the loss along a direction and on a plane, random and
// filter-normalised directions (Li et al. 2018), the Hessian's eigenvectors and its per-layer
// blocks. Plain functions of the model, data and weights that `classify` takes, so every front
// end (the `slice` command, the report, bindings) calls the same code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/records.hpp"

namespace landscape {

/// A 1-D slice: the loss at w + t·dir for each t.
struct LineSlice {
  std::string direction;    ///< what dir is: "witness", "eig:0", "random", a file name, …
  std::string description;  ///< one line for captions
  std::vector<double> t, loss;
  double eigenvalue = 0;  ///< Hessian eigenvalue of dir, where dir is an eigenvector
  bool has_eigenvalue = false;
  double dir_norm = 1;         ///< ‖dir‖ (1 for eigenvectors and the witness)
  std::vector<double> vector;  ///< dir itself (P numbers, parameter order)
};

/// A 2-D slice: the loss at w + a·d1 + b·d2; loss (j, i) at [j·a.size() + i] is at (a[i], b[j]).
struct PlaneSlice {
  std::string direction1, direction2, description;
  std::vector<double> a, b, loss;
  std::vector<double> vector1, vector2;  ///< d1 and d2 themselves (P numbers, parameter order)
};

/// L(w + t·d) for every t in `ts` (float64, the loss of docs/math.md: ½‖F − Y‖², no 1/n).
std::vector<double> loss_along(const Model& m, const Dataset& d, const double* w, const double* dir,
                               const std::vector<double>& ts);

/// L(w + a·d1 + b·d2) on the grid as × bs, row-major with b the row: value (j, i) at
/// [j·as.size() + i] is the loss at (as[i], bs[j]).
// Seven parameters: the point (model, data, weights), the plane's two directions, its grid.
std::vector<double> loss_on_plane(const Model& m, const Dataset& d, const double* w,
                                  const double* d1, const double* d2, const std::vector<double>& as,
                                  const std::vector<double>& bs);

/// `count` values evenly spaced over [−range, range] (count ≥ 2), 0 included when count is odd.
std::vector<double> symmetric_grid(double range, int count);

/// A Gaussian direction of unit Euclidean norm, drawn from stream `stream` of `seed`.
std::vector<double> random_direction(const Model& m, std::uint64_t seed, std::uint64_t stream);

/// Filter-normalised random direction (Li et al. 2018, "Visualizing the loss landscape of neural
/// nets", §4): a Gaussian direction whose slice for each filter — for a dense layer, each row of
/// W_i, the weights into one unit — is rescaled to the Euclidean norm of the same row of w. A
/// row of w that is zero gives a zero row. The scale of the plot then follows the scale of the
/// weights, so slices of networks related by the rescaling symmetry are comparable.
std::vector<double> filter_normalized_direction(const Model& m, const double* w, std::uint64_t seed,
                                                std::uint64_t stream);

/// Rescales `dir` in place to unit Euclidean norm; throws Error naming `what` when it is zero
/// or not finite.
void normalize_direction(std::vector<double>& dir, const std::string& what);

/// The k eigenpairs of the smallest eigenvalues of the exact Hessian at w (dense solver),
/// ascending, each vector of unit norm.
Eigenpairs smallest_eigenpairs(const Model& m, const Dataset& d, const double* w, int k);

/// The blocks of a dense, row-major P × P Hessian of model `m`.
HessianBlocks hessian_blocks(const Model& m, const double* H);
/// The blocks of the exact Hessian at w.
HessianBlocks hessian_blocks(const Model& m, const Dataset& d, const double* w);

}  // namespace landscape
