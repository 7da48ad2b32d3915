// Network families and architecture validation.
#include "landscape/core/model.hpp"

#include <cmath>

#include "landscape/core/common.hpp"
#include "landscape/math/rng.hpp"

namespace landscape {

std::string to_string(Family f) { return f == Family::linear ? "linear" : "leaky_relu"; }

Family parse_family(const std::string& s, const std::string& where) {
  if (s == "linear") return Family::linear;
  if (s == "leaky_relu") return Family::leaky_relu;
  throw Error(where + ": unknown family '" + s + "' (expected \"linear\" or \"leaky_relu\")");
}

std::size_t Model::param_count() const {
  std::size_t p = 0;
  for (std::size_t i = 1; i < dims.size(); ++i) p += std::size_t(dims[i]) * dims[i - 1];
  return p;
}

bool Model::pyramidal() const {
  for (std::size_t i = 1; i < dims.size(); ++i)
    if (dims[i] > dims[i - 1]) return false;
  return true;
}

void Model::validate(const std::string& where) const { validate(where + ".dims", where + ".slope"); }

void Model::validate(const std::string& dims_field, const std::string& slope_field) const {
  require(dims.size() >= 2, dims_field, "needs at least two widths [d0, d1] (one weight matrix)");
  for (std::size_t i = 0; i < dims.size(); ++i)
    require(dims[i] >= 1, dims_field + "[" + std::to_string(i) + "]",
            "width must be a positive integer, got " + std::to_string(dims[i]));
  if (family == Family::leaky_relu) {
    require(std::isfinite(slope) && slope > 0.0 && slope != 1.0, slope_field,
            "leaky-ReLU slope must be finite, > 0 and != 1");
  } else {
    require(slope == 1.0, slope_field, "only leaky_relu networks take a slope");
  }
}

math::Shape Model::shape(int n) const {
  math::Shape s;
  s.h = depth();
  s.dims = dims.data();
  s.n = n;
  s.slope = family == Family::leaky_relu ? slope : 1.0;
  return s;
}

// Seven parameters: model, seed, scale, the networks and their output buffer, threads.
void init_weights(const Model& m, std::uint64_t seed, double scale, const long* indices,
                  std::size_t count, double* w, int threads) {
  const std::size_t P = m.param_count();
  // A few microseconds per small network: a million of them are worth the threads.
#pragma omp parallel for schedule(static) num_threads(threads > 0 ? threads : 1)
  for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(count); ++i)
    math::init_network(seed, math::kStreamInitBase + std::uint64_t(indices[i]), m.depth(),
                       m.dims.data(), scale, w + std::size_t(i) * P);
}

}  // namespace landscape
