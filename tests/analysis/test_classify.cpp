// Known critical points are classified correctly (docs/math.md §4 "Known objects for tests").
#include <gtest/gtest.h>

#include <Eigen/Dense>

#include "landscape/backends/backend.hpp"
#include "landscape/analysis/classify.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/analysis/optimum.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

using RowMat = Eigen::Matrix<double, -1, -1, Eigen::RowMajor>;

PointReport classify_weights(const Model& m, const Dataset& d, const std::vector<double>& w) {
  Point p{m, d, w};
  auto cpu = make_cpu_backend(1);
  return classify_single(p, DecideSettings{}, RestartSpec{}, *cpu);
}

TEST(KnownPoints, ZeroIsStrictSaddleForTwoLayers) {
  const Model m = make_model(Family::linear, {4, 3, 2});
  const Dataset d = gaussian_data(m, 7, 1);
  const PointReport r = classify_weights(m, d, std::vector<double>(m.param_count(), 0.0));
  EXPECT_EQ(r.endpoint.cls, PointClass::strict_saddle);
  EXPECT_LT(r.endpoint.grad_norm, 1e-14);
  EXPECT_GT(r.endpoint.nominal_spectrum().n_negative, 0);
  EXPECT_EQ(r.optimum.kind, "closed_form");
}

TEST(KnownPoints, ZeroHasZeroHessianAndIsANonStrictSaddleForDeepNets) {
  for (std::vector<int> dims : {std::vector<int>{3, 3, 3, 2}, std::vector<int>{4, 2, 3, 2, 3}}) {
    const Model m = make_model(Family::linear, dims);
    const Dataset d = gaussian_data(m, 6, 2);
    const auto w = std::vector<double>(m.param_count(), 0.0);
    const HessianResult h = exact_hessian(m, d, w.data());
    for (double x : h.H) EXPECT_EQ(x, 0.0);
    const PointReport r = classify_weights(m, d, w);
    // Second order cannot decide; the escape test finds the cubic (or higher) descent.
    EXPECT_EQ(r.endpoint.raw_class, PointClass::degenerate);
    EXPECT_EQ(r.endpoint.cls, PointClass::non_strict_saddle);
    EXPECT_EQ(r.endpoint.nominal_spectrum().n_near_zero, int(m.param_count()));
    EXPECT_GT(r.endpoint.loss, r.optimum.value);
  }
}

/// Two-layer critical point W2 = U_S, W1 = U_Sᵀ Y X⁺ for a subset S of left singular vectors
/// of Ŷ (Baldi–Hornik): S = top r is a global minimum, any other subset a strict saddle.
std::vector<double> two_layer_point(const Model& m, const Dataset& d, const std::vector<int>& S) {
  Eigen::Map<const RowMat> X(d.X.data(), d.d0, d.n), Y(d.Y.data(), d.dh, d.n);
  const Eigen::MatrixXd Xp = X.completeOrthogonalDecomposition().pseudoInverse();
  const Eigen::MatrixXd Yhat = Y * Xp * X;
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(Yhat, Eigen::ComputeFullU);
  const int r = int(S.size());
  Eigen::MatrixXd U(d.dh, r);
  for (int k = 0; k < r; ++k) U.col(k) = svd.matrixU().col(S[k]);
  const RowMat W2 = U;
  const RowMat W1 = U.transpose() * Y * Xp;
  std::vector<double> w(W1.data(), W1.data() + W1.size());
  w.insert(w.end(), W2.data(), W2.data() + W2.size());
  EXPECT_EQ(w.size(), m.param_count());
  return w;
}

TEST(KnownPoints, TwoLayerGlobalMinimumFromSvd) {
  for (int x_rank : {0, 3}) {
    const Model m = make_model(Family::linear, {5, 2, 4});
    const Dataset d = gaussian_data(m, 9, 3, x_rank);
    const auto w = two_layer_point(m, d, {0, 1});
    const PointReport r = classify_weights(m, d, w);
    EXPECT_EQ(r.endpoint.cls, PointClass::global_minimum) << "x_rank " << x_rank;
    EXPECT_LT(r.endpoint.grad_norm, 1e-10);
    EXPECT_NEAR(r.endpoint.loss, r.optimum.value, 1e-10 * r.loss_scale);
    EXPECT_EQ(r.endpoint.nominal_spectrum().n_negative, 0);
    // The GL(d1) orbit (d1² = 4 directions) lies in the Hessian's null space.
    EXPECT_GE(r.endpoint.nominal_spectrum().n_near_zero, 4);
  }
}

TEST(KnownPoints, TwoLayerNonTopSubsetsAreStrictSaddles) {
  const Model m = make_model(Family::linear, {5, 2, 4});
  const Dataset d = gaussian_data(m, 9, 4);
  for (std::vector<int> S : {std::vector<int>{0, 2}, std::vector<int>{1, 2}, std::vector<int>{2, 3}}) {
    const auto w = two_layer_point(m, d, S);
    const PointReport r = classify_weights(m, d, w);
    EXPECT_LT(r.endpoint.grad_norm, 1e-10);
    EXPECT_EQ(r.endpoint.cls, PointClass::strict_saddle);
    EXPECT_GT(r.endpoint.loss, r.optimum.value);
  }
}

TEST(Classify, RulesInOrder) {
  SpectrumSummary psd;
  psd.n_negative = 0;
  SpectrumSummary neg;
  neg.n_negative = 2;
  const Tolerances t;
  EXPECT_EQ(classify_point(false, 1, 0, psd, 0, 1, t), PointClass::diverged);
  EXPECT_EQ(classify_point(true, NAN, 0, psd, 0, 1, t), PointClass::diverged);
  EXPECT_EQ(classify_point(true, 1, 1e-3, neg, 0, 1, t), PointClass::not_critical);
  EXPECT_EQ(classify_point(true, 1e-7, 1e-6, neg, 0, 1, t), PointClass::global_minimum);
  EXPECT_EQ(classify_point(true, 1, 1e-6, neg, 0, 1, t), PointClass::strict_saddle);
  EXPECT_EQ(classify_point(true, 1, 1e-6, psd, 0, 1, t), PointClass::degenerate);
  // Tolerances scale with the loss scale.
  EXPECT_EQ(classify_point(true, 1, 1e-3, psd, 0, 1e3, t), PointClass::degenerate);
}

TEST(Classify, SpectrumSummaryUsesRelativeThreshold) {
  const double ev[] = {-1e-9, -1e-3, 0.0, 2.0, 1000.0};
  const SpectrumSummary s = summarize_spectrum(ev, 5, 1e-6);
  EXPECT_DOUBLE_EQ(s.eig_threshold, 1e-3);
  EXPECT_EQ(s.n_negative, 0);  // -1e-3 is within 1e-6 × 1000
  EXPECT_EQ(s.n_near_zero, 3);
  EXPECT_EQ(s.n_positive, 2);
  EXPECT_EQ(s.lambda_min, -1e-3);
}

TEST(Classify, EmpiricalOptimumFromRestartsForLeakyNonPyramidal) {
  const Model m = make_model(Family::leaky_relu, {2, 4, 2}, 0.2);
  const Dataset d = gaussian_data(m, 5, 8);
  ASSERT_FALSE(closed_form_optimum(m, d).has_value());
  Point p{m, d, std::vector<double>(m.param_count(), 0.0)};
  auto cpu = make_cpu_backend(0);
  RestartSpec rs;
  rs.restarts = 4;
  rs.steps = 3000;
  rs.lr = 1e-2;
  const PointReport r = classify_single(p, DecideSettings{}, rs, *cpu);
  EXPECT_EQ(r.optimum.kind, "empirical");
  EXPECT_EQ(r.restarts, 4);
  EXPECT_LT(r.optimum.value, r.endpoint.loss);  // restarts beat the origin
  EXPECT_NE(r.endpoint.cls, PointClass::global_minimum);
}

}  // namespace
