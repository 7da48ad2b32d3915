// The eigen stage's solvers: LAPACK's dsyevd against Eigen's self-adjoint solver on random
// symmetric matrices (eigenvalues to 1e-10 of the spectrum's scale, and by residual), the
// Eigen/LAPACK switch of symmetric_spectrum, and a failed solve marking only its endpoint.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

#include "landscape/backends/backend.hpp"
#include "landscape/core/linalg.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

std::vector<double> random_symmetric(int P, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  std::vector<double> A(std::size_t(P) * P);
  for (int i = 0; i < P; ++i)
    for (int j = 0; j <= i; ++j) A[std::size_t(i) * P + j] = A[std::size_t(j) * P + i] = g(rng);
  // A repeated eigenvalue (a zero block) as Hessians at symmetric minima have.
  for (int j = 0; j < P; ++j) A[std::size_t(P - 1) * P + j] = A[std::size_t(j) * P + P - 1] = 0;
  return A;
}

TEST(Linalg, LapackEigenvaluesMatchEigenAndHaveSmallResiduals) {
  if (!lapack_available()) GTEST_SKIP() << "built without LAPACK";
  for (int P : {1, 7, 63, 64, 200}) {
    SCOPED_TRACE("P " + std::to_string(P));
    const std::vector<double> A = random_symmetric(P, unsigned(P));
    const std::vector<double> ref = symmetric_eigenvalues(A.data(), P);
    std::vector<double> work = A, spec = A;
    std::vector<double> lam(static_cast<std::size_t>(P)), lam2(static_cast<std::size_t>(P));
    ASSERT_EQ(lapack_symmetric_eigenvalues(work.data(), P, lam.data()), 0);
    // symmetric_spectrum's retry after a failed solve rebuilds the matrix from the triangle
    // dsyevd leaves alone (row-major strict lower) and the diagonal: that triangle is intact.
    for (int i = 0; i < P; ++i)
      for (int j = 0; j < i; ++j)
        ASSERT_EQ(work[std::size_t(i) * P + j], A[std::size_t(i) * P + j]) << i << "," << j;
    ASSERT_TRUE(symmetric_spectrum(spec.data(), P, lam2.data()));
    const double scale = std::max(std::abs(ref.front()), std::abs(ref.back()));
    for (int k = 0; k < P; ++k) {
      EXPECT_NEAR(lam[std::size_t(k)], ref[std::size_t(k)], 1e-10 * scale) << "k " << k;
      EXPECT_NEAR(lam2[std::size_t(k)], ref[std::size_t(k)], 1e-10 * scale) << "k " << k;
      if (k > 0) EXPECT_LE(lam[std::size_t(k) - 1], lam[std::size_t(k)]);
    }
    // Each value is an eigenvalue: A − λI is singular to rounding (smallest singular value).
    for (int k : {0, P / 2, P - 1}) {
      Eigen::MatrixXd M = Eigen::Map<const Eigen::MatrixXd>(A.data(), P, P);
      M.diagonal().array() -= lam[std::size_t(k)];
      const double smin = Eigen::JacobiSVD<Eigen::MatrixXd>(M).singularValues()(P - 1);
      EXPECT_LE(smin, 1e-10 * scale * P) << "k " << k;
    }
  }
}

TEST(Linalg, FailedLapackSolveIsRetriedOnTheWholeMatrix) {
  if (!lapack_available()) GTEST_SKIP() << "built without LAPACK";
  // A LAPACK step that fails after destroying everything dsyevd may destroy: the column-major
  // lower triangle with the diagonal (row-major: the upper triangle with the diagonal).
  const LapackEigenSolver failing = [](double* A, int P, double* out) {
    for (int i = 0; i < P; ++i)
      for (int j = i; j < P; ++j) A[std::size_t(i) * P + j] = 1e300;
    for (int k = 0; k < P; ++k) out[k] = 7.0;
    return 1;
  };
  const int P = kLapackMinP + 3;
  const std::vector<double> A = random_symmetric(P, 5u);
  const std::vector<double> ref = symmetric_eigenvalues(A.data(), P);
  std::vector<double> work = A, lam(static_cast<std::size_t>(P));
  ASSERT_TRUE(symmetric_spectrum_with(work.data(), P, lam.data(), failing));
  const double scale = std::max(std::abs(ref.front()), std::abs(ref.back()));
  for (int k = 0; k < P; ++k) EXPECT_NEAR(lam[std::size_t(k)], ref[std::size_t(k)], 1e-12 * scale);
}

TEST(Linalg, EmptyAndNonFiniteInput) {
  if (!lapack_available()) GTEST_SKIP() << "built without LAPACK";
  std::vector<double> A(4, 0.0), lam(2, 1.0);
  EXPECT_EQ(lapack_symmetric_eigenvalues(A.data(), 0, lam.data()), 0);
  EXPECT_EQ(lam[0], 1.0);  // nothing written
  // A NaN matrix: either no solver converges (false, all NaN) or NaN comes out; never a
  // finite spectrum that could be taken for curvature.
  std::vector<double> N(std::size_t(kLapackMinP) * kLapackMinP,
                        std::numeric_limits<double>::quiet_NaN());
  std::vector<double> out(std::size_t(kLapackMinP), 0.0);
  const bool ok = symmetric_spectrum(N.data(), kLapackMinP, out.data());
  bool any_nan = false;
  for (double x : out) any_nan = any_nan || std::isnan(x);
  EXPECT_TRUE(!ok || any_nan);
}

// A solve that fails marks its own endpoint (no spectrum, NaN eigenvalues) and no other.
TEST(Linalg, FailedSolveMarksOnlyItsEndpoint) {
  const Model m = make_model(Family::linear, {4, 6, 4, 4});  // P = 24 + 24 + 16 = 64
  ASSERT_GE(int(m.param_count()), kLapackMinP);
  const Dataset d = gaussian_data(m, 12, 2);
  const std::size_t count = 5, P = m.param_count();
  const std::vector<double> w = network_batch(m, 3, count);
  std::vector<EndpointAnalysis> a(count), b(count);
  std::vector<double> ea(count * P), eb(count * P);
  auto cpu = make_cpu_backend(2);
  cpu->analyze(m, d, count, w.data(), a.data(), ea.data());
  ::setenv("LANDSCAPE_FAULT_EIGEN_FAIL", "2", 1);
  cpu->analyze(m, d, count, w.data(), b.data(), eb.data());
  ::unsetenv("LANDSCAPE_FAULT_EIGEN_FAIL");
  for (std::size_t i = 0; i < count; ++i) {
    EXPECT_TRUE(a[i].has_spectrum) << i;
    EXPECT_EQ(b[i].has_spectrum, i != 2) << i;
    for (std::size_t k = 0; k < P; ++k)
      if (i == 2)
        EXPECT_TRUE(std::isnan(eb[i * P + k]));
      else
        EXPECT_EQ(eb[i * P + k], ea[i * P + k]);
    // The same spectrum as Eigen's solver on the same Hessian.
    const HessianResult h = exact_hessian(m, d, w.data() + i * P);
    const std::vector<double> ref = symmetric_eigenvalues(h.H.data(), int(P));
    const double scale = std::max({1.0, std::abs(ref.front()), std::abs(ref.back())});
    for (std::size_t k = 0; k < P; ++k) EXPECT_NEAR(ea[i * P + k], ref[k], 1e-10 * scale);
  }
}

}  // namespace
