// The batched Hessian work items of math/hessian.hpp, replayed on the CPU in the order and
// with the buffer layout of the CUDA kernels, against math::hessian: bitwise equal.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "landscape/analysis/hessian.hpp"
#include "landscape/math/hessian.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Index of the first entry where a and b differ bitwise, or -1.
long first_difference(const double* a, const double* b, std::size_t len) {
  for (std::size_t k = 0; k < len; ++k)
    if (std::memcmp(a + k, b + k, sizeof(double)) != 0) return long(k);
  return -1;
}

class HessianBatch : public ::testing::TestWithParam<Case> {};

TEST_P(HessianBatch, ParamIndexWalksEveryWeightInOrder) {
  const Case& c = GetParam();
  const Model m = make_model(c.family, c.dims);
  const math::Shape s = m.shape(c.n);
  const std::size_t P = math::param_count(s);
  // The incremental layer walk of math::hessian, entry by entry.
  int layer = 1;
  std::size_t layer_begin = 0, layer_end = std::size_t(s.dims[1]) * s.dims[0];
  for (std::size_t j = 0; j < P; ++j) {
    while (j >= layer_end) {
      ++layer;
      layer_begin = layer_end;
      layer_end += std::size_t(s.dims[layer]) * s.dims[layer - 1];
    }
    const math::ParamIndex p = math::param_index(s, j);
    ASSERT_EQ(p.layer, layer) << "j " << j;
    ASSERT_GE(p.row, 0);
    ASSERT_LT(p.row, s.dims[layer]);
    ASSERT_GE(p.col, 0);
    ASSERT_LT(p.col, s.dims[layer - 1]);
    ASSERT_EQ(math::weight_offset(s, p.layer) + std::size_t(p.row) * s.dims[layer - 1] +
                  std::size_t(p.col),
              j);
    ASSERT_EQ(layer_begin, math::weight_offset(s, layer));
  }
}

// The three kernels, replayed: preparation (with the point's facts) per network, then the
// column items over a grid of `threads` workers whose scratch slices start out as NaN (so a
// read of anything not written first would show), then the symmetrization items.
TEST_P(HessianBatch, GpuOrderAssemblyIsBitwiseMathHessian) {
  const Case& c = GetParam();
  const Model m = make_model(c.family, c.dims, 0.1);
  const Dataset d = gaussian_data(m, c.n, 31);
  const math::Shape s = m.shape(c.n);
  const std::size_t P = math::param_count(s);
  // Three ordinary networks, one with a NaN weight and one whose loss overflows: the last two
  // must get zero matrices and leave the others alone.
  constexpr std::size_t kNetworks = 5, kFinite = 3;
  std::vector<double> weights;
  for (std::size_t b = 0; b < kNetworks; ++b) {
    std::vector<double> w = random_weights(m, 400 + b);
    if (b == 3) w[P / 2] = kNaN;
    if (b == 4)
      for (double& x : w) x = 1e200;
    weights.insert(weights.end(), w.begin(), w.end());
  }

  std::vector<double> prepared(kNetworks * math::prepared_size(s), kNaN);
  std::vector<double> grad(kNetworks * P, kNaN);
  std::vector<math::PointFacts> facts(kNetworks);
  for (std::size_t b = 0; b < kNetworks; ++b)
    facts[b] = math::prepare_network_facts(s, d.X.data(), d.Y.data(), weights.data() + b * P,
                                           prepared.data() + b * math::prepared_size(s),
                                           grad.data() + b * P);
  // The facts are bitwise those of the host's point_facts, for every network.
  for (std::size_t b = 0; b < kNetworks; ++b) {
    const PointFacts ref = point_facts(m, d, weights.data() + b * P);
    EXPECT_EQ(facts[b].finite, ref.finite) << "network " << b;
    EXPECT_EQ(facts[b].finite, b < kFinite) << "network " << b;
    if (!ref.finite) continue;
    EXPECT_EQ(std::memcmp(&facts[b].loss, &ref.loss, sizeof(double)), 0) << "network " << b;
    EXPECT_EQ(std::memcmp(&facts[b].grad_norm, &ref.grad_norm, sizeof(double)), 0) << "network " << b;
    EXPECT_EQ(std::memcmp(&facts[b].kink_distance, &ref.kink_distance, sizeof(double)), 0)
        << "network " << b;
    EXPECT_EQ(m.family == Family::leaky_relu, std::isfinite(facts[b].kink_distance));
  }

  // Deliberately not a divisor of P: every slice serves columns of different layers and
  // networks in turn.
  constexpr std::size_t kThreads = 37;
  const std::size_t cw = math::column_workspace(s);
  std::vector<double> ref(P * P), ref_grad(P), ref_ws(math::hessian_workspace(s));
  // Both scratch layouts of the kernels: contiguous slices (local arrays) and slices
  // interleaved across the workers (the global-scratch kernel, math::Strided).
  for (const bool interleaved : {false, true}) {
    SCOPED_TRACE(interleaved ? "interleaved scratch" : "contiguous scratch");
    std::vector<double> ws(kThreads * cw, kNaN);
    const auto slice = [&](std::size_t t) {
      return interleaved ? math::Strided<double>{ws.data() + t, kThreads}
                         : math::Strided<double>{ws.data() + t * cw, 1};
    };
    // The scratch starts as NaN and keeps whatever the previous column left: nothing in it may
    // be read before it is written.
    std::vector<double> H(kNetworks * P * P, kNaN);
    const std::size_t items = kNetworks * P;
    // Threads run concurrently on the device; here one item per thread per step.
    for (std::size_t step = 0; step * kThreads < items; ++step)
      for (std::size_t t = 0; t < kThreads; ++t) {
        const std::size_t item = step * kThreads + t;
        if (item >= items) continue;
        if (interleaved)
          math::hessian_batch_column(s, d.X.data(), weights.data(), prepared.data(), facts.data(),
                                     H.data(), item, slice(t));
        else
          math::hessian_batch_column(s, d.X.data(), weights.data(), prepared.data(), facts.data(),
                                     H.data(), item, ws.data() + t * cw);  // plain pointer
      }
    // Pairs are disjoint, so the order does not matter: run it backwards.
    for (std::size_t item = kNetworks * P * P; item-- > 0;)
      math::hessian_batch_symmetrize(H.data(), P, item);

    for (std::size_t b = kFinite; b < kNetworks; ++b)
      for (std::size_t k = 0; k < P * P; ++k)
        ASSERT_EQ(H[b * P * P + k], 0.0) << "network " << b << " entry " << k;
    for (std::size_t b = 0; b < kFinite; ++b) {
      const double L = math::hessian(s, d.X.data(), d.Y.data(), weights.data() + b * P, ref.data(),
                                     ref_grad.data(), ref_ws.data());
      EXPECT_EQ(std::memcmp(&L, &facts[b].loss, sizeof(double)), 0) << "network " << b;
      EXPECT_EQ(first_difference(grad.data() + b * P, ref_grad.data(), P), -1) << "network " << b;
      const long k = first_difference(H.data() + b * P * P, ref.data(), P * P);
      EXPECT_EQ(k, -1) << "network " << b << " entry (" << k / long(P) << ", " << k % long(P) << ")";
    }
  }
}

TEST_P(HessianBatch, ColumnIsTheDenseHessianVectorProduct) {
  // hessian_column(j) is H·e_j: the layer-restricted product agrees with the dense one.
  const Case& c = GetParam();
  const Model m = make_model(c.family, c.dims, 0.1);
  const Dataset d = gaussian_data(m, c.n, 32);
  const math::Shape s = m.shape(c.n);
  const std::size_t P = math::param_count(s);
  const std::vector<double> w = random_weights(m, 500);
  std::vector<double> prepared(math::prepared_size(s)), grad(P);
  math::prepare_network(s, d.X.data(), d.Y.data(), w.data(), prepared.data(), grad.data());
  std::vector<double> ws(math::column_workspace(s), kNaN);
  std::vector<double> col(P), e(P, 0.0), hv(P), hv_ws(math::hessian_workspace(s) + P);
  std::vector<double> layer_col(P), rws(math::column_workspace(s));
  for (std::size_t j = 0; j < P; j += 1 + P / 7) {
    math::hessian_column(s, d.X.data(), w.data(), prepared.data(), j, col.data(), ws.data());
    // The unit-vector shortcut (one row and column of V) is bitwise the products with the
    // whole layer block of e_j.
    e[j] = 1.0;
    math::hessian_vector_prepared(s, d.X.data(), w.data(), e.data(), prepared.data(),
                                  prepared.data() + math::activation_size(s), layer_col.data(),
                                  rws.data(), math::param_index(s, j).layer);
    e[j] = 0.0;
    EXPECT_EQ(first_difference(col.data(), layer_col.data(), P), -1) << "column " << j;
    e[j] = 1.0;
    math::hessian_vector(s, d.X.data(), d.Y.data(), w.data(), e.data(), hv.data(), hv_ws.data());
    e[j] = 0.0;
    for (std::size_t i = 0; i < P; ++i)
      EXPECT_NEAR(col[i], hv[i], 1e-12 * (1.0 + std::abs(hv[i]))) << "column " << j << " row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, HessianBatch,
    ::testing::Values(Case{Family::linear, {6, 4, 4, 6}, 32},  // W-S
                      Case{Family::leaky_relu, {6, 4, 4, 6}, 7},
                      Case{Family::leaky_relu, {32, 16, 8, 4}, 16},  // W-P
                      Case{Family::leaky_relu, {32, 16, 8, 4}, 5},
                      Case{Family::linear, {16, 16, 16, 16}, 8},  // W-M at small n
                      Case{Family::linear, {3, 5, 2}, 4},         // h = 2
                      Case{Family::leaky_relu, {4, 1, 3}, 9},     // width 1
                      Case{Family::leaky_relu, {4, 3}, 3}),       // h = 1
    case_name);

}  // namespace
