// Refinement, escape test, symmetry-aware spectra and local openness (docs/math.md §5–7).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <limits>

#include "landscape/analysis/hessian.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/analysis/endpoint.hpp"
#include "landscape/analysis/escape.hpp"
#include "landscape/analysis/openness.hpp"
#include "landscape/analysis/refine.hpp"
#include "landscape/analysis/symmetry.hpp"
#include "landscape/analysis/verdicts.hpp"
#include "landscape/core/linalg.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/analysis/optimum.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

using RowMat = Eigen::Matrix<double, -1, -1, Eigen::RowMajor>;

PointReport decide(const Model& m, const Dataset& d, const std::vector<double>& w,
                   bool refine = false) {
  DecideSettings s;
  s.refine.enabled = refine;
  auto cpu = make_cpu_backend(1);
  return classify_single(Point{m, d, w}, s, RestartSpec{}, *cpu);
}

std::vector<double> pack(const std::vector<RowMat>& Ws) {
  std::vector<double> w;
  for (const auto& W : Ws) w.insert(w.end(), W.data(), W.data() + W.size());
  return w;
}

/// Left singular vectors of Ŷ = Y X⁺ X and X⁺.
struct Svd {
  Eigen::MatrixXd U, Xp;
  RowMat Y;
};
Svd svd_of(const Dataset& d) {
  Eigen::Map<const RowMat> X(d.X.data(), d.d0, d.n), Y(d.Y.data(), d.dh, d.n);
  Svd s;
  s.Xp = X.completeOrthogonalDecomposition().pseudoInverse();
  s.Y = Y;
  Eigen::JacobiSVD<Eigen::MatrixXd> svd(Y * s.Xp * X, Eigen::ComputeFullU);
  s.U = svd.matrixU();
  return s;
}

/// Two-layer critical point from a subset S of left singular vectors, padded with zero
/// columns up to width d1 (so rank-deficient weights when |S| < d1).
std::vector<double> two_layer(const Dataset& d, int d1, const std::vector<int>& S) {
  const Svd s = svd_of(d);
  RowMat W2 = RowMat::Zero(d.dh, d1);
  for (std::size_t k = 0; k < S.size(); ++k) W2.col(Eigen::Index(k)) = s.U.col(S[k]);
  const RowMat W1 = W2.transpose() * s.Y * s.Xp;
  return pack({W1, W2});
}

RowMat random_invertible(int n, std::uint64_t seed) {
  math::CounterRng rng(seed, 77);
  RowMat G(n, n);
  for (int i = 0; i < n * n; ++i) G.data()[i] = rng.normal();
  return G + 3.0 * RowMat::Identity(n, n);
}

TEST(Escape, ZeroOfDeepLinearIsANonStrictSaddleWithAVerifiedWitness) {
  for (std::vector<int> dims : {std::vector<int>{3, 2, 2, 3}, std::vector<int>{3, 3, 3, 3, 2}}) {
    const Model m = make_model(Family::linear, dims);
    const Dataset d = gaussian_data(m, 6, 31);
    const std::vector<double> w(m.param_count(), 0.0);
    const PointReport r = decide(m, d, w);
    EXPECT_EQ(r.endpoint.raw_class, PointClass::degenerate);
    EXPECT_EQ(r.endpoint.cls, PointClass::non_strict_saddle);
    ASSERT_TRUE(r.endpoint.escape.has_value());
    const EscapeResult& e = *r.endpoint.escape;
    ASSERT_TRUE(e.escaped);
    ASSERT_EQ(e.direction.size(), w.size());
    // Replay the witness independently.
    std::vector<double> x(w.size());
    double n2 = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
      x[k] = w[k] + e.step * e.direction[k];
      n2 += e.direction[k] * e.direction[k];
    }
    EXPECT_NEAR(n2, 1.0, 1e-12);
    const double L0 = loss_at(m, d, w), L1 = loss_at(m, d, x);
    EXPECT_NEAR(L0 - L1, e.loss_drop, 1e-9 * L0);
    EXPECT_GT(L0 - L1, r.settings.tol.loss * r.loss_scale);
  }
}

TEST(Escape, ZeroOfTwoLayerLinearIsAStrictSaddle) {
  const Model m = make_model(Family::linear, {4, 3, 3});
  const Dataset d = gaussian_data(m, 7, 32);
  const PointReport r = decide(m, d, std::vector<double>(m.param_count(), 0.0));
  EXPECT_EQ(r.endpoint.cls, PointClass::strict_saddle);
  EXPECT_FALSE(r.endpoint.escape.has_value());  // second order decided; no escape test needed
}

TEST(Escape, FindsNothingAtAGlobalMinimum) {
  const Model m = make_model(Family::linear, {4, 2, 3});
  const Dataset d = gaussian_data(m, 8, 33);
  const std::vector<double> w = two_layer(d, 2, {0, 1});
  std::vector<double> values, vectors;
  hessian_eigensystem(m, d, w.data(), values, vectors);
  std::vector<double> nullv;
  int k = 0;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (std::abs(values[i]) < 1e-8 * values.back()) {
      nullv.insert(nullv.end(), vectors.begin() + std::ptrdiff_t(i * w.size()),
                   vectors.begin() + std::ptrdiff_t((i + 1) * w.size()));
      ++k;
    }
  EXPECT_EQ(k, 4);  // GL(2) orbit
  const EscapeResult e = escape_test(m, d, w.data(), {nullv, k, 1e-9, 1e-9}, EscapeSpec{});
  EXPECT_FALSE(e.escaped);
  EXPECT_LE(e.loss_drop, 1e-9);
  EXPECT_GT(e.probes, 1000);  // the whole budget was spent
}

TEST(TwoLayerTheorem5, RankDeficientCriticalPointsAreStrictSaddles) {
  const Model m = make_model(Family::linear, {5, 3, 4});
  const Dataset d = gaussian_data(m, 9, 34, 0, 0);
  for (std::vector<int> S : {std::vector<int>{0}, std::vector<int>{2}, std::vector<int>{0, 1},
                             std::vector<int>{1, 3}}) {
    const std::vector<double> w = two_layer(d, 3, S);
    const PointReport r = decide(m, d, w);
    SCOPED_TRACE("subset size " + std::to_string(S.size()));
    EXPECT_LT(r.endpoint.grad_norm, 1e-10);
    ASSERT_TRUE(r.endpoint.openness.has_value());
    EXPECT_LT(r.endpoint.openness->layer_ranks[0], 3);  // rank-deficient weights
    EXPECT_FALSE(*r.endpoint.openness->non_degenerate);
    EXPECT_EQ(r.endpoint.cls, PointClass::strict_saddle);
  }
}

TEST(Symmetry, NullSpaceEqualsOrbitAtRandomGlobalMinima) {
  // Two-layer bottleneck: W2 = U_r G, W1 = G⁻¹ U_rᵀ Y X⁺ for random invertible G.
  {
    const Model m = make_model(Family::linear, {4, 2, 3});
    const Dataset d = gaussian_data(m, 8, 35);
    const Svd s = svd_of(d);
    for (std::uint64_t seed : {1, 2, 3}) {
      const RowMat G = random_invertible(2, seed);
      const RowMat W2 = s.U.leftCols(2) * G;
      const RowMat W1 = G.inverse() * s.U.leftCols(2).transpose() * s.Y * s.Xp;
      const PointReport r = decide(m, d, pack({W1, W2}));
      EXPECT_EQ(r.endpoint.cls, PointClass::global_minimum);
      ASSERT_TRUE(r.endpoint.symmetry.has_value());
      EXPECT_EQ(r.endpoint.symmetry->orbit_dim, 4);
      EXPECT_EQ(r.endpoint.symmetry->near_zero, 4);
      EXPECT_EQ(r.endpoint.symmetry->excess, 0);
    }
  }
  // Three layers [4,3,3,4]: product U_3 U_3ᵀ Ŷ X⁺ split by random G1, G2; orbit 9 + 9.
  {
    const Model m = make_model(Family::linear, {4, 3, 3, 4});
    const Dataset d = gaussian_data(m, 8, 36);
    const Svd s = svd_of(d);
    const RowMat G1 = random_invertible(3, 4), G2 = random_invertible(3, 5);
    const RowMat W3 = s.U.leftCols(3) * G2;
    const RowMat W2 = G2.inverse() * G1;
    const RowMat W1 = G1.inverse() * s.U.leftCols(3).transpose() * s.Y * s.Xp;
    const PointReport r = decide(m, d, pack({W1, W2, W3}));
    EXPECT_EQ(r.endpoint.cls, PointClass::global_minimum);
    EXPECT_EQ(r.endpoint.symmetry->orbit_dim, 18);
    EXPECT_EQ(r.endpoint.symmetry->orbit_dim_max, 18);
    EXPECT_EQ(r.endpoint.symmetry->near_zero, 18);
    EXPECT_TRUE(*r.endpoint.openness->non_degenerate);
  }
}

TEST(CertifiedMinima, MorseBottGlobalMinimaAreCertifiedWithTheirMargin) {
  // A two-layer bottleneck global minimum: null space = GL(2) orbit (4), the rest positive.
  const Model m = make_model(Family::linear, {4, 2, 3});
  const Dataset d = gaussian_data(m, 8, 35);
  const std::vector<double> w = two_layer(d, 2, {0, 1});
  const PointReport r = decide(m, d, w);
  ASSERT_EQ(r.endpoint.cls, PointClass::global_minimum);
  ASSERT_TRUE(r.endpoint.minimum.has_value());
  EXPECT_EQ(r.endpoint.minimum->status, "certified");
  // The margin is the fifth smallest eigenvalue (independently: Eigen on the exact Hessian), well
  // above the floating-point bound, which is 10·P·ε·max|λ|.
  std::vector<double> values, vectors;
  hessian_eigensystem(m, d, w.data(), values, vectors);
  std::sort(values.begin(), values.end());
  EXPECT_NEAR(r.endpoint.minimum->margin, values[4], 1e-9 * values.back());
  EXPECT_GT(r.endpoint.minimum->margin, 1e-3 * values.back());
  EXPECT_NEAR(r.endpoint.minimum->error_bound,
              10.0 * double(w.size()) * std::numeric_limits<double>::epsilon() * values.back(),
              1e-6 * r.endpoint.minimum->error_bound);

  // The same minimum moved off its critical manifold (gradient far above the refinement's
  // target, still under the classification tolerance) is a global minimum but not certified:
  // the Morse–Bott argument is about an exact critical point.
  {
    std::vector<double> off = w;
    off[0] += 1e-8;
    const PointReport ro = decide(m, d, off);
    ASSERT_EQ(ro.endpoint.cls, PointClass::global_minimum);
    ASSERT_GT(ro.endpoint.grad_norm, 1e-12 * loss_scale(d));
    EXPECT_EQ(ro.endpoint.minimum->status, "loss_only");
  }

  // A global minimum with flat directions beyond the orbit (rank-1 targets, width 2: the unused
  // hidden direction is free) rests on its loss alone.
  const Dataset d1 = gaussian_data(m, 8, 35, 0, 1);
  const PointReport r1 = decide(m, d1, two_layer(d1, 2, {0}));
  ASSERT_EQ(r1.endpoint.cls, PointClass::global_minimum);
  ASSERT_GT(r1.endpoint.symmetry->excess, 0);
  EXPECT_EQ(r1.endpoint.minimum->status, "loss_only");

  // Saddles carry no certificate at all.
  const Model deep = make_model(Family::linear, {3, 2, 2, 3});
  const PointReport r0 = decide(deep, gaussian_data(deep, 6, 31), std::vector<double>(deep.param_count(), 0.0));
  EXPECT_EQ(r0.endpoint.cls, PointClass::non_strict_saddle);
  EXPECT_FALSE(r0.endpoint.minimum.has_value());
}

// The data's null directions (docs/math.md §2b, §6): with fewer samples than inputs, or X of
// rank below d0, W_1 can move by A·Zᵀ (Z ⊥ col(X)) without changing the loss. Counted with the
// orbit, a global minimum's near-null space is exactly the known one (excess 0) and the minimum
// is certified; before, those d1·(d0 − rank X) directions read as excess degeneracy.
TEST(CertifiedMinima, TheDataNullDirectionsAreKnownNotExcess) {
  const Model m = make_model(Family::linear, {6, 2, 3});
  const struct {
    int n, x_rank, rank_x;
  } cases[] = {{4, 0, 4}, {8, 3, 3}};  // n < d0; n ≥ d0 with X of rank 3
  for (const auto& c : cases) {
    SCOPED_TRACE("n " + std::to_string(c.n) + " rank " + std::to_string(c.rank_x));
    const Dataset d = gaussian_data(m, c.n, 35, c.x_rank);
    const std::vector<double> w = two_layer(d, 2, {0, 1});
    const PointReport r = decide(m, d, w);
    ASSERT_EQ(r.endpoint.cls, PointClass::global_minimum);
    ASSERT_TRUE(r.endpoint.symmetry.has_value());
    const int data_null = 2 * (6 - c.rank_x);
    EXPECT_EQ(r.endpoint.symmetry->orbit_dim, 4);
    EXPECT_EQ(r.endpoint.symmetry->data_null_dim, data_null);
    EXPECT_EQ(r.endpoint.symmetry->near_zero, 4 + data_null);
    EXPECT_EQ(r.endpoint.symmetry->excess, 0);
    EXPECT_EQ(r.endpoint.minimum->status, "certified");
    // The margin: the smallest eigenvalue past the known null space (Eigen on the exact H).
    std::vector<double> values, vectors;
    hessian_eigensystem(m, d, w.data(), values, vectors);
    std::sort(values.begin(), values.end());
    EXPECT_NEAR(r.endpoint.minimum->margin, values[std::size_t(4 + data_null)], 1e-9 * values.back());
    EXPECT_GT(r.endpoint.minimum->margin, 1e-6 * values.back());
  }
}

// known_null_space against the rank of [T | D] formed explicitly (D from X's null space by a
// full-pivoting LU, T from orbit_dimension's definition), on random leaky and linear points.
TEST(Symmetry, KnownNullSpaceIsTheRankOfOrbitAndDataDirections) {
  const struct {
    Family f;
    std::vector<int> dims;
    int n, x_rank;
  } cases[] = {{Family::leaky_relu, {7, 4, 3, 2}, 5, 0},
               {Family::linear, {5, 3, 2}, 9, 2},
               {Family::leaky_relu, {4, 3, 2}, 6, 0}};  // full rank: no data directions
  for (const auto& c : cases) {
    const Model m = make_model(c.f, c.dims, 0.1);
    const Dataset d = gaussian_data(m, c.n, 12, c.x_rank);
    const std::vector<double> w = random_weights(m, 8);
    const KnownNullSpace k = known_null_space(m, d, w.data(), 1e-8);
    const DataColumnSpace columns = data_column_space(d);  // as a chunk computes it once
    const KnownNullSpace kc = known_null_space(m, d, w.data(), 1e-8, &columns);
    EXPECT_EQ(kc.orbit, k.orbit);
    EXPECT_EQ(kc.data, k.data);
    const int d0 = c.dims[0], d1 = c.dims[1];
    const Eigen::Index P = Eigen::Index(m.param_count());
    Eigen::Map<const RowMat> X(d.X.data(), d0, d.n);
    const Eigen::MatrixXd Z = Eigen::MatrixXd(X.transpose()).fullPivLu().kernel();  // d0 × (d0 − r)
    const int nz = X.fullPivLu().rank() == d0 ? 0 : int(Z.cols());
    // T by finite differences of the symmetry action would be slower; the tangent matrix here
    // is rebuilt from its definition (δW_i = M·W_i, δW_{i+1} = −W_{i+1}·M).
    std::vector<Eigen::VectorXd> cols;
    std::size_t off = 0;
    for (int i = 1; i < m.depth(); ++i) {
      const int di = c.dims[std::size_t(i)], dp = c.dims[std::size_t(i) - 1], dn = c.dims[std::size_t(i) + 1];
      const std::size_t offn = off + std::size_t(di) * dp;
      for (int a = 0; a < di; ++a)
        for (int b = 0; b < di; ++b) {
          if (c.f == Family::leaky_relu && a != b) continue;
          Eigen::VectorXd t = Eigen::VectorXd::Zero(P);
          for (int q = 0; q < dp; ++q) t(Eigen::Index(off + std::size_t(a) * dp + q)) = w[off + std::size_t(b) * dp + q];
          for (int r = 0; r < dn; ++r) t(Eigen::Index(offn + std::size_t(r) * di + b)) = -w[offn + std::size_t(r) * di + a];
          cols.push_back(t);
        }
      off = offn;
    }
    for (int a = 0; a < d1; ++a)
      for (int j = 0; j < nz; ++j) {
        Eigen::VectorXd t = Eigen::VectorXd::Zero(P);
        for (int q = 0; q < d0; ++q) t(Eigen::Index(a * d0 + q)) = Z(q, j);
        cols.push_back(t);
      }
    const int nt = int(cols.size()) - d1 * nz;
    Eigen::MatrixXd TD(P, Eigen::Index(cols.size()));
    for (std::size_t j = 0; j < cols.size(); ++j) TD.col(Eigen::Index(j)) = cols[j];
    const auto rank = [](const Eigen::MatrixXd& A) {
      if (A.cols() == 0) return 0;
      const Eigen::JacobiSVD<Eigen::MatrixXd> s(A);
      return rank_from_singular_values(s.singularValues().data(), int(s.singularValues().size()), 1e-8);
    };
    EXPECT_EQ(k.orbit, rank(TD.leftCols(nt)));
    EXPECT_EQ(k.orbit + k.data, rank(TD));
    // A linear orbit can share directions with D (M = v·uᵀ with W_2·v = 0 moves W_1 alone, by
    // v·uᵀW_1, inside D when uᵀW_1 ⊥ col(X)); a leaky one moves W_2 with every direction.
    EXPECT_LE(k.data, d1 * nz);
    if (c.f == Family::leaky_relu) EXPECT_EQ(k.data, d1 * nz);
  }
}

// Only X's rank deficiency to rounding makes data null directions: nearly collinear features
// (σ_min/σ_max ≈ 1e-9, below rank_tol yet far above rounding) make none, exactly collinear ones
// make d1 per missing rank.
TEST(Symmetry, NearlyCollinearFeaturesAreNotDataNullDirections) {
  const Model m = make_model(Family::leaky_relu, {4, 3, 2}, 0.1);
  Dataset d = gaussian_data(m, 9, 14);
  const std::vector<double> w = random_weights(m, 2);
  for (int s = 0; s < d.n; ++s) d.X[std::size_t(3 * d.n + s)] = d.X[std::size_t(2 * d.n + s)];
  EXPECT_EQ(known_null_space(m, d, w.data(), 1e-6).data, 3);
  for (int s = 0; s < d.n; ++s) d.X[std::size_t(3 * d.n + s)] += 1e-9 * std::cos(1.0 + s);
  EXPECT_EQ(known_null_space(m, d, w.data(), 1e-6).data, 0);
  EXPECT_EQ(known_null_space(m, d, w.data(), 1e-3).data, 0);
}

TEST(Symmetry, LeakyReluOrbitIsPositiveRescaling) {
  const Model m = make_model(Family::leaky_relu, {5, 4, 3, 2}, 0.2);
  const auto w = random_weights(m, 7);
  EXPECT_EQ(orbit_dimension_max(m), 7);
  EXPECT_EQ(orbit_dimension(m, w.data(), 1e-8), 7);
  // Rescaling directions leave the loss unchanged to first order: check along one exactly.
  const Dataset d = gaussian_data(m, 6, 8);
  std::vector<double> w2 = w;
  const double c = 1.7;  // unit 0 of hidden layer 1: row 0 of W1 × c, column 0 of W2 ÷ c
  for (int j = 0; j < 5; ++j) w2[std::size_t(j)] *= c;
  for (int r = 0; r < 3; ++r) w2[20 + std::size_t(r) * 4] /= c;
  EXPECT_NEAR(loss_at(m, d, w), loss_at(m, d, w2), 1e-12 * loss_at(m, d, w));
}

TEST(Symmetry, OrbitShrinksAtRankDeficientPoints) {
  const Model m = make_model(Family::linear, {3, 2, 3});
  EXPECT_EQ(orbit_dimension(m, std::vector<double>(m.param_count(), 0.0).data(), 1e-8), 0);
  std::vector<double> w(m.param_count(), 0.0);
  w[0] = 1.0;   // W1[0][0]
  w[6] = 1.0;   // W2[0][0]
  // M = [[a, b], [c, d]]: δW1 = M W1 has rows (a, 0, 0) and (c, 0, 0); δW2 = −W2 M has a single
  // nonzero row (−a, −b): the tangent map has rank 3.
  EXPECT_EQ(orbit_dimension(m, w.data(), 1e-8), 3);
}

// The orbit rank near its threshold, where the Gram screen must hand over to the SVD: one
// hidden unit scaled down by f makes the tangent map's smallest singular value shrink with f.
TEST(Symmetry, OrbitRankAtTheThresholdFollowsTheSvd) {
  const Model m = make_model(Family::linear, {4, 3, 3, 4});
  const auto w0 = random_weights(m, 21);
  EXPECT_EQ(orbit_dimension(m, w0.data(), 1e-10), orbit_dimension_max(m));
  for (const double f : {1e-3, 1e-6, 1e-9, 1e-13}) {
    std::vector<double> w = w0;
    for (int c = 0; c < 4; ++c) w[std::size_t(c)] *= f;        // row 0 of W1
    for (int r = 0; r < 3; ++r) w[12 + std::size_t(r) * 3] *= f;  // column 0 of W2
    // Reference: the rank from the singular values of the tangent map, by its definition.
    const int screened = orbit_dimension(m, w.data(), 1e-10);
    const int loose = orbit_dimension(m, w.data(), 1e-3);
    EXPECT_LE(screened, orbit_dimension_max(m)) << f;
    EXPECT_LE(loose, screened) << f;
    if (f >= 1e-6) EXPECT_EQ(screened, orbit_dimension_max(m)) << f;  // σ ratio ≈ f ≫ 1e-10
    if (f <= 1e-13) EXPECT_LT(screened, orbit_dimension_max(m)) << f;  // below the threshold
    if (f <= 1e-6) EXPECT_LT(loose, orbit_dimension_max(m)) << f;      // below 1e-3
  }
}

TEST(Openness, RankFormulaOnBothSides) {
  std::string rule;
  // k < min(m, n): N&R Theorem 2.
  EXPECT_TRUE(matrix_product_locally_open(4, 2, 5, 2, 2, 2, &rule));
  EXPECT_NE(rule.find("Theorem 2"), std::string::npos);
  EXPECT_FALSE(matrix_product_locally_open(4, 2, 5, 2, 1, 1));  // rank A ≠ rank B
  EXPECT_FALSE(matrix_product_locally_open(4, 2, 5, 1, 1, 0));  // N(A) ∩ C(B) ≠ {0}
  EXPECT_TRUE(matrix_product_locally_open(4, 2, 5, 0, 0, 0));   // the origin
  // k ≥ min(m, n): Behrends; A full row rank or B full column rank suffice.
  EXPECT_TRUE(matrix_product_locally_open(2, 3, 4, 2, 1, 1, &rule));
  EXPECT_NE(rule.find("Behrends"), std::string::npos);
  EXPECT_TRUE(matrix_product_locally_open(4, 3, 2, 1, 2, 1));
  EXPECT_FALSE(matrix_product_locally_open(2, 2, 3, 1, 1, 0));
  EXPECT_TRUE(matrix_product_locally_open(2, 2, 3, 1, 1, 1));
}

TEST(Openness, FromWeightsMatchesTheFormula) {
  // [3, 2, 2]: A = W2 (2×2), B = W1 (2×3), k = 2 ≥ min(2, 3).
  const Model m = make_model(Family::linear, {3, 2, 2});
  // A = diag(1, 0), B rows (0,0,0), (1,0,0): AB = 0, rank A = rank B = 1 → not open.
  std::vector<double> w = {0, 0, 0, 1, 0, 0, 1, 0, 0, 0};
  OpennessInfo o = openness(m, w.data(), 1e-9);
  EXPECT_EQ(o.layer_ranks, (std::vector<int>{1, 1}));
  EXPECT_EQ(o.product_rank, 0);
  EXPECT_FALSE(*o.locally_open);
  EXPECT_FALSE(*o.non_degenerate);
  // B rows (1,0,0), (0,0,0): AB has rank 1 → open.
  w = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0};
  o = openness(m, w.data(), 1e-9);
  EXPECT_EQ(o.product_rank, 1);
  EXPECT_TRUE(*o.locally_open);
  // Partial products and the leaky-ReLU full-row-rank condition.
  const Model lk = make_model(Family::leaky_relu, {5, 4, 3, 2});
  const auto rw = random_weights(lk, 3);
  o = openness(lk, rw.data(), 1e-9);
  EXPECT_EQ(o.partial.size(), 3u);  // (1,2), (1,3), (2,3)
  EXPECT_TRUE(*o.all_full_row_rank);
  EXPECT_FALSE(o.non_degenerate.has_value());
  EXPECT_FALSE(o.locally_open.has_value());
}

namespace {

/// rank(W_j⋯W_i) ≤ min(rank of every factor and sub-product), for every reported product.
void expect_rank_invariant(const OpennessInfo& o, const std::string& what, const std::vector<int>& dims = {}) {
  const auto rank_of = [&](int i, int j) {
    if (i == j) return o.layer_ranks[std::size_t(i) - 1];
    for (const auto& p : o.partial)
      if (p.from == i && p.to == j) return p.rank;
    ADD_FAILURE() << what << ": no product " << i << ".." << j;
    return -1;
  };
  for (const auto& p : o.partial)
    for (int k = p.from; k < p.to; ++k)  // W_to⋯W_from = (W_to⋯W_{k+1})(W_k⋯W_from)
      EXPECT_LE(p.rank, std::min(rank_of(k + 1, p.to), rank_of(p.from, k)))
          << what << ": product " << p.from << ".." << p.to << " split after " << k;
  // Sylvester from below: rank(AB) ≥ rank A + rank B − (inner width).
  if (!dims.empty())
    for (const auto& p : o.partial)
      for (int k = p.from; k < p.to; ++k)
        EXPECT_GE(p.rank, rank_of(k + 1, p.to) + rank_of(p.from, k) - dims[std::size_t(k)])
            << what << ": product " << p.from << ".." << p.to << " split after " << k;
  EXPECT_EQ(o.product_rank, rank_of(1, int(o.layer_ranks.size())));
}

}  // namespace

TEST(Openness, ProductRanksNeverExceedTheirFactors) {
  const Model m = make_model(Family::linear, {6, 4, 4, 6});
  // The configuration a per-matrix relative rule gets wrong: W_2 of rank 3 (one singular value
  // 1e-9 of the others), W_1 and W_3 of full rank, all near zero. The product has rank ≤ 3.
  for (double scale : {1.0, 1e-3, 1e-6}) {
    std::vector<double> w = random_weights(m, 11, scale);
    Eigen::Map<RowMat> W2(w.data() + 24, 4, 4);
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(W2), Eigen::ComputeFullU | Eigen::ComputeFullV);
    Eigen::VectorXd sv = svd.singularValues();
    sv(3) = 1e-9 * sv(0);
    W2 = svd.matrixU() * sv.asDiagonal() * svd.matrixV().transpose();
    const OpennessInfo o = openness(m, w.data(), 1e-6);
    EXPECT_EQ(o.layer_ranks, (std::vector<int>{4, 3, 4})) << "scale " << scale;
    EXPECT_EQ(o.product_rank, 3) << "scale " << scale;
    EXPECT_FALSE(*o.non_degenerate) << "scale " << scale;
    expect_rank_invariant(o, "rank-3 middle layer at scale " + std::to_string(scale));
  }
  // Random points at every scale, widths with bottlenecks, and the same points refined to a
  // nearby critical point (near zero the refinement lands next to the saddle at W = 0).
  const Model deep = make_model(Family::linear, {5, 3, 4, 2, 5});
  const Dataset d = gaussian_data(deep, 10, 5, 0, 1);
  for (std::uint64_t seed = 1; seed <= 4; ++seed)
    for (double scale : {2.0, 1.0, 1e-3, 1e-6}) {
      const std::vector<double> w = random_weights(deep, seed, scale);
      expect_rank_invariant(openness(deep, w.data(), 1e-6), "random, scale " + std::to_string(scale), deep.dims);
      RefineSpec spec;
      spec.max_iterations = 20;
      const RefineResult r = refine_critical_point(deep, d, w.data(), loss_scale(d), spec);
      expect_rank_invariant(openness(deep, r.weights.data(), 1e-6),
                            "refined, scale " + std::to_string(scale), deep.dims);
    }
  // Two full-rank factors whose product's small singular value (4e-12) falls under the product's
  // threshold (1e-6 · ‖A‖‖B‖): Sylvester keeps rank(AB) = 2, and AB stays locally open.
  {
    const Model two = make_model(Family::linear, {2, 2, 2});
    const std::vector<double> ab{1.0, 0.0, 0.0, 2e-6, 1.0, 0.0, 0.0, 2e-6};
    const OpennessInfo s = openness(two, ab.data(), 1e-6);
    EXPECT_EQ(s.layer_ranks, (std::vector<int>{2, 2}));
    EXPECT_EQ(s.product_rank, 2);
    ASSERT_TRUE(s.locally_open.has_value());
    EXPECT_TRUE(*s.locally_open);
    expect_rank_invariant(s, "Sylvester example", two.dims);
  }
  // Exactly zero weights have rank 0 everywhere.
  const std::vector<double> zero(deep.param_count(), 0.0);
  const OpennessInfo o = openness(deep, zero.data(), 1e-6);
  EXPECT_EQ(o.product_rank, 0);
  for (int r : o.layer_ranks) EXPECT_EQ(r, 0);
}

TEST(Refine, PerturbedKnownCriticalPointsReturn) {
  const Model m = make_model(Family::linear, {4, 2, 3});
  const Dataset d = gaussian_data(m, 8, 37);
  for (std::vector<int> S : {std::vector<int>{0, 1}, std::vector<int>{0, 2}, std::vector<int>{1, 2}}) {
    const std::vector<double> w = two_layer(d, 2, S);
    const PointReport exact = decide(m, d, w);
    std::vector<double> p = w;
    math::CounterRng rng(9, 9);
    double pert = 0;
    for (double& x : p) {
      const double dx = 1e-4 * rng.normal();
      x += dx;
      pert += dx * dx;
    }
    pert = std::sqrt(pert);
    const PointReport raw = decide(m, d, p, false);
    EXPECT_EQ(raw.endpoint.cls, PointClass::not_critical);
    const PointReport r = decide(m, d, p, true);
    ASSERT_TRUE(r.endpoint.refined.has_value());
    EXPECT_TRUE(r.endpoint.refined->converged);
    EXPECT_LT(r.endpoint.grad_norm, 1e-10);
    // It returns to the critical set, possibly elsewhere on the symmetry orbit: the distance
    // is of the order of the perturbation.
    EXPECT_LT(r.endpoint.refined->distance, 10 * pert);
    EXPECT_EQ(r.endpoint.refined->class_before, PointClass::not_critical);
    EXPECT_EQ(r.endpoint.cls, exact.endpoint.cls);
    EXPECT_NEAR(r.endpoint.loss, exact.endpoint.loss, 1e-9 * exact.endpoint.loss);
  }
}

TEST(Refine, ZeroOfDeepNetworkStaysPut) {
  // Already exactly critical with a zero Hessian: nothing to do.
  const Model m = make_model(Family::linear, {3, 2, 2, 3});
  const Dataset d = gaussian_data(m, 5, 38);
  const std::vector<double> w(m.param_count(), 0.0);
  const RefineResult r = refine_critical_point(m, d, w.data(), 1.0, RefineSpec{});
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_EQ(r.distance, 0.0);
}

TEST(Pipeline, SampleReportsDecisionsForEveryEndpoint) {
  ExperimentConfig cfg;
  cfg.networks = 6;
  cfg.model = make_model(Family::linear, {3, 2, 2, 3});
  cfg.data.n = 6;
  cfg.init.small = true;  // start next to the non-strict saddle at 0, where H = O(‖w‖)
  cfg.init.small_factor = 1e-7;
  cfg.train.steps = 50;
  cfg.train.lr = 1e-3;
  cfg.decide.tol.grad = 1e-2;  // so the barely-moved endpoints count as critical
  auto cpu = make_cpu_backend(0);
  const SampleResult r = run_sample(cfg, *cpu, nullptr);
  for (const auto& e : r.endpoints) {
    EXPECT_NE(e.cls, PointClass::degenerate);
    ASSERT_TRUE(e.symmetry.has_value());
    ASSERT_TRUE(e.openness.has_value());
    if (e.raw_class == PointClass::degenerate) {
      ASSERT_TRUE(e.escape.has_value());
      EXPECT_EQ(e.cls, PointClass::non_strict_saddle);
    }
  }
  EXPECT_GT(r.counts[std::size_t(PointClass::non_strict_saddle)], 0);
}

}  // namespace

// An endpoint whose Hessian overflowed (NaN eigenvalues) with a finite loss is recorded as not
// finite by describe_endpoint, so the record that is stored (and reloaded for the final pass)
// says diverged and the point never becomes an escape candidate: the spectrum's own flag is not
// stored, so it must not be the only place the verdict lives.
TEST(Endpoint, NonFiniteSpectrumMakesTheRecordNotFinite) {
  const Model m = make_model(Family::linear, {3, 2, 2});
  const Dataset d = gaussian_data(m, 5, 8);
  std::vector<double> w = network_batch(m, 3, 1);
  const PointFacts facts = point_facts(m, d, w.data());
  ASSERT_TRUE(facts.finite);
  const std::size_t P = m.param_count();
  std::vector<double> ev(P, std::numeric_limits<double>::quiet_NaN());
  DecideSettings s;
  for (bool refine : {false, true}) {
    s.refine.enabled = refine;
    EndpointRecord e;
    const double scale = loss_scale(d);
    const bool candidate = describe_endpoint({m, d, scale, s}, false, w, facts, ev.data(), e);
    EXPECT_FALSE(candidate);
    EXPECT_FALSE(e.finite);
    // What the final pass sees after the database round trip: the flag-less summaries.
    e.spectrum = {};
    finalize_endpoint({m, d, scale, s}, GlobalOptimum{0.0, "closed_form"}, nullptr, e);
    EXPECT_EQ(e.cls, PointClass::diverged);
    for (PointClass c : e.cls_by_tol) EXPECT_EQ(c, PointClass::diverged);
  }
}

TEST(Verdicts, DynamicsRefinementSensitivityAndCertificatesPerCell) {
  using P = PointClass;
  std::vector<EndpointRecord> eps(6);
  for (long i = 0; i < 6; ++i) {
    EndpointRecord& e = eps[std::size_t(i)];
    e.index = i;
    e.train_status = math::TrainStatus::budget;
    e.dynamics = DynamicsInfo{};
    e.dynamics->escape_step = 100 * (i + 1);  // 100 … 600
    e.dynamics->loss_drop = 1.0;
    e.refined = RefineSummary{};
    e.refined->converged = true;
    e.refined->class_before = P::strict_saddle;
    e.raw_class = P::strict_saddle;
    e.cls = P::strict_saddle;
  }
  // Two never left the plateau (both strict saddles), one still falling at its budget.
  eps[0].dynamics->escape_step = eps[1].dynamics->escape_step = -1;
  eps[0].dynamics->on_plateau = eps[1].dynamics->on_plateau = true;
  eps[2].dynamics->still_descending = true;
  eps[2].cls = P::not_critical;
  // Refinement moves four of six to degenerate (and the escape test to a non-strict saddle):
  // the cell's verdict flips from strict_saddle to degenerate.
  for (std::size_t i = 2; i < 6; ++i) {
    eps[i].raw_class = P::degenerate;
    eps[i].cls = P::non_strict_saddle;
  }
  eps[5].cls = P::global_minimum;
  eps[5].minimum = MinimumCertificate{"certified", 0.5, 1e-14};
  const VerdictSummary v = summarize_verdicts(eps);
  EXPECT_EQ(v.with_dynamics, 6);
  EXPECT_EQ(v.stopped[std::size_t(math::TrainStatus::budget)], 6);
  EXPECT_EQ(v.on_plateau, 2);
  EXPECT_EQ(v.plateau_classes[std::size_t(P::strict_saddle)], 2);
  EXPECT_EQ(v.still_descending, 1);
  EXPECT_EQ(v.descending_classes[std::size_t(P::non_strict_saddle)], 1);
  EXPECT_EQ(v.escape_step.count, 4);  // 300, 400, 500, 600
  EXPECT_DOUBLE_EQ(v.escape_step.median, 450.0);
  EXPECT_DOUBLE_EQ(v.escape_step.min, 300.0);
  EXPECT_DOUBLE_EQ(v.escape_step.q10, 330.0);
  EXPECT_EQ(v.refined, 6);
  EXPECT_EQ(v.refine_changed, 4);
  EXPECT_EQ(v.raw_verdict, P::strict_saddle);
  EXPECT_EQ(v.refined_verdict, P::degenerate);
  EXPECT_TRUE(v.verdict_flips);
  EXPECT_EQ(v.global_minima, 1);
  EXPECT_EQ(v.global_certified, 1);
  EXPECT_EQ(v.spurious_minima, 0);
  // Nothing refined: no flip is claimed.
  for (auto& e : eps) e.refined.reset();
  EXPECT_FALSE(summarize_verdicts(eps).verdict_flips);
  EXPECT_EQ(summarize_verdicts(eps).refined, 0);
}

// The escape test probes the near-null eigenspace less the data's null directions: at W = 0 of
// a deep linear network H = 0, so every direction is near-null, but the d1·(d0 − rank X) = 18
// rows of W_1 orthogonal to col(X) never change the loss and are not probed (they would come
// first and use up the probes); the other 21 directions hold the third-order descent.
TEST(Escape, TheDataNullDirectionsAreNotProbed) {
  const Model m = make_model(Family::linear, {8, 3, 3, 2});
  const Dataset d = gaussian_data(m, 10, 41, 2);  // X of rank 2
  const PointReport r = decide(m, d, std::vector<double>(m.param_count(), 0.0));
  ASSERT_TRUE(r.endpoint.escape.has_value());
  EXPECT_EQ(r.endpoint.symmetry->data_null_dim, 18);
  EXPECT_EQ(r.endpoint.escape->null_space_dim, int(m.param_count()) - 18);
  EXPECT_TRUE(r.endpoint.escape->escaped);
  EXPECT_EQ(r.endpoint.cls, PointClass::non_strict_saddle);
  // The witness moves W_1 only inside col(X)'s rows: its component along the data's null
  // directions is nothing (the loss cannot see it).
  const DataColumnSpace cols = data_column_space(d);
  ASSERT_EQ(cols.rank, 2);
  const std::vector<double>& u = r.endpoint.escape->direction;
  ASSERT_EQ(u.size(), m.param_count());
  if (r.endpoint.escape->method == "null_eigenvector" || r.endpoint.escape->method == "null_space_random") {
    double outside = 0;
    for (int a = 0; a < 3; ++a)
      for (int c = 0; c < 8; ++c) {
        double proj = 0;
        for (int q = 0; q < 2; ++q) {
          double s = 0;
          for (int k = 0; k < 8; ++k) s += cols.basis[std::size_t(q) * 8 + std::size_t(k)] * u[std::size_t(a) * 8 + std::size_t(k)];
          proj += cols.basis[std::size_t(q) * 8 + std::size_t(c)] * s;
        }
        outside = std::max(outside, std::abs(u[std::size_t(a) * 8 + std::size_t(c)] - proj));
      }
    EXPECT_LT(outside, 1e-12);
  }
}

// remove_data_null_directions alone: the first layer's rows land in col(X), what it removes is
// orthogonal to col(X) (a data null direction), the other layers are untouched, and the loss
// along a direction and along its projection is the same at random points.
TEST(Escape, ProjectionOffTheDataNullDirectionsLeavesTheLossUnchanged) {
  const Model m = make_model(Family::linear, {8, 3, 3, 2});
  const Dataset d = gaussian_data(m, 10, 41, 2);  // X of rank 2
  const DataColumnSpace cols = data_column_space(d);
  ASSERT_EQ(cols.rank, 2);
  const std::size_t P = m.param_count();
  const int k = 5;
  std::vector<double> v = network_batch(m, 7, k), orig = v;
  remove_data_null_directions(m, cols, v.data(), k);
  const auto in_cols = [&](const double* row, int q) {  // (Uᵀ·row)_q
    double s = 0;
    for (int c = 0; c < 8; ++c) s += cols.basis[std::size_t(q) * 8 + std::size_t(c)] * row[c];
    return s;
  };
  for (int j = 0; j < k; ++j) {
    const double* x = v.data() + std::size_t(j) * P;
    const double* o = orig.data() + std::size_t(j) * P;
    for (int a = 0; a < 3; ++a) {
      const double* row = x + std::size_t(a) * 8;
      std::vector<double> removed(8);
      for (int c = 0; c < 8; ++c) removed[std::size_t(c)] = o[std::size_t(a) * 8 + std::size_t(c)] - row[c];
      for (int c = 0; c < 8; ++c) {
        double back = 0;
        for (int q = 0; q < 2; ++q) back += cols.basis[std::size_t(q) * 8 + std::size_t(c)] * in_cols(row, q);
        EXPECT_NEAR(back, row[c], 1e-14);  // the row is its own projection: in col(X)
      }
      for (int q = 0; q < 2; ++q) EXPECT_NEAR(in_cols(removed.data(), q), 0.0, 1e-14);
    }
    for (std::size_t p = 24; p < P; ++p) EXPECT_EQ(x[p], o[p]);  // layers 2 and 3 untouched
    double moved = 0;
    for (std::size_t p = 0; p < 24; ++p) moved = std::max(moved, std::abs(x[p] - o[p]));
    EXPECT_GT(moved, 0.1);  // a random direction has a data null part to lose
    // The loss cannot tell the direction from its projection.
    const std::vector<double> w = network_batch(m, 11 + std::uint64_t(j), 1);
    std::vector<double> a(P), b(P), ws(math::train_workspace(m.shape(d.n)));
    for (std::size_t p = 0; p < P; ++p) a[p] = w[p] + 0.3 * o[p], b[p] = w[p] + 0.3 * x[p];
    const math::Shape s = m.shape(d.n);
    const double La = math::loss(s, d.X.data(), d.Y.data(), a.data(), ws.data());
    const double Lb = math::loss(s, d.X.data(), d.Y.data(), b.data(), ws.data());
    EXPECT_NEAR(La, Lb, 1e-12 * La);
  }
}
