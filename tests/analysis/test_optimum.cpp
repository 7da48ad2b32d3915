// The closed-form optimum (docs/math.md §3) against direct minimization, rank-deficient cases included.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>

#include "landscape/core/linalg.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/io/config.hpp"
#include "landscape/analysis/optimum.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

/// Best loss over `count` restarts: Adam to get close, then plain GD to polish in float64.
double minimize(const Model& m, const Dataset& d, int count, std::vector<double>* all = nullptr) {
  auto backend = make_cpu_backend(0);
  const std::size_t P = m.param_count();
  std::vector<double> w(count * P);
  for (int i = 0; i < count; ++i)
    math::init_network(99, math::kStreamInitBase + i, m.depth(), m.dims.data(), 1.0, &w[i * P]);
  std::vector<math::TrainOutcome> out(count);
  TrainSettings s;
  s.params.kind = math::OptimizerKind::adam;
  s.params.lr = 1e-2;
  s.params.max_steps = 6000;
  backend->train(m, d, s, count, w.data(), out.data());
  s.params.kind = math::OptimizerKind::gd;
  s.params.lr = 2e-3;
  s.params.max_steps = 20000;
  s.params.grad_tol = 1e-11;
  backend->train(m, d, s, count, w.data(), out.data());
  double best = 1e300;
  for (int i = 0; i < count; ++i) {
    const double l = loss_at(m, d, std::vector<double>(&w[i * P], &w[(i + 1) * P]));
    if (all) all->push_back(l);
    best = std::min(best, l);
  }
  return best;
}

struct OptCase {
  std::vector<int> dims;
  int n, x_rank, y_rank;
};

void PrintTo(const OptCase& c, std::ostream* os) {
  *os << "dims";
  for (int d : c.dims) *os << " " << d;
  *os << " n " << c.n << " rank X " << c.x_rank << " rank Y " << c.y_rank;
}

class ClosedForm : public ::testing::TestWithParam<OptCase> {};

TEST_P(ClosedForm, MatchesDirectMinimizationForDeepLinear) {
  const OptCase& c = GetParam();
  const Model m = make_model(Family::linear, c.dims);
  const Dataset d = gaussian_data(m, c.n, 5, c.x_rank, c.y_rank);
  if (c.x_rank) ASSERT_EQ(numerical_rank(d.X.data(), d.d0, d.n), c.x_rank);
  if (c.y_rank) ASSERT_EQ(numerical_rank(d.Y.data(), d.dh, d.n), c.y_rank);
  const auto Lstar = closed_form_optimum(m, d);
  ASSERT_TRUE(Lstar.has_value());
  std::vector<double> losses;
  const double best = minimize(m, d, 12, &losses);
  const double scale = std::max(1.0, 0.5 * [&] { double s = 0; for (double y : d.Y) s += y * y; return s; }());
  EXPECT_NEAR(best, *Lstar, 1e-7 * scale) << "L* = " << *Lstar;
  for (double l : losses) EXPECT_GE(l, *Lstar - 1e-9 * scale);
}

INSTANTIATE_TEST_SUITE_P(
    RankDeficient, ClosedForm,
    ::testing::Values(OptCase{{4, 3}, 6, 0, 0},       // h = 1: plain least squares
                      OptCase{{4, 2, 3}, 8, 0, 0},    // bottleneck r = 2
                      OptCase{{4, 2, 3}, 8, 2, 0},    // rank-deficient X
                      OptCase{{5, 3, 4}, 8, 0, 2},    // rank-deficient Y
                      OptCase{{5, 3, 4}, 8, 2, 2},    // both
                      OptCase{{3, 2, 2, 3}, 6, 0, 0}, // h = 3
                      OptCase{{6, 4, 4}, 3, 0, 0}),   // n < d0: X has rank n
    [](const auto& info) {
      std::string s = "dims";
      for (int d : info.param.dims) s += "_" + std::to_string(d);
      return s + "_n" + std::to_string(info.param.n) + "_rx" + std::to_string(info.param.x_rank) +
             "_ry" + std::to_string(info.param.y_rank);
    });

TEST(ClosedForm, IndependentFormulaForBottleneck) {
  // Independent route: Ŷ from the normal equations with X of full row rank, then truncated SVD.
  const Model m = make_model(Family::linear, {4, 2, 5});
  const Dataset d = gaussian_data(m, 10, 9);
  Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>> X(d.X.data(), 4, 10), Y(d.Y.data(), 5, 10);
  const Eigen::MatrixXd B = Y * X.transpose() * (X * X.transpose()).inverse();
  const Eigen::MatrixXd Yhat = B * X;
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(Yhat, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::MatrixXd Ur = svd.matrixU().leftCols(2);
  const double ref = 0.5 * (Y - Ur * Ur.transpose() * Yhat).squaredNorm();
  EXPECT_NEAR(*closed_form_optimum(m, d), ref, 1e-10 * ref);
}

TEST(ClosedForm, LeakyReluPyramidalIsZeroAndReached) {
  const Model m = make_model(Family::leaky_relu, {6, 4, 3}, 0.3);
  const Dataset d = gaussian_data(m, 5, 3);  // d0 = 6 ≥ n = 5: full column rank
  const auto Lstar = closed_form_optimum(m, d);
  ASSERT_TRUE(Lstar.has_value());
  EXPECT_EQ(*Lstar, 0.0);
  EXPECT_LT(minimize(m, d, 8), 1e-8);
}

TEST(ClosedForm, NoFormulaOutsideTheTheorems) {
  // Non-pyramidal leaky ReLU, and pyramidal with X not of full column rank.
  const Model wide = make_model(Family::leaky_relu, {4, 6, 2});
  EXPECT_FALSE(closed_form_optimum(wide, gaussian_data(wide, 3, 1)).has_value());
  const Model pyr = make_model(Family::leaky_relu, {4, 3, 2});
  EXPECT_FALSE(closed_form_optimum(pyr, gaussian_data(pyr, 6, 1)).has_value());   // n > d0
  EXPECT_FALSE(closed_form_optimum(pyr, gaussian_data(pyr, 3, 1, 2)).has_value()); // rank X = 2
}

}  // namespace
