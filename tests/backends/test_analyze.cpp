// The analysis with fewer samples than inputs (core/data.hpp InputReduction, docs/math.md §2b):
// the first layer sees the data only through R, the Hessian has d1·(d0 − n) structural null
// directions, and Backend::analyze gives the full Hessian's spectrum with those zeros exact and
// the facts of the points as given.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "landscape/analysis/hessian.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/core/common.hpp"
#include "landscape/core/data.hpp"
#include "landscape/core/linalg.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

struct ReduceCase {
  Family family;
  std::vector<int> dims;
  int n, x_rank;
};

void PrintTo(const ReduceCase& c, std::ostream* os) {
  *os << to_string(c.family);
  for (int d : c.dims) *os << "_" << d;
  *os << "_n" << c.n << "_rank" << c.x_rank;
}

const ReduceCase kCases[] = {
    {Family::leaky_relu, {12, 6, 4, 2}, 5, 0},  // a W-P-like pyramid, d0 > n
    {Family::leaky_relu, {10, 5, 3}, 4, 2},     // rank-deficient X
    {Family::linear, {8, 4, 3}, 3, 0},          // deep linear, n < d0
    {Family::leaky_relu, {6, 3, 2}, 1, 0},      // one sample
    {Family::linear, {7, 7, 2}, 6, 0},          // d0 − n = 1
};

class Reduced : public ::testing::TestWithParam<ReduceCase> {
 protected:
  Model model() const { return make_model(GetParam().family, GetParam().dims, 0.1); }
  Dataset data(const Model& m) const { return gaussian_data(m, GetParam().n, 21, GetParam().x_rank); }
};

TEST_P(Reduced, FirstLayerSeesTheSameProducts) {
  const Model m = model();
  const Dataset d = data(m);
  ASSERT_TRUE(reduces_inputs(m, d));
  const InputReduction r = reduce_inputs(d);
  const int d0 = d.d0, n = d.n, d1 = m.dims[1];
  ASSERT_EQ(r.data.d0, n);
  ASSERT_EQ(r.data.n, n);
  ASSERT_EQ(r.data.Y, d.Y);
  double xnorm2 = 0, rnorm2 = 0;
  for (double x : d.X) xnorm2 += x * x;
  for (int k = 0; k < n; ++k)
    for (int s = 0; s < n; ++s) {
      const double v = r.data.X[std::size_t(k) * n + s];
      if (k > s) EXPECT_EQ(v, 0.0) << "R is upper triangular";
      rnorm2 += v * v;
    }
  EXPECT_NEAR(std::sqrt(rnorm2), std::sqrt(xnorm2), 1e-13 * std::sqrt(xnorm2));
  // W1·X = V1·R for random W1, and ‖V1‖ ≤ ‖W1‖ (an orthogonal projection).
  const std::vector<double> w = random_weights(m, 3);
  std::vector<double> V(std::size_t(d1) * n);
  r.first_layer(w.data(), d1, V.data());
  double wn2 = 0, vn2 = 0;
  for (int a = 0; a < d1; ++a)
    for (int s = 0; s < n; ++s) {
      double full = 0, red = 0, scale = 0;
      for (int b = 0; b < d0; ++b) {
        full += w[std::size_t(a) * d0 + b] * d.X[std::size_t(b) * n + s];
        scale += std::fabs(w[std::size_t(a) * d0 + b] * d.X[std::size_t(b) * n + s]);
      }
      for (int k = 0; k < n; ++k) red += V[std::size_t(a) * n + k] * r.data.X[std::size_t(k) * n + s];
      EXPECT_NEAR(red, full, 1e-13 * scale) << a << "," << s;
    }
  for (int k = 0; k < d1 * d0; ++k) wn2 += w[std::size_t(k)] * w[std::size_t(k)];
  for (double v : V) vn2 += v * v;
  EXPECT_LE(vn2, wn2 * (1 + 1e-14));
}

// The math itself, on the full Hessian formed as given: every direction e_a ⊗ z of the first
// layer with z ⊥ col(X) is a null vector, at any point (not only at critical ones).
TEST_P(Reduced, InputNullDirectionsAreNullVectorsOfTheFullHessian) {
  const Model m = model();
  const Dataset d = data(m);
  const int d0 = d.d0, n = d.n, d1 = m.dims[1];
  const std::size_t P = m.param_count();
  const std::vector<double> w = random_weights(m, 5);
  const HessianResult h = exact_hessian(m, d, w.data());
  double hmax = 0;
  for (double x : h.H) hmax = std::max(hmax, std::fabs(x));
  ASSERT_GT(hmax, 0);
  // z: a random vector with its projection onto col(X) removed (twice, for orthogonality).
  std::vector<double> z(static_cast<std::size_t>(d0));
  for (int b = 0; b < d0; ++b) z[std::size_t(b)] = std::sin(1.0 + 3.7 * b);
  const InputReduction r = reduce_inputs(d);
  for (int pass = 0; pass < 2; ++pass) {
    // z ← z − Q̂Q̂ᵀz, through the reflectors: Qᵀz, zero its first n entries, Q·that.
    std::vector<double> c = z;
    for (int k = 0; k < n; ++k) {
      const double* v = r.reflectors.data() + std::size_t(k) * d0;
      double t = 0;
      for (int i = 0; i < d0; ++i) t += v[i] * c[std::size_t(i)];
      for (int i = 0; i < d0; ++i) c[std::size_t(i)] -= r.betas[std::size_t(k)] * t * v[i];
    }
    for (int k = 0; k < n; ++k) c[std::size_t(k)] = 0;
    for (int k = n - 1; k >= 0; --k) {
      const double* v = r.reflectors.data() + std::size_t(k) * d0;
      double t = 0;
      for (int i = 0; i < d0; ++i) t += v[i] * c[std::size_t(i)];
      for (int i = 0; i < d0; ++i) c[std::size_t(i)] -= r.betas[std::size_t(k)] * t * v[i];
    }
    z = c;
  }
  double zn = 0;
  for (double x : z) zn += x * x;
  ASSERT_GT(zn, 1e-6);
  for (int s = 0; s < n; ++s) {
    double dot = 0;
    for (int b = 0; b < d0; ++b) dot += z[std::size_t(b)] * d.X[std::size_t(b) * n + s];
    ASSERT_NEAR(dot, 0.0, 1e-12) << "z is not orthogonal to sample " << s;
  }
  for (int a = 0; a < d1; ++a) {
    double worst = 0;
    for (std::size_t row = 0; row < P; ++row) {
      double hv = 0;
      for (int b = 0; b < d0; ++b) hv += h.H[row * P + std::size_t(a) * d0 + b] * z[std::size_t(b)];
      worst = std::max(worst, std::fabs(hv));
    }
    EXPECT_LE(worst, 1e-12 * hmax * std::sqrt(zn)) << "unit " << a;
  }
}

// Backend::analyze against the full Hessian's spectrum from an independent solver (Eigen's,
// on the matrix as given): the same eigenvalues within rounding, at least d1·(d0 − n) of them
// exactly zero, ascending, and the facts bitwise those at the points as given.
TEST_P(Reduced, AnalyzeGivesTheFullSpectrumAndTheGivenFacts) {
  const Model m = model();
  const Dataset d = data(m);
  const std::size_t count = 7, P = m.param_count();
  const std::size_t structural = std::size_t(m.dims[1]) * std::size_t(d.d0 - d.n);
  const std::vector<double> w = network_batch(m, 9, count);
  std::vector<EndpointAnalysis> a(count);
  std::vector<double> ev(count * P);
  make_cpu_backend(2)->analyze(m, d, count, w.data(), a.data(), ev.data());
  for (std::size_t i = 0; i < count; ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(a[i].has_spectrum);
    const auto f = point_facts(m, d, w.data() + i * P);
    EXPECT_TRUE(same_bits(a[i].facts.loss, f.loss));
    EXPECT_TRUE(same_bits(a[i].facts.grad_norm, f.grad_norm));
    EXPECT_TRUE(same_bits(a[i].facts.kink_distance, f.kink_distance));
    const HessianResult h = exact_hessian(m, d, w.data() + i * P);
    const std::vector<double> ref = symmetric_eigenvalues(h.H.data(), int(P));
    const double* e = ev.data() + i * P;
    EXPECT_TRUE(std::is_sorted(e, e + P));
    const double scale = std::max(std::fabs(ref.front()), std::fabs(ref.back()));
    double worst = 0;
    for (std::size_t k = 0; k < P; ++k) worst = std::max(worst, std::fabs(e[k] - ref[k]));
    EXPECT_LE(worst, 1e-12 * scale);
    EXPECT_GE(std::size_t(std::count(e, e + P, 0.0)), structural);
  }
}

// The reduction changes no bits with the thread count, and a non-finite point in the batch is
// marked alone.
TEST_P(Reduced, SameBitsOnAnyThreadCountAndABadPointMarkedAlone) {
  const Model m = model();
  const Dataset d = data(m);
  const std::size_t count = 6, P = m.param_count();
  std::vector<double> w = network_batch(m, 4, count);
  w[2 * P + 1] = std::numeric_limits<double>::quiet_NaN();  // in the first layer
  const auto run = [&](int threads, std::vector<EndpointAnalysis>& a, std::vector<double>& ev) {
    a.assign(count, EndpointAnalysis{});
    ev.assign(count * P, 0.0);
    make_cpu_backend(threads)->analyze(m, d, count, w.data(), a.data(), ev.data());
  };
  std::vector<EndpointAnalysis> a1, a2;
  std::vector<double> e1, e2;
  run(1, a1, e1);
  run(2, a2, e2);
  for (std::size_t i = 0; i < count; ++i) {
    EXPECT_EQ(a1[i].has_spectrum, i != 2) << i;
    EXPECT_EQ(a2[i].has_spectrum, a1[i].has_spectrum) << i;
  }
  for (std::size_t k = 0; k < count * P; ++k)
    ASSERT_TRUE(same_bits(e1[k], e2[k]) || (std::isnan(e1[k]) && std::isnan(e2[k]))) << k;
  for (std::size_t k = 2 * P; k < 3 * P; ++k) EXPECT_TRUE(std::isnan(e1[k]));
  // The others are what they are alone.
  std::vector<EndpointAnalysis> one(1);
  std::vector<double> e(P);
  make_cpu_backend(1)->analyze(m, d, 1, w.data() + 3 * P, one.data(), e.data());
  for (std::size_t k = 0; k < P; ++k) EXPECT_TRUE(same_bits(e[k], e1[3 * P + k])) << k;
}

INSTANTIATE_TEST_SUITE_P(Cases, Reduced, ::testing::ValuesIn(kCases));

TEST(Reduced, NeedsFewerSamplesThanInputs) {
  const Model m = make_model(Family::leaky_relu, {4, 3, 2});
  const Dataset d = gaussian_data(m, 4, 1);
  EXPECT_FALSE(reduces_inputs(m, d));
  EXPECT_THROW(reduce_inputs(d), Error);
}

}  // namespace
