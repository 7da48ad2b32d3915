// A stored endpoint as a point to classify: `landscape point` and the Python package take an
// endpoint back out of a results database so that `landscape classify` reproduces its class.
#pragma once

#include <string>
#include <vector>

#include "landscape/core/records.hpp"
#include "landscape/io/store.hpp"

namespace landscape {

/// `p`'s weights refined as a sweep with `settings.refine` refines an endpoint before
/// classifying it (describe_endpoint's step, alone: a refined point that is not finite is not
/// taken, and the weights come back unchanged).
std::vector<double> refined_point_weights(const Point& p, const DecideSettings& settings);

/// The stored endpoint as a point carrying the settings (and an empirical L*) its cell was
/// decided with: the trained weights, or with `refined` the refined ones (refinement then off
/// in the settings, as the point is already refined). Throws Error naming the endpoint when it
/// cannot be classified as a point (diverged in training, or not finite).
Point stored_point(const StoredEndpoint& s, bool refined);

/// True when `path` is a SQLite file (a results database, by its header), false when it holds a
/// JSON object (POINT.json); throws Error naming the path when it cannot be read or is neither.
bool is_results_database(const std::string& path);

}  // namespace landscape
