// The geometry around a point: slices against direct evaluation and finite differences,
// filter normalisation, Hessian blocks against Kronecker-product formulas, and the matrix-free
// path (Hessian-vector products, Lanczos) against the dense Hessian and its solver.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "landscape/analysis/escape.hpp"
#include "landscape/analysis/geometry.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/analysis/lanczos.hpp"
#include "landscape/core/common.hpp"
#include "landscape/core/linalg.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

using RowMat = Eigen::Matrix<double, -1, -1, Eigen::RowMajor>;

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

TEST(Geometry, LossAlongMatchesDirectEvaluationAndCurvature) {
  const Model m = make_model(Family::linear, {4, 3, 3, 2});
  const Dataset d = gaussian_data(m, 9, 3);
  const auto w = random_weights(m, 11);
  const Eigenpairs e = smallest_eigenpairs(m, d, w.data(), 2);
  ASSERT_EQ(e.count, 2);
  const std::vector<double> v(e.vector(0), e.vector(0) + m.param_count());
  const double t = 1e-3;
  const auto L = loss_along(m, d, w.data(), v.data(), {-t, 0.0, t, 0.37});
  EXPECT_EQ(L[1], loss_at(m, d, w));
  std::vector<double> x = w;
  for (std::size_t k = 0; k < x.size(); ++k) x[k] += 0.37 * v[k];
  EXPECT_EQ(L[3], loss_at(m, d, x));
  // d²/dt² L(w + t v) at 0 is vᵀHv = λ_min for the unit eigenvector v.
  const double curvature = (L[0] - 2 * L[1] + L[2]) / (t * t);
  EXPECT_NEAR(curvature, e.values[0], 1e-5 * std::max(1.0, std::abs(e.values[0])));
  EXPECT_LE(e.values[0], e.values[1]);
}

TEST(Geometry, PlaneContainsBothLinesAndMatchesDirectEvaluation) {
  const Model m = make_model(Family::leaky_relu, {3, 4, 2}, 0.1);
  const Dataset d = gaussian_data(m, 7, 5);
  const auto w = random_weights(m, 2);
  const auto d1 = random_direction(m, 1, 1), d2 = random_direction(m, 1, 2);
  const auto as = symmetric_grid(0.5, 5), bs = symmetric_grid(0.25, 3);
  EXPECT_EQ(as[2], 0.0);
  EXPECT_DOUBLE_EQ(as[0], -0.5);
  const auto plane = loss_on_plane(m, d, w.data(), d1.data(), d2.data(), as, bs);
  ASSERT_EQ(plane.size(), as.size() * bs.size());
  const auto line_a = loss_along(m, d, w.data(), d1.data(), as);
  const auto line_b = loss_along(m, d, w.data(), d2.data(), bs);
  for (std::size_t i = 0; i < as.size(); ++i) EXPECT_EQ(plane[1 * as.size() + i], line_a[i]);
  for (std::size_t j = 0; j < bs.size(); ++j) EXPECT_EQ(plane[j * as.size() + 2], line_b[j]);
  std::vector<double> x = w;
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = w[k] + as[4] * d1[k] + bs[0] * d2[k];
  EXPECT_EQ(plane[0 * as.size() + 4], loss_at(m, d, x));
  EXPECT_THROW(symmetric_grid(1.0, 1), Error);
  EXPECT_THROW(symmetric_grid(0.0, 5), Error);
}

TEST(Geometry, FilterNormalizedDirectionHasTheWeightsRowNorms) {
  const Model m = make_model(Family::linear, {5, 4, 3});
  auto w = random_weights(m, 4);
  for (int c = 0; c < 5; ++c) w[std::size_t(2 * 5 + c)] = 0.0;  // row 2 of W_1 is zero
  const auto v = filter_normalized_direction(m, w.data(), 9, 1);
  EXPECT_EQ(v, filter_normalized_direction(m, w.data(), 9, 1));
  EXPECT_NE(v, filter_normalized_direction(m, w.data(), 9, 2));
  std::size_t off = 0;
  for (int i = 1; i <= m.depth(); ++i) {
    const int rows = m.dims[std::size_t(i)], cols = m.dims[std::size_t(i - 1)];
    for (int r = 0; r < rows; ++r) {
      double nv = 0, nw = 0;
      for (int c = 0; c < cols; ++c) {
        nv += v[off + std::size_t(r * cols + c)] * v[off + std::size_t(r * cols + c)];
        nw += w[off + std::size_t(r * cols + c)] * w[off + std::size_t(r * cols + c)];
      }
      EXPECT_NEAR(std::sqrt(nv), std::sqrt(nw), 1e-14 * std::max(1.0, std::sqrt(nw)));
      if (i == 1 && r == 2) EXPECT_EQ(nv, 0.0);
    }
    off += std::size_t(rows * cols);
  }
}

TEST(Geometry, RandomDirectionIsUnitAndZeroDirectionIsRefused) {
  const Model m = make_model(Family::linear, {3, 2, 2});
  const auto v = random_direction(m, 3, 4);
  double s = 0;
  for (double x : v) s += x * x;
  EXPECT_NEAR(s, 1.0, 1e-14);
  std::vector<double> z(m.param_count(), 0.0);
  EXPECT_THROW(normalize_direction(z, "direction.json"), Error);
}

TEST(Geometry, TwoLayerBlocksAreKroneckerProducts) {
  // L = ½‖W2 W1 X − Y‖²: H_11 = W2ᵀW2 ⊗ XXᵀ and H_22 = I ⊗ W1XXᵀW1ᵀ in row-major vec order;
  // the eigenvalues of a Kronecker product of PSD matrices are the products of theirs.
  const Model m = make_model(Family::linear, {4, 3, 2});
  const Dataset d = gaussian_data(m, 8, 6);
  const auto w = random_weights(m, 5);
  const HessianBlocks b = hessian_blocks(m, d, w.data());
  ASSERT_EQ(b.layers, 2);
  Eigen::Map<const RowMat> X(d.X.data(), 4, 8), W1(w.data(), 3, 4), W2(w.data() + 12, 2, 3);
  const Eigen::MatrixXd XX = X * X.transpose(), A = W2.transpose() * W2;
  const Eigen::MatrixXd B = W1 * XX * W1.transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ex(XX), ea(A), eb(B);
  const double lmin1 = ea.eigenvalues().minCoeff() * ex.eigenvalues().minCoeff();
  const double lmax1 = ea.eigenvalues().maxCoeff() * ex.eigenvalues().maxCoeff();
  EXPECT_NEAR(b.lambda_min[0], lmin1, 1e-10 * lmax1);
  EXPECT_NEAR(b.lambda_max[0], lmax1, 1e-10 * lmax1);
  EXPECT_NEAR(b.lambda_min[1], eb.eigenvalues().minCoeff(), 1e-10 * eb.eigenvalues().maxCoeff());
  EXPECT_NEAR(b.lambda_max[1], eb.eigenvalues().maxCoeff(), 1e-10 * eb.eigenvalues().maxCoeff());
  // ‖I_2 ⊗ B‖_F = √2 ‖B‖_F; the blocks' norms add up to the whole Hessian's.
  EXPECT_NEAR(b.frobenius[3], std::sqrt(2.0) * B.norm(), 1e-10 * B.norm());
  EXPECT_NEAR(b.frobenius[1], b.frobenius[2], 1e-12 * b.frobenius[1]);
  const HessianResult h = exact_hessian(m, d, w.data());
  double total = 0, blocks = 0;
  for (double x : h.H) total += x * x;
  for (double f : b.frobenius) blocks += f * f;
  EXPECT_NEAR(blocks, total, 1e-12 * total);
}

class MatrixFree : public ::testing::TestWithParam<Family> {};

TEST_P(MatrixFree, HessianVectorProductIsTheDenseHessianTimesTheVector) {
  const Model m = make_model(GetParam(), {5, 4, 3, 2}, 0.2);
  const Dataset d = gaussian_data(m, 10, 7);
  const auto w = random_weights(m, 8);
  const HessianResult h = exact_hessian(m, d, w.data());
  const std::size_t P = m.param_count();
  HessianOperator op(m, d, w.data());
  EXPECT_DOUBLE_EQ(op.loss(), h.loss);
  for (std::uint64_t k = 0; k < 3; ++k) {
    const auto v = random_direction(m, 21, k);
    std::vector<double> hv(P), ref(P, 0.0);
    op.apply(v.data(), hv.data());
    for (std::size_t i = 0; i < P; ++i)
      for (std::size_t j = 0; j < P; ++j) ref[i] += h.H[i * P + j] * v[j];
    const double scale = max_abs(h.H);
    for (std::size_t i = 0; i < P; ++i) EXPECT_NEAR(hv[i], ref[i], 1e-12 * scale) << i;
  }
  EXPECT_EQ(op.products(), 3);
}

TEST_P(MatrixFree, LanczosExtremeEigenvaluesMatchTheDenseSolver) {
  // P = 12·10 + 10·8 + 8·6 = 248: both paths run; every extreme value within 1e-8·max|λ|.
  const Model m = make_model(GetParam(), {12, 10, 8, 6}, 0.3);
  const Dataset d = gaussian_data(m, 20, 9);
  const auto w = random_weights(m, 10);
  const int P = int(m.param_count());
  const HessianResult h = exact_hessian(m, d, w.data());
  const std::vector<double> ev = symmetric_eigenvalues(h.H.data(), P);
  const double scale = std::max(std::abs(ev.front()), std::abs(ev.back()));
  const int k = 6;
  const PartialSpectrum ps = lanczos_extreme(m, d, w.data(), k);
  ASSERT_EQ(int(ps.smallest.size()), k);
  ASSERT_EQ(int(ps.largest.size()), k);
  for (int i = 0; i < k; ++i) {
    EXPECT_NEAR(ps.smallest[std::size_t(i)], ev[std::size_t(i)], 1e-8 * scale) << i;
    EXPECT_NEAR(ps.largest[std::size_t(i)], ev[std::size_t(P - k + i)], 1e-8 * scale) << i;
  }
  EXPECT_GT(ps.products, 0);
  // The eigenvectors by residual: ‖Hv − λv‖ ≤ 1e-6·max|λ|, unit norm.
  Eigen::Map<const RowMat> H(h.H.data(), P, P);
  for (int i = 0; i < k; ++i) {
    Eigen::Map<const Eigen::VectorXd> v(ps.smallest_pairs.vector(i), P);
    EXPECT_NEAR(v.norm(), 1.0, 1e-12);
    EXPECT_LT((H * v - ps.smallest[std::size_t(i)] * v).norm(), 1e-6 * scale);
  }
  EXPECT_THROW(lanczos_extreme(m, d, w.data(), P / 2), Error);
}

INSTANTIATE_TEST_SUITE_P(Families, MatrixFree,
                         ::testing::Values(Family::linear, Family::leaky_relu),
                         [](const auto& info) { return to_string(info.param); });

TEST(MatrixFree, DenseMemoryEstimate) {
  const Model big = make_model(Family::linear, {128, 128, 128, 10});
  EXPECT_EQ(big.param_count(), 34048u);
  EXPECT_GT(dense_hessian_bytes(big), 30e9);
  const Model p8k = make_model(Family::linear, {60, 60, 60, 12});  // P = 7,920
  EXPECT_LT(dense_hessian_bytes(p8k), kDefaultMaxDenseMb * 1024 * 1024);
}

}  // namespace
