// Shared helpers for the test suite: random problems and finite differences.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/rng.hpp"
#include "landscape/core/model.hpp"

namespace landscape::testing {

inline Model make_model(Family f, std::vector<int> dims, double slope = 0.2) {
  Model m;
  m.family = f;
  m.dims = std::move(dims);
  m.slope = f == Family::leaky_relu ? slope : 1.0;
  return m;
}

inline Dataset gaussian_data(const Model& m, int n, std::uint64_t seed, int x_rank = 0,
                             int y_rank = 0) {
  DataSpec s;
  s.n = n;
  s.x_rank = x_rank;
  s.y_rank = y_rank;
  return make_dataset(s, m, seed);
}

inline std::vector<double> random_weights(const Model& m, std::uint64_t seed, double scale = 1.0) {
  std::vector<double> w(m.param_count());
  math::init_network(seed, math::kStreamInitBase + 7, m.depth(), m.dims.data(), scale, w.data());
  return w;
}

/// Initial weights of networks 0 … count−1 (network i from stream kStreamInitBase + i of
/// `seed`, scale 1), as an experiment draws them.
inline std::vector<double> network_batch(const Model& m, std::uint64_t seed, std::size_t count) {
  const std::size_t P = m.param_count();
  std::vector<double> w(count * P);
  for (std::size_t i = 0; i < count; ++i)
    math::init_network(seed, math::kStreamInitBase + i, m.depth(), m.dims.data(), 1.0, w.data() + i * P);
  return w;
}

inline double loss_at(const Model& m, const Dataset& d, const std::vector<double>& w) {
  const math::Shape s = m.shape(d.n);
  std::vector<double> ws(math::activation_size(s));
  return math::loss(s, d.X.data(), d.Y.data(), w.data(), ws.data());
}

inline std::vector<double> grad_at(const Model& m, const Dataset& d, const std::vector<double>& w) {
  const math::Shape s = m.shape(d.n);
  std::vector<double> ws(math::gradient_workspace(s)), g(w.size());
  math::loss_and_gradient(s, d.X.data(), d.Y.data(), w.data(), g.data(), ws.data());
  return g;
}

/// A network shape and sample count for value-parameterized tests, printed and named by
/// family, widths and n (e.g. "leaky_32_16_8_4_n16").
struct Case {
  Family family;
  std::vector<int> dims;
  int n;
};

inline void PrintTo(const Case& c, std::ostream* os) {
  *os << (c.family == Family::linear ? "linear" : "leaky_relu") << " dims";
  for (int d : c.dims) *os << " " << d;
  *os << " n " << c.n;
}

/// Test-name generator for INSTANTIATE_TEST_SUITE_P over Case.
inline std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string s = info.param.family == Family::linear ? "linear" : "leaky";
  for (int d : info.param.dims) s += "_" + std::to_string(d);
  return s + "_n" + std::to_string(info.param.n);
}

}  // namespace landscape::testing
