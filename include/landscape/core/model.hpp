// Network families and architectures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "landscape/math/network.hpp"

namespace landscape {

enum class Family { linear, leaky_relu };

std::string to_string(Family f);
/// Parses "linear" or "leaky_relu"; throws Error naming `where` otherwise.
Family parse_family(const std::string& s, const std::string& where);

/// An architecture: family, widths d0..dh and (leaky ReLU only) the negative slope α.
struct Model {
  Family family = Family::linear;
  std::vector<int> dims;
  double slope = 1.0;  ///< α for leaky ReLU; 1 for linear

  int depth() const { return static_cast<int>(dims.size()) - 1; }  ///< h
  std::size_t param_count() const;
  /// True when d_i ≤ d_{i−1} for every layer.
  bool pyramidal() const;
  /// Validates dims (h ≥ 1, widths ≥ 1) and α (> 0, ≠ 1, finite); `where` prefixes errors.
  void validate(const std::string& where) const;
  /// The same checks, naming the widths `dims_field` and the slope `slope_field`.
  void validate(const std::string& dims_field, const std::string& slope_field) const;
  /// Shape for the single-source math, pointing into this model's dims.
  math::Shape shape(int n) const;
};

/// Initial weights of the networks `indices` (count of them) into w (count × P): network i
/// draws from stream kStreamInitBase + i of `seed` (math::init_network), so the values do not
/// depend on the order, the chunking or `threads` (the OpenMP threads used, ≥ 1).
void init_weights(const Model& m, std::uint64_t seed, double scale, const long* indices,
                  std::size_t count, double* w, int threads);

}  // namespace landscape
