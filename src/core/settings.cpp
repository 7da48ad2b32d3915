// Names and derived values of the settings.
#include "landscape/core/settings.hpp"

namespace landscape {

std::string to_string(Precision p) { return p == Precision::f32 ? "float32" : "float64"; }

std::uint64_t data_seed(const ExperimentConfig& c) {
  return c.data.seed >= 0 ? std::uint64_t(c.data.seed) : c.seed;
}

}  // namespace landscape
