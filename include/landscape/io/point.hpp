// POINT.json: one network (architecture, data, weights) given by the user for classification.
#pragma once

#include <string>
#include <vector>

#include "landscape/core/records.hpp"


namespace landscape {

/// Parses a POINT.json document; errors name `source` and the JSON path (e.g. weights[1][0]).
Point parse_point(const std::string& text, const std::string& source);
Point load_point(const std::string& path);

/// Serializes a point in the same public format (used to export endpoints).
std::string point_to_json(const Point& p);

}  // namespace landscape
