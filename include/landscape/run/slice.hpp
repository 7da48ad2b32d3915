// `landscape slice`: the loss around one point along a direction and on a plane, with the
// point's classification (which supplies the eigenvectors and the escape witness).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "landscape/analysis/geometry.hpp"
#include "landscape/run/experiment.hpp"

namespace landscape {

/// What to slice. Directions: `auto` (the escape witness where the point has one, else the
/// eigenvector of λ_min), `witness`, `min-eig` (= `eig:0`), `eig:K` (the eigenvector of the
/// K-th smallest eigenvalue, 0-based), `random` (filter-normalised, Li et al. 2018), or the
/// path of a direction file (io/point's parse_direction). Planes: `eig:I,eig:J`, `random`
/// (two filter-normalised random directions), `auto` (random, or eig:0,eig:1 where a row of the
/// weights is zero and the filter-normalised plane would miss it) or `none`.
struct SliceSpec {
  std::string direction = "auto";
  std::string plane = "auto";
  double range = 1.0;      ///< t, a and b run over [−range, range]
  int steps = 41;          ///< points along the line
  int plane_steps = 21;    ///< points per side of the plane
  std::uint64_t seed = 1;  ///< random directions: streams 1 (line), 2 and 3 (plane) of it
  /// A direction given as numbers (P, parameter order; e.g. from the Python package): used as
  /// given, not normalised, in place of `direction`, which then only names it.
  std::optional<std::vector<double>> direction_vector;
};

struct SliceResult {
  PointReport report;  ///< the point's classification
  LineSlice line;
  std::optional<PlaneSlice> plane;
};

/// Classifies `p` (classify_single with `options`), then evaluates the slices.
SliceResult slice_point(const Point& p, const SliceSpec& spec, const DecideSettings& settings,
                        const RestartSpec& rs, Backend& backend, PointOptions options);

/// The 1-D slice along the escape witness of a classified endpoint with weights `w` (empty
/// when it has none), over `steps` points in [−range·s, range·s], s = max(step, 1e-3·max(1, ‖w‖))
/// so the drop the escape test found lies inside. The report draws these for every non-strict
/// saddle and spurious minimum.
std::optional<LineSlice> witness_slice(const Model& m, const Dataset& d, const double* w,
                                       const EndpointRecord& e, int steps = 41);

/// The 1-D slice along the eigenvector of λ_min at w (unit), over `steps` points in
/// [−range, range], range = 0.1·max(1, ‖w‖); empty when the dense Hessian would exceed
/// kDefaultMaxDenseMb.
std::optional<LineSlice> min_eig_slice(const Model& m, const Dataset& d, const double* w,
                                       int steps = 41);

/// The slices the report draws for a finalized cell: every non-strict saddle along its escape
/// witness and every spurious local minimum along its λ_min eigenvector, from the endpoints'
/// weights (`weights`: the escape candidates, which hold both classes), by network index.
std::vector<std::pair<long, LineSlice>> endpoint_slices(
    const Model& m, const Dataset& d, const std::vector<EndpointRecord>& endpoints,
    const std::map<long, std::vector<double>>& weights);

}  // namespace landscape
