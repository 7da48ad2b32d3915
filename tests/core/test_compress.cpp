// Compressed data of deep linear networks (core/data.hpp, docs/math.md §2a): at the same weights
// the loss (with the constant added back), the gradient and the Hessian equal the per-sample
// ones; the reduction applies to deep linear networks with n > d0 only.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "landscape/core/common.hpp"
#include "landscape/core/data.hpp"
#include "landscape/math/network.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

/// v with every entry multiplied by `scale`.
std::vector<double> scaled(std::vector<double> v, double scale) {
  for (double& x : v) x *= scale;
  return v;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t k = 0; k < a.size(); ++k) m = std::max(m, std::fabs(a[k] - b[k]));
  return m;
}

std::vector<double> hessian_at(const Model& m, const Dataset& d, const std::vector<double>& w) {
  const math::Shape s = m.shape(d.n);
  const std::size_t P = math::param_count(s);
  std::vector<double> H(P * P), g(P), ws(math::hessian_workspace(s));
  math::hessian(s, d.X.data(), d.Y.data(), w.data(), H.data(), g.data(), ws.data());
  return H;
}

struct CompressCase {
  std::vector<int> dims;
  int n, x_rank;
  TargetKind y;
};

class Compressed : public ::testing::TestWithParam<CompressCase> {};

TEST_P(Compressed, SameLossGradientAndHessianAsTheSamples) {
  const CompressCase& c = GetParam();
  const Model m = make_model(Family::linear, c.dims);
  DataSpec spec;
  spec.n = c.n;
  spec.x_rank = c.x_rank;
  spec.y = c.y;
  const Dataset d = make_dataset(spec, m, 11);
  ASSERT_TRUE(compresses(m, d));
  const CompressedData cd = compress_linear_data(d);
  const int d0 = d.d0;
  ASSERT_EQ(cd.data.n, d0);
  ASSERT_EQ(cd.data.X.size(), std::size_t(d0) * d0);
  ASSERT_EQ(cd.data.Y.size(), std::size_t(d.dh) * d0);
  for (int r = 0; r < d0; ++r)  // X̃ = R̂ᵀ is lower triangular
    for (int k = r + 1; k < d0; ++k) EXPECT_EQ(cd.data.X[std::size_t(r) * d0 + k], 0.0);
  EXPECT_GE(cd.loss_offset, 0.0);
  // Pythagoras: ‖Y‖² = ‖YQ̂‖² + ‖Y − YQ̂Q̂ᵀ‖².
  double y2 = 0, yc2 = 0;
  for (double y : d.Y) y2 += y * y;
  for (double y : cd.data.Y) yc2 += y * y;
  EXPECT_NEAR(0.5 * y2, 0.5 * yc2 + cd.loss_offset, 1e-12 * 0.5 * y2);
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const std::vector<double> w = random_weights(m, seed, seed == 5 ? 1e-3 : 1.0);
    const double L = loss_at(m, d, w), Lc = loss_at(m, cd.data, w) + cd.loss_offset;
    EXPECT_LE(std::fabs(Lc - L), 1e-12 * L) << "seed " << seed << ": " << L << " vs " << Lc;
    const std::vector<double> g = grad_at(m, d, w), gc = grad_at(m, cd.data, w);
    EXPECT_LE(max_abs_diff(g, gc), 1e-11 * max_abs(g)) << "seed " << seed;
    const std::vector<double> H = hessian_at(m, d, w), Hc = hessian_at(m, cd.data, w);
    EXPECT_LE(max_abs_diff(H, Hc), 1e-11 * max_abs(H)) << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Configs, Compressed,
    ::testing::Values(CompressCase{{6, 4, 4, 6}, 32, 0, TargetKind::gaussian},   // W-S
                      CompressCase{{16, 16, 16, 16}, 64, 0, TargetKind::gaussian},  // W-M
                      CompressCase{{5, 3, 2}, 7, 2, TargetKind::gaussian},     // rank-deficient X
                      CompressCase{{4, 6, 3}, 40, 0, TargetKind::teacher},     // realizable Y
                      CompressCase{{3, 1}, 200, 0, TargetKind::gaussian},     // one layer
                      CompressCase{{8, 8, 8}, 2000, 0, TargetKind::gaussian},  // n ≫ d0
                      CompressCase{{5, 3, 2}, 40, 2, TargetKind::teacher}));   // both at once

TEST(Compressed, RealizableTargetsLeaveNoConstant) {
  // Y = W*X lies in X's row space: the constant is rounding only.
  const Model m = make_model(Family::linear, {4, 3, 2});
  DataSpec spec;
  spec.n = 50;
  spec.y = TargetKind::teacher;
  const Dataset d = make_dataset(spec, m, 3);
  double y2 = 0;
  for (double y : d.Y) y2 += y * y;
  const CompressedData cd = compress_linear_data(d);
  EXPECT_LE(cd.loss_offset, 1e-24 * y2);
}

TEST(Compressed, SameBitsOnAnyThreadAndInsideParallelRegions) {
  // Every backend and MPI rank must train on the same numbers: the reduction may not depend on
  // the threads around it (a threaded or cache-blocked product would).
  const Model m = make_model(Family::linear, {16, 16, 16, 16});
  const Dataset d = gaussian_data(m, 1000, 8);
  const CompressedData ref = compress_linear_data(d);
  const auto same = [&](const CompressedData& c) {
    return c.data.X == ref.data.X && c.data.Y == ref.data.Y &&
           std::memcmp(&c.loss_offset, &ref.loss_offset, sizeof(double)) == 0;
  };
  int mismatches = 0;
#pragma omp parallel num_threads(2) reduction(+ : mismatches)
  mismatches += same(compress_linear_data(d)) ? 0 : 1;
  EXPECT_EQ(mismatches, 0);
}

TEST(Compressed, RefusesFewerSamplesThanInputs) {
  const Model m = make_model(Family::linear, {6, 4, 6});
  EXPECT_THROW(compress_linear_data(gaussian_data(m, 5, 1)), Error);
}

TEST(Compressed, OnlyDeepLinearNetworksWithMoreSamplesThanInputs) {
  const Model lin = make_model(Family::linear, {6, 4, 6});
  const Model leaky = make_model(Family::leaky_relu, {6, 4, 2});
  EXPECT_TRUE(compresses(lin, gaussian_data(lin, 7, 1)));
  EXPECT_FALSE(compresses(lin, gaussian_data(lin, 6, 1)));
  EXPECT_FALSE(compresses(lin, gaussian_data(lin, 3, 1)));
  EXPECT_FALSE(compresses(leaky, gaussian_data(leaky, 32, 1)));
}

}  // namespace

// Data near the ends of the double range: the reflectors scale each column by a power of two
// first (as LAPACK's dlarfg scales), so inputs scaled by 2^±600 or 2^±1000 (whose squares
// overflow or underflow) reflect exactly as the unscaled ones do. A power of two scales every
// rounding with it, so the results must be bitwise the unscaled ones times the scale: the
// compressed inputs and the reduced R scaled, the compressed targets, the constant and W_1·Q̂
// unchanged.
TEST(Compressed, InputsNearTheEndsOfTheDoubleRangeReflectExactly) {
  const Model m = make_model(Family::linear, {5, 3, 2});
  for (double scale : {std::ldexp(1.0, 600), std::ldexp(1.0, -600), std::ldexp(1.0, 1000),
                       std::ldexp(1.0, -1000)}) {
    SCOPED_TRACE(scale);
    {
      const Dataset d = gaussian_data(m, 40, 3);
      Dataset sd = d;
      sd.X = scaled(d.X, scale);
      const CompressedData ref = compress_linear_data(d), c = compress_linear_data(sd);
      EXPECT_EQ(c.data.X, scaled(ref.data.X, scale));
      EXPECT_EQ(c.data.Y, ref.data.Y);
      EXPECT_EQ(c.loss_offset, ref.loss_offset);
      EXPECT_GT(max_abs(ref.data.X), 0.0);
    }
    {
      const Dataset d = gaussian_data(m, 3, 4);  // n = 3 < d0 = 5: the input reduction
      Dataset sd = d;
      sd.X = scaled(d.X, scale);
      const InputReduction ref = reduce_inputs(d), r = reduce_inputs(sd);
      EXPECT_EQ(r.data.X, scaled(ref.data.X, scale));
      const std::vector<double> W1 = {0.3, -1.2, 0.7, 2.0, -0.1, 1.1, 0.4, -0.6, 0.9, 0.2,
                                      -0.8, 0.5, 1.3, -0.4, 0.6};
      std::vector<double> v_ref(9), v(9);
      ref.first_layer(W1.data(), 3, v_ref.data());
      r.first_layer(W1.data(), 3, v.data());
      EXPECT_EQ(v, v_ref);
      EXPECT_GT(max_abs(v_ref), 0.0);
    }
  }
}

// Columns that take the reflectors' edge paths: a feature that is zero for every sample (a zero
// column: the identity), a feature with one nonzero sample and one repeating another (columns
// whose tail becomes zero after the earlier reflections: a sign flip), and a last feature alone
// (a reflector of length n − d0 + 1). The compressed data must still give the samples' loss
// and gradient, which it does only if every reflector is orthogonal.
TEST(Compressed, EdgeColumnsStillGiveTheSamplesLossAndGradient) {
  const Model m = make_model(Family::linear, {5, 3, 2});
  Dataset d = gaussian_data(m, 7, 13);
  const int n = d.n;
  for (int s = 0; s < n; ++s) {
    d.X[std::size_t(1) * n + s] = 0.0;                               // feature 1: zero
    d.X[std::size_t(2) * n + s] = s == 3 ? 2.5 : 0.0;                // feature 2: one sample
    d.X[std::size_t(3) * n + s] = d.X[std::size_t(0) * n + s];       // feature 3 = feature 0
  }
  d.X[std::size_t(4) * n + 0] = 0.0;  // a_k = 0 for the last reflector's first entry, maybe
  const CompressedData cd = compress_linear_data(d);
  for (double x : cd.data.X) ASSERT_TRUE(std::isfinite(x));
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const std::vector<double> w = random_weights(m, seed, 1.0);
    const double L = loss_at(m, d, w), Lc = loss_at(m, cd.data, w) + cd.loss_offset;
    EXPECT_LE(std::fabs(Lc - L), 1e-12 * L) << "seed " << seed;
    const std::vector<double> g = grad_at(m, d, w), gc = grad_at(m, cd.data, w);
    EXPECT_LE(max_abs_diff(g, gc), 1e-11 * max_abs(g)) << "seed " << seed;
  }
}
