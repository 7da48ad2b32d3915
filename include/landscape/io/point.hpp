// POINT.json: one network (architecture, data, weights) given by the user for classification.
#pragma once

#include <string>
#include <vector>

#include "landscape/core/records.hpp"


namespace landscape {

/// Parses a POINT.json document; errors name `source` and the JSON path (e.g. weights[1][0]).
Point parse_point(const std::string& text, const std::string& source);
Point load_point(const std::string& path);

/// A direction in parameter space for `landscape slice`: a JSON list of P numbers in parameter
/// order, a list of h matrices shaped like the weights, or an object with one key `direction`
/// or `weights` holding either. Errors name `source` and the field.
std::vector<double> parse_direction(const std::string& text, const std::string& source,
                                    const Model& m);
std::vector<double> load_direction(const std::string& path, const Model& m);

/// Serializes a point in the same public format (used to export endpoints).
std::string point_to_json(const Point& p);

}  // namespace landscape
