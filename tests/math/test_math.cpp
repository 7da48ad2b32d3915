// Gradients and Hessians against central finite differences in float64; Hessian symmetry;
// eigenvalues against an independent (cyclic Jacobi) solver and by residual.
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "landscape/core/linalg.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/math/rng.hpp"
#include "landscape/core/model.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

class Derivatives : public ::testing::TestWithParam<Case> {};

TEST_P(Derivatives, GradientMatchesCentralDifferences) {
  const Case& c = GetParam();
  const Model m = make_model(c.family, c.dims);
  const Dataset d = gaussian_data(m, c.n, 11);
  for (std::uint64_t trial = 0; trial < 3; ++trial) {
    std::vector<double> w = random_weights(m, 100 + trial);
    const std::vector<double> g = grad_at(m, d, w);
    const double h = 1e-6;
    double num = 0, den = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double w0 = w[k];
      w[k] = w0 + h;
      const double lp = loss_at(m, d, w);
      w[k] = w0 - h;
      const double lm = loss_at(m, d, w);
      w[k] = w0;
      const double fd = (lp - lm) / (2 * h);
      num += (fd - g[k]) * (fd - g[k]);
      den += g[k] * g[k];
    }
    EXPECT_LT(std::sqrt(num / std::max(den, 1e-300)), 1e-7) << "trial " << trial;
  }
}

TEST_P(Derivatives, HessianMatchesDifferencesOfGradient) {
  const Case& c = GetParam();
  const Model m = make_model(c.family, c.dims);
  const Dataset d = gaussian_data(m, c.n, 12);
  std::vector<double> w = random_weights(m, 200);
  const HessianResult hr = exact_hessian(m, d, w.data());
  const std::size_t P = w.size();
  const double h = 1e-5;
  double num = 0, den = 0;
  for (std::size_t j = 0; j < P; ++j) {
    const double w0 = w[j];
    w[j] = w0 + h;
    const auto gp = grad_at(m, d, w);
    w[j] = w0 - h;
    const auto gm = grad_at(m, d, w);
    w[j] = w0;
    for (std::size_t i = 0; i < P; ++i) {
      const double fd = (gp[i] - gm[i]) / (2 * h);
      const double e = fd - hr.H[i * P + j];
      num += e * e;
      den += hr.H[i * P + j] * hr.H[i * P + j];
    }
  }
  EXPECT_LT(std::sqrt(num / std::max(den, 1e-300)), 1e-7);
  // Gradient returned with the Hessian equals the plain gradient.
  const auto g = grad_at(m, d, w);
  for (std::size_t k = 0; k < P; ++k) EXPECT_NEAR(hr.gradient[k], g[k], 1e-12 * (1 + std::abs(g[k])));
}

TEST_P(Derivatives, HessianColumnsAreSymmetricToRounding) {
  // Build H column by column with dense Hessian-vector products (no symmetrization) and
  // check the raw asymmetry is at rounding level.
  const Case& c = GetParam();
  const Model m = make_model(c.family, c.dims);
  const Dataset d = gaussian_data(m, c.n, 13);
  const std::vector<double> w = random_weights(m, 300);
  const math::Shape s = m.shape(d.n);
  const std::size_t P = w.size();
  std::vector<double> ws(math::hessian_workspace(s) + P), e(P, 0.0), H(P * P);
  for (std::size_t j = 0; j < P; ++j) {
    e[j] = 1;
    math::hessian_vector(s, d.X.data(), d.Y.data(), w.data(), e.data(), H.data() + j * P, ws.data());
    e[j] = 0;
  }
  double asym = 0, norm = 0;
  for (std::size_t i = 0; i < P; ++i)
    for (std::size_t j = 0; j < P; ++j) {
      asym = std::max(asym, std::abs(H[i * P + j] - H[j * P + i]));
      norm = std::max(norm, std::abs(H[i * P + j]));
    }
  EXPECT_LE(asym, 1e-12 * std::max(1.0, norm));
  // The unit-vector fast path of `hessian` agrees with the dense products.
  const HessianResult hr = exact_hessian(m, d, w.data());
  for (std::size_t k = 0; k < P * P; ++k)
    EXPECT_NEAR(hr.H[k], 0.5 * (H[k] + H[(k % P) * P + k / P]), 1e-12 * std::max(1.0, norm));
}

TEST_P(Derivatives, DenseHessianVectorProductMatchesMatrix) {
  const Case& c = GetParam();
  const Model m = make_model(c.family, c.dims);
  const Dataset d = gaussian_data(m, c.n, 14);
  const std::vector<double> w = random_weights(m, 400);
  const std::vector<double> v = random_weights(m, 401);
  const math::Shape s = m.shape(d.n);
  const std::size_t P = w.size();
  std::vector<double> ws(math::hessian_workspace(s) + P), hv(P);
  math::hessian_vector(s, d.X.data(), d.Y.data(), w.data(), v.data(), hv.data(), ws.data());
  const HessianResult hr = exact_hessian(m, d, w.data());
  for (std::size_t i = 0; i < P; ++i) {
    double ref = 0, mag = 0;
    for (std::size_t j = 0; j < P; ++j) {
      ref += hr.H[i * P + j] * v[j];
      mag += std::abs(hr.H[i * P + j] * v[j]);
    }
    EXPECT_NEAR(hv[i], ref, 1e-12 * (1 + mag));
  }
}

INSTANTIATE_TEST_SUITE_P(
    BothFamilies, Derivatives,
    ::testing::Values(Case{Family::linear, {3, 2}, 5},            // h = 1
                      Case{Family::linear, {4, 3, 2}, 6},         // h = 2
                      Case{Family::linear, {3, 1, 3}, 4},         // width 1 bottleneck
                      Case{Family::linear, {1, 1, 1, 1}, 3},      // all widths 1
                      Case{Family::linear, {4, 3, 5, 2, 3}, 7},   // h = 4
                      Case{Family::leaky_relu, {3, 2}, 5},
                      Case{Family::leaky_relu, {6, 4, 3}, 5},
                      Case{Family::leaky_relu, {5, 1, 2}, 4},
                      Case{Family::leaky_relu, {8, 6, 4, 2}, 6},  // pyramidal h = 3
                      Case{Family::leaky_relu, {3, 5, 4, 2, 2}, 6}),
    case_name);

/// Independent eigen-solver: cyclic Jacobi rotations (textbook, O(P³) per sweep).
std::vector<double> jacobi_eigenvalues(std::vector<double> A, int n) {
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) off += A[p * n + q] * A[p * n + q];
    if (off < 1e-30) break;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) {
        const double apq = A[p * n + q];
        if (std::abs(apq) < 1e-300) continue;
        const double theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1 : -1) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double cs = 1 / std::sqrt(t * t + 1), sn = t * cs;
        for (int k = 0; k < n; ++k) {
          const double akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = cs * akp - sn * akq;
          A[k * n + q] = sn * akp + cs * akq;
        }
        for (int k = 0; k < n; ++k) {
          const double apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = cs * apk - sn * aqk;
          A[q * n + k] = sn * apk + cs * aqk;
        }
      }
  }
  std::vector<double> ev(n);
  for (int i = 0; i < n; ++i) ev[i] = A[i * n + i];
  std::sort(ev.begin(), ev.end());
  return ev;
}

TEST(Eigenvalues, AgreeWithIndependentJacobiSolver) {
  for (Family f : {Family::linear, Family::leaky_relu}) {
    const Model m = make_model(f, {5, 4, 3, 3});
    const Dataset d = gaussian_data(m, 6, 21);
    const auto w = random_weights(m, 22);
    const HessianResult hr = exact_hessian(m, d, w.data());
    const int P = int(w.size());
    const auto ev = symmetric_eigenvalues(hr.H.data(), P);
    const auto ref = jacobi_eigenvalues(hr.H, P);
    const double scale = std::max(std::abs(ref.front()), std::abs(ref.back()));
    ASSERT_EQ(ev.size(), ref.size());
    for (int k = 0; k < P; ++k) EXPECT_NEAR(ev[k], ref[k], 1e-10 * scale) << "k = " << k;
    EXPECT_TRUE(std::is_sorted(ev.begin(), ev.end()));
    // Trace is preserved.
    double tr = 0, sum = 0;
    for (int k = 0; k < P; ++k) {
      tr += hr.H[k * P + k];
      sum += ev[k];
    }
    EXPECT_NEAR(tr, sum, 1e-10 * scale * P);
  }
}

TEST(Rng, CounterStreamsAreReproducibleAndDistinct) {
  math::CounterRng a(5, 1), b(5, 1), c(5, 2), e(6, 1);
  double mean = 0, var = 0;
  const int N = 20000;
  for (int i = 0; i < N; ++i) {
    const double x = a.normal();
    EXPECT_EQ(x, b.normal());
    mean += x;
    var += x * x;
  }
  EXPECT_NEAR(mean / N, 0.0, 0.05);
  EXPECT_NEAR(var / N, 1.0, 0.05);
  EXPECT_NE(c.normal(), e.normal());
}

TEST(Init, ThreadedInitIsEachNetworksOwnStream) {
  Model m;
  m.family = Family::linear;
  m.dims = {5, 3, 4};
  const std::size_t P = m.param_count();
  const std::vector<long> idx = {7, 0, 123456789, 3, 3, 41, 2, 19, 8, 1000};
  std::vector<double> one(idx.size() * P, 0.0), three(idx.size() * P, 0.0);
  init_weights(m, 11, 0.5, idx.data(), idx.size(), one.data(), 1);
  init_weights(m, 11, 0.5, idx.data(), idx.size(), three.data(), 3);
  EXPECT_EQ(one, three);
  for (std::size_t i = 0; i < idx.size(); ++i) {
    std::vector<double> ref(P);
    math::init_network(11, math::kStreamInitBase + std::uint64_t(idx[i]), m.depth(), m.dims.data(),
                       0.5, ref.data());
    EXPECT_TRUE(std::equal(ref.begin(), ref.end(), one.begin() + std::ptrdiff_t(i * P))) << "network " << idx[i];
  }
  // The repeated index gives the same weights; different indices differ.
  EXPECT_TRUE(std::equal(one.begin() + 3 * std::ptrdiff_t(P), one.begin() + 4 * std::ptrdiff_t(P),
                         one.begin() + 4 * std::ptrdiff_t(P)));
  EXPECT_NE(one[0], one[P]);
}

}  // namespace
