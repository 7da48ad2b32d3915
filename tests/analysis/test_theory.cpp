// The theory oracle (docs/math.md §4) against a hand-derived table: which claims apply to which
// architectures and data, on both sides of every condition; theorem8_condition, data_facts and
// check_claims / format_observation.
//
// Every expected answer below is derived by hand from docs/math.md §4, not from src/analysis/theory.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/core/stats.hpp"
#include "landscape/analysis/theory.hpp"
#include "test_util.hpp"

using namespace landscape;
using landscape::testing::gaussian_data;
using landscape::testing::make_model;

namespace {

// ---- what docs/math.md §4 says each claim is about -------------------------------------------------

// Scope of each claim id: Lemma 7 speaks about non-degenerate points, the second half of Thm 5
// about degenerate ones, Lemma 3 about points with every W_i of full row rank; the rest about all.
std::string expected_scope(const std::string& id) {
  if (id == "NR-Lemma7") return "non_degenerate";
  if (id == "NR-Thm5-degenerate") return "degenerate";
  if (id == "NR-Lemma3") return "full_row_rank";
  return "all";
}

// Classes each claim forbids (or predicts to exist).
std::set<std::string> expected_classes(const std::string& id) {
  // h = 1 least squares is convex: every critical point is a global minimum.
  if (id == "convex") return {"spurious_local_minimum", "strict_saddle", "non_strict_saddle"};
  // "every degenerate critical point is a global min or a strict saddle".
  if (id == "NR-Thm5-degenerate") return {"non_strict_saddle", "spurious_local_minimum"};
  // Cor 2.4: h = 2 every saddle strict (forbids non-strict ones); h >= 3 non-strict ones exist.
  if (id == "K-Cor2.4-h2" || id == "K-Cor2.4-bad-saddles") return {"non_strict_saddle"};
  // No theorem: nothing is forbidden (kind "none"); the class listed is what gets reported.
  if (id == "none") return {"spurious_local_minimum"};
  // Thm 5, Lemma 7, Thm 8 (both sides), K Thm 2.3, Lemma 3: about spurious local minima.
  return {"spurious_local_minimum"};
}

// ---- the table ----------------------------------------------------------------------------------

enum class Targets {
  gaussian,  ///< gaussian_data(m, n, seed, x_rank, y_rank)
  teacher,   ///< Y = output of a random teacher network of the same architecture
  diagonal,  ///< X = [I_d0 | 0], Y = [D | 0] with D = diag(sigma_root): Σ = D Dᵀ
};

struct OracleCase {
  std::string name;
  Family family = Family::linear;
  std::vector<int> dims;
  int n = 10;
  int x_rank = 0, y_rank = 0;  // 0 = full rank
  Targets targets = Targets::gaussian;
  std::vector<double> sigma_root;  // diagonal targets only: Σ = diag(sigma_root²)
  std::map<std::string, std::string> expected;  // claim id -> kind
  std::string why;                               // the hand derivation
};

void PrintTo(const OracleCase& c, std::ostream* os) {
  *os << c.name << ": " << (c.family == Family::linear ? "linear" : "leaky_relu") << " dims [";
  for (std::size_t i = 0; i < c.dims.size(); ++i) *os << (i ? "," : "") << c.dims[i];
  *os << "], n = " << c.n << ", x_rank = " << c.x_rank << ", y_rank = " << c.y_rank << ", targets "
      << (c.targets == Targets::gaussian ? "gaussian" : c.targets == Targets::teacher ? "teacher" : "diagonal");
  if (!c.sigma_root.empty()) {
    *os << " diag(";
    for (std::size_t i = 0; i < c.sigma_root.size(); ++i) *os << (i ? "," : "") << c.sigma_root[i];
    *os << ")";
  }
  *os << "; expected {";
  bool first = true;
  for (const auto& [id, kind] : c.expected) {
    *os << (first ? "" : ", ") << id << ":" << kind;
    first = false;
  }
  *os << "} because " << c.why;
}

Dataset diagonal_data(int d0, int dh, int n, const std::vector<double>& root) {
  Dataset d;
  d.d0 = d0;
  d.dh = dh;
  d.n = n;
  d.X.assign(std::size_t(d0) * std::size_t(n), 0.0);
  d.Y.assign(std::size_t(dh) * std::size_t(n), 0.0);
  for (int i = 0; i < d0 && i < n; ++i) d.X[std::size_t(i) * std::size_t(n) + std::size_t(i)] = 1.0;
  for (int k = 0; k < dh && k < n; ++k) d.Y[std::size_t(k) * std::size_t(n) + std::size_t(k)] = root[std::size_t(k)];
  return d;
}

Dataset case_data(const OracleCase& c) {
  const Model m = make_model(c.family, c.dims);
  const std::uint64_t seed = 20240611;
  switch (c.targets) {
    case Targets::gaussian:
      return gaussian_data(m, c.n, seed, c.x_rank, c.y_rank);
    case Targets::teacher: {
      DataSpec s;
      s.n = c.n;
      s.x_rank = c.x_rank;
      s.y = TargetKind::teacher;
      return make_dataset(s, m, seed);
    }
    case Targets::diagonal:
      return diagonal_data(c.dims.front(), c.dims.back(), c.n, c.sigma_root);
  }
  return {};
}

const char* const F = "forbids";
const char* const E = "exists";
const char* const N = "not_applicable";

// Claim sets that recur. Every linear case carries NR-Lemma7.
std::map<std::string, std::string> with(std::map<std::string, std::string> base,
                                        const std::map<std::string, std::string>& more) {
  for (const auto& kv : more) base.insert(kv);
  return base;
}
const std::map<std::string, std::string> kH1 = {{"convex", F}, {"NR-Lemma7", F}};
const std::map<std::string, std::string> kH2 = {{"NR-Thm5", F}, {"NR-Thm5-degenerate", F}, {"NR-Lemma7", F}};
const std::map<std::string, std::string> kDeepNo8 = {{"NR-Lemma7", F}, {"NR-Thm8", F}};
const std::map<std::string, std::string> kDeep8 = {{"NR-Lemma7", F}, {"NR-Thm8-exists", E}};
// Thm 8's condition with a full-rank Y: its spurious minima need a rank-deficient one.
const std::map<std::string, std::string> kDeep8FullY = {{"NR-Lemma7", F}, {"NR-Thm8-exists", N}};
const std::map<std::string, std::string> kKh2 = {{"K-Thm2.3", F}, {"K-Cor2.4-h2", F}};
const std::map<std::string, std::string> kKdeep = {{"K-Thm2.3", F}, {"K-Cor2.4-bad-saddles", E}};

std::vector<OracleCase> oracle_table() {
  const Family L = Family::linear, R = Family::leaky_relu;
  using T = Targets;
  return {
      // ---------------- deep linear, h = 1 ----------------
      {"lin_h1_K_holds", L, {3, 2}, 8, 0, 0, T::gaussian, {},
       with(kH1, {{"K-Thm2.3", F}}),
       "h=1 convex; Lemma 7 any h; K: n=8>=d0=3, XY^T rank 2=min(3,2), dy=2<=dx=3, generic Sigma; "
       "Cor 2.4 speaks only of h=2 and h>=3, so neither half applies"},
      {"lin_h1_dy_gt_dx", L, {3, 4}, 8, 0, 0, T::gaussian, {}, kH1,
       "h=1 convex; K fails: dy=4 > dx=3"},
      {"lin_h1_n_lt_d0", L, {4, 2}, 3, 0, 0, T::gaussian, {}, kH1,
       "h=1 convex; K fails: n=3 < d0=4 so XX^T is singular"},

      // ---------------- deep linear, h = 2 ----------------
      {"lin_h2_K_holds", L, {4, 3, 2}, 10, 0, 0, T::gaussian, {}, with(kH2, kKh2),
       "h=2: Thm 5 (both halves) + Lemma 7; K holds (n>=d0, XY^T rank 2, dy=2<=4, generic Sigma) "
       "and h=2 gives Cor 2.4's strict-saddle half"},
      {"lin_h2_autoencoder_tie", L, {4, 1, 4}, 10, 0, 0, T::gaussian, {}, with(kH2, kKh2),
       "Baldi-Hornik autoencoder, dy == dx = 4 satisfies dy <= dx; XY^T rank 4; K holds"},
      {"lin_h2_n_lt_d0", L, {4, 3, 2}, 3, 0, 0, T::gaussian, {}, kH2,
       "K fails only by n=3 < d0=4 (XX^T singular); Thm 5 needs nothing of the data"},
      {"lin_h2_x_rank_deficient", L, {4, 3, 2}, 10, 2, 0, T::gaussian, {}, kH2,
       "K fails: rank X = 2 < d0 = 4 although n >= d0"},
      {"lin_h2_dy_gt_dx", L, {3, 2, 4}, 10, 0, 0, T::gaussian, {}, kH2,
       "K fails: dy=4 > dx=3"},
      {"lin_h2_dy_eq_dx_plus_1", L, {2, 2, 3}, 10, 0, 0, T::gaussian, {}, kH2,
       "K fails only by dy=3 > dx=2 (XX^T, XY^T full; Sigma eigenvalues {0,a,b} distinct)"},
      {"lin_h2_y_rank1", L, {4, 3, 3}, 10, 0, 1, T::gaussian, {},
       {{"NR-Thm5", F}, {"NR-Thm5-degenerate", F}, {"NR-Lemma7", N}},
       "K fails: rank Y = 1 makes rank XY^T = 1 < min(d0,dh) = 3; Lemma 7's scope is empty by "
       "construction: XX^T invertible and rank YX^T = 1 < min d_i = 3"},
      {"lin_h2_sigma_repeated", L, {3, 2, 2}, 4, 0, 0, T::diagonal, {1.0, 1.0}, kH2,
       "K fails only by Sigma = I_2 (repeated eigenvalue); XX^T = I, XY^T rank 2, dy=2<=3"},
      {"lin_h2_sigma_distinct", L, {3, 2, 2}, 4, 0, 0, T::diagonal, {1.0, 2.0}, with(kH2, kKh2),
       "same data with Sigma = diag(1,4): every K condition holds"},
      {"lin_h2_teacher_bottleneck", L, {4, 1, 3}, 10, 0, 0, T::teacher, {}, kH2,
       "teacher through width 1: rank Y = 1, rank XY^T = 1 < 3, K fails"},

      // ---------------- deep linear, h = 3 ----------------
      {"lin_h3_thm8_K_holds", L, {3, 2, 1, 3}, 10, 0, 0, T::gaussian, {}, with(kDeep8FullY, kKdeep),
       "p1=1,p2=2: d3=3>d2=1, d0=3>d1=2, but Y has full rank -> Thm 8 not applicable; K holds for this full-rank Y "
       "(dy == dx = 3) and h>=3 gives bad saddles"},
      {"lin_h3_thm8_y_rank1", L, {3, 2, 1, 3}, 10, 0, 1, T::gaussian, {}, kDeep8,
       "Thm 8 condition as above; rank Y = 1 -> XY^T rank 1 < 3, K fails"},
      {"lin_h3_thm8_teacher_bottleneck", L, {3, 2, 1, 3}, 10, 0, 0, T::teacher, {}, kDeep8,
       "Thm 8 condition holds; teacher through width 1 gives rank Y = 1, K fails"},
      {"lin_h3_thm8_n_lt_d0", L, {5, 2, 1, 3}, 4, 0, 0, T::gaussian, {}, kDeep8FullY,
       "Thm 8: d3=3>d2=1, d0=5>d1=2 with a full-rank Y -> not applicable; K fails: n=4 < d0=5"},
      {"lin_h3_tie_d0_eq_d1", L, {2, 2, 1, 3}, 10, 0, 0, T::gaussian, {}, kDeepNo8,
       "d0 == d1 = 2 is not d0 > d_p1 -> Thm 8 forbids; K fails: dy=3 > dx=2"},
      {"lin_h3_tie_dh_eq_d2", L, {3, 2, 3, 3}, 10, 0, 0, T::gaussian, {}, with(kDeepNo8, kKdeep),
       "d3 == d2 = 3 is not dh > d_p2 -> Thm 8 forbids; K holds (dy == dx = 3)"},
      {"lin_h3_teacher_full_rank", L, {3, 3, 3, 3}, 10, 0, 0, T::teacher, {}, with(kDeepNo8, kKdeep),
       "no width below d0 = dh = 3 -> Thm 8 forbids; teacher Y = W X has rank 3, K holds"},
      {"lin_h3_teacher_bottleneck_no8", L, {3, 3, 1, 3}, 10, 0, 0, T::teacher, {}, kDeepNo8,
       "d0 == d1 -> Thm 8 forbids; teacher through width 1: rank Y = 1, K fails"},
      {"lin_h3_sigma_repeated", L, {3, 2, 2, 2}, 4, 0, 0, T::diagonal, {2.0, 2.0}, kDeepNo8,
       "d3 == d2 -> Thm 8 forbids; K fails only by Sigma = 4 I_2"},
      {"lin_h3_sigma_distinct", L, {3, 2, 2, 2}, 4, 0, 0, T::diagonal, {1.0, 3.0}, with(kDeepNo8, kKdeep),
       "d3 == d2 -> Thm 8 forbids; Sigma = diag(1,9) distinct, K holds"},

      // ---------------- deep linear, h = 4 ----------------
      {"lin_h4_thm8_p1_1_p2_3", L, {3, 1, 3, 1, 3}, 10, 0, 0, T::gaussian, {}, with(kDeep8FullY, kKdeep),
       "p1=1,p2=3: d0=3>d1=1, d4=3>d3=1, full-rank Y -> Thm 8 not applicable; K holds"},
      {"lin_h4_same_layer_only", L, {3, 3, 1, 3, 3}, 10, 0, 0, T::gaussian, {}, with(kDeepNo8, kKdeep),
       "only d2 is below d0 and dh, but p1 < p2 are needed -> Thm 8 forbids; K holds"},
      {"lin_h4_thm8_n_lt_d0", L, {4, 4, 2, 2, 3}, 3, 0, 0, T::gaussian, {}, kDeep8FullY,
       "p1=2,p2=3: d0=4>d2=2, d4=3>d3=2, full-rank Y -> Thm 8 not applicable; K fails: n=3 < d0=4"},
      {"lin_h4_tie_y_rank2", L, {4, 4, 2, 3, 3}, 10, 0, 2, T::gaussian, {}, kDeepNo8,
       "only p1 in {2}, and d4 == d3 = 3 leaves no p2 > 2 -> Thm 8 forbids; rank Y = 2 < 3, K fails"},
      {"lin_h4_order_reversed", L, {2, 2, 3, 1, 3}, 10, 0, 0, T::gaussian, {}, kDeepNo8,
       "d0 > d_p only for p=3, dh > d_p for p in {1,3}: no p1 < p2 -> Thm 8 forbids; dy=3 > dx=2, K fails"},

      // ---------------- leaky ReLU ----------------
      {"relu_h1_d0_eq_n", R, {4, 3}, 4, 0, 0, T::gaussian, {}, {{"NR-Lemma3", F}},
       "pyramidal (3 <= 4), d0 == n = 4 and X (4x4 Gaussian) full column rank -> Lemma 3"},
      {"relu_h1_widening", R, {4, 5}, 3, 0, 0, T::gaussian, {}, {{"none", "none"}},
       "d1=5 > d0=4: not pyramidal"},
      {"relu_h2_pyramidal", R, {6, 4, 2}, 5, 0, 0, T::gaussian, {}, {{"NR-Lemma3", F}},
       "pyramidal, n=5 <= d0=6, rank X = 5 -> Lemma 3"},
      {"relu_h2_n_gt_d0", R, {6, 4, 2}, 8, 0, 0, T::gaussian, {}, {{"none", "none"}},
       "n=8 > d0=6: X cannot have full column rank"},
      {"relu_h2_x_rank_deficient", R, {6, 4, 2}, 5, 3, 0, T::gaussian, {}, {{"none", "none"}},
       "rank X = 3 < n = 5: not full column rank"},
      {"relu_h2_teacher", R, {4, 3, 2}, 4, 0, 0, T::teacher, {}, {{"NR-Lemma3", F}},
       "Lemma 3 needs nothing of Y: pyramidal, rank X = n = 4"},
      {"relu_h3_width_ties", R, {5, 4, 4, 2}, 5, 0, 0, T::gaussian, {}, {{"NR-Lemma3", F}},
       "d2 == d1 still satisfies d_i <= d_(i-1); d0 == n = 5, rank X = 5 -> Lemma 3"},
      {"relu_h3_not_pyramidal", R, {5, 3, 4, 2}, 4, 0, 0, T::gaussian, {}, {{"none", "none"}},
       "d2=4 > d1=3: not pyramidal"},
      {"relu_h4_pyramidal", R, {6, 5, 3, 3, 1}, 6, 0, 0, T::gaussian, {}, {{"NR-Lemma3", F}},
       "pyramidal with a tie, rank X = n = 6 -> Lemma 3"},
      {"relu_h4_last_widens", R, {6, 5, 3, 3, 4}, 4, 0, 0, T::gaussian, {}, {{"none", "none"}},
       "d4=4 > d3=3: not pyramidal (linear Thm 8 would hold for these dims, but it is not a linear net)"},
  };
}

using ClaimKey = std::tuple<std::string, std::string, std::string>;  // id, kind, scope

class OracleTable : public ::testing::TestWithParam<OracleCase> {};

TEST_P(OracleTable, ClaimsMatchMathMd) {
  const OracleCase& c = GetParam();
  const Model m = make_model(c.family, c.dims);
  const Dataset d = case_data(c);
  const DataFacts f = data_facts(d);
  const std::vector<Claim> claims = theory_claims(m, f);

  std::set<ClaimKey> expected, actual;
  for (const auto& [id, kind] : c.expected) expected.insert({id, kind, expected_scope(id)});
  for (const Claim& cl : claims) actual.insert({cl.id, to_string(cl.kind), to_string(cl.scope)});
  EXPECT_EQ(actual, expected) << "why: " << c.why << "\n" << format_claims(m, f, claims);
  EXPECT_EQ(actual.size(), claims.size()) << "duplicate claims";

  for (const Claim& cl : claims) {
    if (!c.expected.count(cl.id)) continue;
    const std::set<std::string> classes(cl.classes.begin(), cl.classes.end());
    EXPECT_EQ(classes, expected_classes(cl.id)) << cl.id;
    EXPECT_FALSE(cl.source.empty()) << cl.id;
    EXPECT_FALSE(cl.why.empty()) << cl.id;
  }
}

INSTANTIATE_TEST_SUITE_P(TheoryMathMd, OracleTable, ::testing::ValuesIn(oracle_table()),
                         [](const ::testing::TestParamInfo<OracleCase>& i) { return i.param.name; });

// ---- theorem8_condition ---------------------------------------------------------------------

struct Thm8Case {
  std::vector<int> dims;
  bool holds;
  int p1, p2;  // the unique valid pair, or 0 when none or several
};

void PrintTo(const Thm8Case& c, std::ostream* os) {
  *os << "[";
  for (std::size_t i = 0; i < c.dims.size(); ++i) *os << (i ? "," : "") << c.dims[i];
  *os << "] -> " << (c.holds ? "true" : "false");
  if (c.p1) *os << " (p1 = " << c.p1 << ", p2 = " << c.p2 << ")";
}

TEST(TheoryTheorem8, ConditionTable) {
  const std::vector<Thm8Case> table = {
      {{3, 3}, false, 0, 0},                    // h = 1: no hidden layer at all
      {{5, 1, 5}, false, 0, 0},                 // h = 2: needs two hidden layers p1 < p2 <= 1
      {{3, 2, 1, 3}, true, 1, 2},               // d0=3>d1=2, d3=3>d2=1
      {{3, 1, 2, 3}, true, 1, 2},               // d0=3>d1=1, d3=3>d2=2
      {{2, 2, 1, 3}, false, 0, 0},              // tie d0 == d1
      {{3, 2, 3, 3}, false, 0, 0},              // tie d3 == d2
      {{3, 2, 1, 1}, false, 0, 0},              // tie d3 == d2 (both 1)
      {{3, 3, 1, 3, 3}, false, 0, 0},           // only p1 = p2 = 2 would work
      {{3, 1, 3, 1, 3}, true, 1, 3},            // unique pair (1, 3)
      {{4, 4, 2, 2, 3}, true, 2, 3},            // unique pair (2, 3)
      {{4, 4, 2, 3, 3}, false, 0, 0},           // tie d4 == d3
      {{2, 2, 3, 1, 3}, false, 0, 0},           // p1 = 3 only, no p2 > 3
      {{3, 3, 3, 3, 3}, false, 0, 0},           // all ties
      {{5, 1, 1, 1, 5}, true, 0, 0},            // (1,2), (1,3), (2,3) all valid
      {{4, 4, 4, 3, 3, 4}, true, 3, 4},         // h = 5, unique pair (3, 4)
  };
  for (const auto& c : table) {
    SCOPED_TRACE(::testing::PrintToString(c));
    int p1 = -1, p2 = -1;
    const bool got = theorem8_condition(c.dims, &p1, &p2);
    EXPECT_EQ(got, c.holds);
    EXPECT_EQ(theorem8_condition(c.dims), c.holds);  // null outputs allowed
    if (!got || !c.holds) continue;
    const int h = int(c.dims.size()) - 1;
    EXPECT_GE(p1, 1);
    EXPECT_LT(p1, p2);
    EXPECT_LE(p2, h - 1);
    if (p1 >= 0 && p2 >= 0 && p2 < int(c.dims.size())) {
      EXPECT_GT(c.dims.back(), c.dims[std::size_t(p2)]);
      EXPECT_GT(c.dims.front(), c.dims[std::size_t(p1)]);
    }
    if (c.p1) {
      EXPECT_EQ(p1, c.p1);
      EXPECT_EQ(p2, c.p2);
    }
  }
}

// ---- data_facts -----------------------------------------------------------------------------

TEST(TheoryDataFacts, PrescribedRanks) {
  {
    const Model m = make_model(Family::linear, {5, 3, 4});
    const DataFacts f = data_facts(gaussian_data(m, 10, 3, /*x_rank=*/2, /*y_rank=*/1));
    EXPECT_EQ(f.d0, 5);
    EXPECT_EQ(f.dh, 4);
    EXPECT_EQ(f.n, 10);
    EXPECT_EQ(f.rank_x, 2);
    EXPECT_EQ(f.rank_y, 1);
    EXPECT_EQ(f.rank_xyt, 1);
    EXPECT_FALSE(f.x_full_column_rank);
    EXPECT_FALSE(f.sigma_distinct);  // XX^T singular: Σ undefined
  }
  {
    const Model m = make_model(Family::linear, {6, 2, 4});
    const DataFacts f = data_facts(gaussian_data(m, 12, 4, 3, 2));
    EXPECT_EQ(f.rank_x, 3);
    EXPECT_EQ(f.rank_y, 2);
    EXPECT_EQ(f.rank_xyt, 2);
  }
  {  // full rank, n > d0
    const Model m = make_model(Family::linear, {4, 3});
    const DataFacts f = data_facts(gaussian_data(m, 10, 5));
    EXPECT_EQ(f.rank_x, 4);
    EXPECT_EQ(f.rank_y, 3);
    EXPECT_EQ(f.rank_xyt, 3);
    EXPECT_FALSE(f.x_full_column_rank);  // rank 4 < n = 10
    EXPECT_TRUE(f.sigma_distinct);
  }
  {  // n < d0: full column rank, XX^T singular
    const Model m = make_model(Family::leaky_relu, {6, 2});
    const DataFacts f = data_facts(gaussian_data(m, 4, 6));
    EXPECT_EQ(f.rank_x, 4);
    EXPECT_EQ(f.rank_y, 2);
    EXPECT_TRUE(f.x_full_column_rank);
    EXPECT_FALSE(f.sigma_distinct);
  }
  {  // dy = dx + 1: Σ (3x3) has rank 2, eigenvalues {0, a, b}, still distinct
    const Model m = make_model(Family::linear, {2, 2, 3});
    const DataFacts f = data_facts(gaussian_data(m, 10, 7));
    EXPECT_EQ(f.rank_x, 2);
    EXPECT_EQ(f.rank_xyt, 2);
    EXPECT_TRUE(f.sigma_distinct);
  }
  {  // teacher through a bottleneck of width 1
    const Model m = make_model(Family::linear, {3, 2, 1, 3});
    DataSpec s;
    s.n = 10;
    s.y = TargetKind::teacher;
    const DataFacts f = data_facts(make_dataset(s, m, 8));
    EXPECT_EQ(f.rank_x, 3);
    EXPECT_EQ(f.rank_y, 1);
    EXPECT_EQ(f.rank_xyt, 1);
  }
}

TEST(TheoryDataFacts, SigmaRepeatedEigenvalue) {
  // X = [I_2 | 0], Y = [D | 0]: Σ = D Dᵀ.
  {
    const DataFacts f = data_facts(diagonal_data(2, 2, 3, {1.0, 1.0}));
    EXPECT_EQ(f.rank_x, 2);
    EXPECT_EQ(f.rank_y, 2);
    EXPECT_EQ(f.rank_xyt, 2);
    EXPECT_FALSE(f.sigma_distinct);  // Σ = I
  }
  EXPECT_TRUE(data_facts(diagonal_data(2, 2, 3, {1.0, 2.0})).sigma_distinct);    // diag(1, 4)
  EXPECT_TRUE(data_facts(diagonal_data(2, 2, 3, {1.0, 1.001})).sigma_distinct);  // close, distinct
  // Rotated targets: Y Xᵀ = Q orthogonal gives Σ = Q Qᵀ = I, repeated although Y is not diagonal.
  const double c = std::cos(0.5), s = std::sin(0.5);
  Dataset d = diagonal_data(2, 2, 3, {1.0, 1.0});
  d.Y = {c, -s, 0.0, s, c, 0.0};
  EXPECT_FALSE(data_facts(d).sigma_distinct);
  d.Y = {c, -s, 0.0, 2 * s, 2 * c, 0.0};  // Σ = diag(1, 4)
  EXPECT_TRUE(data_facts(d).sigma_distinct);
  // Three outputs, two equal eigenvalues and one different: still not distinct.
  EXPECT_FALSE(data_facts(diagonal_data(3, 3, 4, {1.0, 2.0, 2.0})).sigma_distinct);
}

// ---- check_claims / format_observation -----------------------------------------------------

Claim make_claim(const std::string& id, const std::string& kind, std::vector<std::string> classes,
                 const std::string& scope = "all") {
  Claim c;
  c.id = id;
  c.source = "src " + id;
  c.statement = "statement " + id;
  c.kind = parse_claim_kind(kind);
  c.classes = std::move(classes);
  c.scope = parse_claim_scope(scope);
  c.why = "test";
  return c;
}

EndpointRecord endpoint(long index, PointClass cls) {
  EndpointRecord e;
  e.index = index;
  e.cls = cls;
  e.cls_by_tol = {cls, cls, cls};  // the same class at every tolerance level: solid evidence
  return e;
}

EndpointRecord endpoint_nd(long index, PointClass cls, bool non_degenerate) {
  EndpointRecord e = endpoint(index, cls);
  OpennessInfo o;
  o.non_degenerate = non_degenerate;
  e.openness = o;
  return e;
}

EndpointRecord endpoint_frr(long index, PointClass cls, bool full_row_rank) {
  EndpointRecord e = endpoint(index, cls);
  OpennessInfo o;
  o.all_full_row_rank = full_row_rank;
  e.openness = o;
  return e;
}

TEST(TheoryCheckClaims, ForbidsAllScope) {
  using P = PointClass;
  const std::vector<EndpointRecord> eps = {endpoint(10, P::global_minimum), endpoint(11, P::spurious_local_minimum),
                                           endpoint(12, P::strict_saddle), endpoint(13, P::non_strict_saddle),
                                           endpoint(14, P::spurious_local_minimum)};
  const auto obs = check_claims({make_claim("spur", "forbids", {"spurious_local_minimum"}),
                                 make_claim("saddles", "forbids", {"strict_saddle", "non_strict_saddle"}),
                                 make_claim("div", "forbids", {"diverged"})},
                                eps);
  ASSERT_EQ(obs.size(), 3u);
  EXPECT_EQ(obs[0].claim.id, "spur");
  EXPECT_EQ(obs[0].in_scope, 5);
  EXPECT_EQ(obs[0].count, 2);
  EXPECT_EQ(obs[0].verdict, Verdict::inconsistent);
  EXPECT_EQ(obs[0].offending, (std::vector<long>{11, 14}));
  const Interval iv = binomial_interval_95(2, 5);
  EXPECT_DOUBLE_EQ(obs[0].ci.lo, iv.lo);
  EXPECT_DOUBLE_EQ(obs[0].ci.hi, iv.hi);

  EXPECT_EQ(obs[1].claim.id, "saddles");
  EXPECT_EQ(obs[1].count, 2);
  EXPECT_EQ(obs[1].verdict, Verdict::inconsistent);
  EXPECT_EQ(obs[1].offending, (std::vector<long>{12, 13}));

  EXPECT_EQ(obs[2].in_scope, 5);
  EXPECT_EQ(obs[2].count, 0);
  EXPECT_EQ(obs[2].verdict, Verdict::consistent);
  EXPECT_TRUE(obs[2].offending.empty());
  EXPECT_EQ(obs[2].ci.lo, 0.0);
}

TEST(TheoryCheckClaims, ScopesDegenerateNonDegenerateFullRowRank) {
  using P = PointClass;
  const std::vector<EndpointRecord> eps = {
      endpoint_nd(0, P::spurious_local_minimum, false),  // degenerate
      endpoint_nd(1, P::non_strict_saddle, false),       // degenerate
      endpoint_nd(2, P::global_minimum, false),          // degenerate
      endpoint_nd(3, P::spurious_local_minimum, true),   // non-degenerate
      endpoint_nd(4, P::global_minimum, true),           // non-degenerate
      endpoint(5, P::spurious_local_minimum),            // no openness info: in no restricted scope
      endpoint_frr(6, P::spurious_local_minimum, true),  // full row rank, non_degenerate unset
      endpoint_frr(7, P::spurious_local_minimum, false),
      endpoint_frr(8, P::global_minimum, true),
  };
  const auto obs = check_claims(
      {make_claim("deg", "forbids", {"non_strict_saddle", "spurious_local_minimum"}, "degenerate"),
       make_claim("nondeg", "forbids", {"spurious_local_minimum"}, "non_degenerate"),
       make_claim("frr", "forbids", {"spurious_local_minimum"}, "full_row_rank"),
       make_claim("all", "forbids", {"spurious_local_minimum"}, "all")},
      eps);
  ASSERT_EQ(obs.size(), 4u);
  EXPECT_EQ(obs[0].in_scope, 3);
  EXPECT_EQ(obs[0].count, 2);
  EXPECT_EQ(obs[0].offending, (std::vector<long>{0, 1}));
  EXPECT_EQ(obs[0].verdict, Verdict::inconsistent);

  EXPECT_EQ(obs[1].in_scope, 2);
  EXPECT_EQ(obs[1].count, 1);
  EXPECT_EQ(obs[1].offending, (std::vector<long>{3}));

  EXPECT_EQ(obs[2].in_scope, 2);
  EXPECT_EQ(obs[2].count, 1);
  EXPECT_EQ(obs[2].offending, (std::vector<long>{6}));
  EXPECT_EQ(obs[2].verdict, Verdict::inconsistent);

  EXPECT_EQ(obs[3].in_scope, 9);
  EXPECT_EQ(obs[3].count, 5);
  EXPECT_EQ(obs[3].offending, (std::vector<long>{0, 3, 5, 6, 7}));

  // Only compliant endpoints in scope -> consistent.
  const auto ok = check_claims({make_claim("nondeg", "forbids", {"spurious_local_minimum"}, "non_degenerate")},
                               {endpoint_nd(0, P::spurious_local_minimum, false), endpoint_nd(1, P::global_minimum, true)});
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].in_scope, 1);
  EXPECT_EQ(ok[0].count, 0);
  EXPECT_EQ(ok[0].verdict, Verdict::consistent);
  EXPECT_TRUE(ok[0].offending.empty());
}

TEST(TheoryCheckClaims, ExistsNoneAndEmptyScope) {
  using P = PointClass;
  const std::vector<EndpointRecord> seen = {endpoint(0, P::global_minimum), endpoint(1, P::non_strict_saddle)};
  const std::vector<EndpointRecord> unseen = {endpoint(0, P::global_minimum), endpoint(1, P::strict_saddle)};
  const Claim exists = make_claim("bad", "exists", {"non_strict_saddle"});
  {
    const auto o = check_claims({exists}, seen);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].in_scope, 2);
    EXPECT_EQ(o[0].count, 1);
    EXPECT_EQ(o[0].verdict, Verdict::consistent);
    EXPECT_TRUE(o[0].offending.empty());  // observing an "exists" class contradicts nothing
  }
  {
    const auto o = check_claims({exists}, unseen);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].count, 0);
    EXPECT_EQ(o[0].verdict, Verdict::inconclusive);
    EXPECT_TRUE(o[0].offending.empty());
  }
  {  // kind none: no prediction, whatever was observed
    const auto o = check_claims({make_claim("none", "none", {})}, seen);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].verdict, Verdict::no_prediction);
    EXPECT_TRUE(o[0].offending.empty());
  }
  {  // empty scope: a forbids claim about degenerate points when none has openness info
    const auto o = check_claims({make_claim("deg", "forbids", {"spurious_local_minimum"}, "degenerate")},
                                {endpoint(0, P::spurious_local_minimum)});
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].in_scope, 0);
    EXPECT_EQ(o[0].count, 0);
    EXPECT_EQ(o[0].verdict, Verdict::inconclusive);
    EXPECT_TRUE(o[0].offending.empty());
  }
  {  // no endpoints at all
    const auto o = check_claims({make_claim("x", "forbids", {"spurious_local_minimum"}), exists}, {});
    ASSERT_EQ(o.size(), 2u);
    EXPECT_EQ(o[0].verdict, Verdict::inconclusive);
    EXPECT_EQ(o[1].verdict, Verdict::inconclusive);
  }
}

std::string two_digits(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", x);
  return buf;
}

TEST(TheoryCheckClaims, FormatObservationZeroOfN) {
  for (long n : {10L, 1000L, 100000L}) {
    SCOPED_TRACE(n);
    std::vector<EndpointRecord> eps;
    for (long i = 0; i < n; ++i) eps.push_back(endpoint(i, PointClass::global_minimum));
    const auto o = check_claims({make_claim("spur", "forbids", {"spurious_local_minimum"})}, eps);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].verdict, Verdict::consistent);
    const std::string text = format_observation(o[0]);
    // Clopper-Pearson (two-sided 95%) upper bound for 0 of n: 1 - 0.025^(1/n).
    const double hi = 1.0 - std::pow(0.025, 1.0 / double(n));
    EXPECT_NE(text.find("rate < " + two_digits(hi)), std::string::npos) << text;
    EXPECT_NE(text.find("0 of " + std::to_string(n)), std::string::npos) << text;
    EXPECT_NE(text.find("consistent"), std::string::npos) << text;
    EXPECT_NE(text.find("spurious_local_minimum"), std::string::npos) << text;
    if (n == 10) {
      EXPECT_NE(text.find("rate < 0.31"), std::string::npos) << text;
    }
    if (n == 1000) {
      EXPECT_NE(text.find("rate < 0.0037"), std::string::npos) << text;
    }
    if (n == 100000) {
      EXPECT_NE(text.find("rate < 3.7e-05"), std::string::npos) << text;
    }
  }
}

TEST(TheoryCheckClaims, OracleClaimsAgainstObservedEndpoints) {
  // End to end on h = 2 with K's conditions: a non-strict saddle at a degenerate endpoint
  // contradicts Thm 5's second half and K Cor 2.4 (h = 2), and nothing else.
  const Model m = make_model(Family::linear, {4, 3, 2});
  const DataFacts f = data_facts(gaussian_data(m, 10, 11));
  const auto claims = theory_claims(m, f);
  using P = PointClass;
  const auto obs = check_claims(claims, {endpoint_nd(0, P::global_minimum, true),
                                         endpoint_nd(1, P::non_strict_saddle, false),
                                         endpoint_nd(2, P::strict_saddle, false)});
  std::map<std::string, const Observation*> by_id;
  for (const auto& o : obs) by_id[o.claim.id] = &o;
  ASSERT_TRUE(by_id.count("NR-Thm5") && by_id.count("NR-Thm5-degenerate") && by_id.count("NR-Lemma7") &&
              by_id.count("K-Cor2.4-h2"));
  EXPECT_EQ(by_id["NR-Thm5"]->verdict, Verdict::consistent);
  EXPECT_EQ(by_id["NR-Thm5-degenerate"]->in_scope, 2);
  EXPECT_EQ(by_id["NR-Thm5-degenerate"]->verdict, Verdict::inconsistent);
  EXPECT_EQ(by_id["NR-Thm5-degenerate"]->offending, (std::vector<long>{1}));
  EXPECT_EQ(by_id["NR-Lemma7"]->in_scope, 1);
  EXPECT_EQ(by_id["NR-Lemma7"]->verdict, Verdict::consistent);
  EXPECT_EQ(by_id["K-Cor2.4-h2"]->verdict, Verdict::inconsistent);
  EXPECT_EQ(by_id["K-Cor2.4-h2"]->offending, (std::vector<long>{1}));
}

}  // namespace

// A "forbids" claim is judged only on endpoints whose verdict is solid: one whose membership
// in the claim's classes changes within the tolerance range (either way), or which is in them
// but sits at a kink or was not refined to convergence, is set aside (left out of in_scope and
// count) and counted by reason.
TEST(TheoryCheckClaims, FragileEndpointsAreSetAsideEitherWay) {
  using P = PointClass;
  EndpointRecord solid = endpoint(1, P::spurious_local_minimum);
  EndpointRecord flips = endpoint(2, P::spurious_local_minimum);
  flips.cls_by_tol[kTolLo] = P::not_critical;  // a tighter gradient tolerance says not critical
  EndpointRecord unrefined = endpoint(3, P::spurious_local_minimum);
  unrefined.refined = RefineSummary{};  // converged = false
  EndpointRecord kink = endpoint(4, P::spurious_local_minimum);
  kink.near_kink = true;
  EndpointRecord flips_in = endpoint(5, P::global_minimum);
  flips_in.cls_by_tol[kTolHi] = P::spurious_local_minimum;  // evidence for the theorem, unstable
  const EndpointRecord ok = endpoint(6, P::global_minimum);
  const Claim forbids = make_claim("c", "forbids", {"spurious_local_minimum"});

  auto obs = check_claims({forbids}, {flips, unrefined, kink, flips_in, ok});
  EXPECT_EQ(obs[0].set_aside.tolerance, 2);
  EXPECT_EQ(obs[0].set_aside.refinement, 1);
  EXPECT_EQ(obs[0].set_aside.kink, 1);
  EXPECT_EQ(obs[0].in_scope, 1);
  EXPECT_EQ(obs[0].count, 0);
  EXPECT_EQ(obs[0].verdict, Verdict::consistent);  // nothing solid contradicts it
  EXPECT_NE(format_observation(obs[0]).find("4 set aside"), std::string::npos) << format_observation(obs[0]);

  obs = check_claims({forbids}, {solid, flips, ok});
  EXPECT_EQ(obs[0].verdict, Verdict::inconsistent);
  EXPECT_EQ(obs[0].offending, std::vector<long>{1});
  EXPECT_EQ(obs[0].set_aside.total(), 1);

  // Forbidden at every level, as different forbidden classes: a solid contradiction.
  EndpointRecord both = endpoint(7, P::spurious_local_minimum);
  both.cls_by_tol[kTolLo] = P::non_strict_saddle;
  obs = check_claims({make_claim("d", "forbids", {"non_strict_saddle", "spurious_local_minimum"})}, {both});
  EXPECT_EQ(obs[0].set_aside.total(), 0);
  EXPECT_EQ(obs[0].offending, std::vector<long>{7});

  // "exists" claims set nothing aside.
  obs = check_claims({make_claim("e", "exists", {"spurious_local_minimum"})}, {flips});
  EXPECT_EQ(obs[0].set_aside.total(), 0);
  EXPECT_EQ(obs[0].count, 1);
}

TEST(TheoryCheckClaims, OnlyCriticalEndpointsCountAndKinksAndPlateausStayOut) {
  using P = PointClass;
  std::vector<EndpointRecord> eps;
  for (long i = 0; i < 6; ++i) eps.push_back(endpoint(i, P::not_critical));  // not at a critical point
  eps.push_back(endpoint(6, P::diverged));
  eps.push_back(endpoint(7, P::spurious_local_minimum));                     // solid evidence
  EndpointRecord kink_min = endpoint(8, P::global_minimum);                  // at a kink, not a member
  kink_min.near_kink = true;
  eps.push_back(kink_min);
  EndpointRecord plateau = endpoint(9, P::strict_saddle);                    // never left the plateau
  plateau.dynamics = DynamicsInfo{};
  plateau.dynamics->on_plateau = true;
  eps.push_back(plateau);
  EndpointRecord refined_plateau = plateau;                                  // refined to a critical point:
  refined_plateau.index = 10;                                                // a fact about the landscape
  refined_plateau.refined = RefineSummary{};
  refined_plateau.refined->converged = true;
  eps.push_back(refined_plateau);

  const auto obs = check_claims({make_claim("spur", "none", {"spurious_local_minimum"}),
                                 make_claim("saddles", "exists", {"strict_saddle"}),
                                 make_claim("na", "not_applicable", {"spurious_local_minimum"})},
                                eps);
  ASSERT_EQ(obs.size(), 3u);
  // Denominators hold critical endpoints only (7 of 11 are not); the kink is out of every verdict.
  EXPECT_EQ(obs[0].not_critical, 7);
  EXPECT_EQ(obs[0].set_aside.kink, 1);
  EXPECT_EQ(obs[0].set_aside.dynamics, 1);  // the unrefined plateau endpoint: no evidence either way
  EXPECT_EQ(obs[0].in_scope, 2);
  EXPECT_EQ(obs[0].count, 1);
  EXPECT_NE(format_observation(obs[0]).find("1 spurious_local_minimum of 2"), std::string::npos)
      << format_observation(obs[0]);
  EXPECT_NE(format_observation(obs[0]).find("7 not at a critical point"), std::string::npos);
  // The unrefined plateau endpoint is no evidence that strict saddles occur; the refined one is.
  EXPECT_EQ(obs[1].set_aside.dynamics, 1);
  EXPECT_EQ(obs[1].in_scope, 2);
  EXPECT_EQ(obs[1].count, 1);
  EXPECT_EQ(obs[1].verdict, Verdict::consistent);
  // A claim that does not apply is never judged and says why instead of "0 of 0".
  EXPECT_EQ(obs[2].verdict, Verdict::not_applicable);
  EXPECT_EQ(obs[2].in_scope, 0);
  EXPECT_EQ(format_observation(obs[2]).rfind("not applicable: statement na", 0), 0u) << format_observation(obs[2]);
  EXPECT_EQ(format_observation(obs[2]).find("0 of 0"), std::string::npos);
}

TEST(TheoryClaims, Theorem8NeedsRankDeficientTargetsAndLemma7ANonEmptyScope) {
  // The setting: [6,2,4,6] with a full-rank Y. Thm 8's condition holds (d3 = 6 > d2 = 4,
  // d0 = 6 > d1 = 2) but its spurious minima are for rank-deficient targets.
  const Model m = make_model(Family::linear, {6, 2, 4, 6});
  const DataFacts full = data_facts(gaussian_data(m, 16, 3));
  ASSERT_EQ(full.rank_y, 6);
  const auto find = [](const std::vector<Claim>& cs, const std::string& id) {
    for (const auto& c : cs)
      if (c.id == id) return c;
    ADD_FAILURE() << "no claim " << id;
    return Claim{};
  };
  std::vector<Claim> cs = theory_claims(m, full);
  Claim t8 = find(cs, "NR-Thm8-exists");
  EXPECT_EQ(t8.kind, ClaimKind::not_applicable);
  EXPECT_NE(t8.why.find("rank-deficient"), std::string::npos) << t8.why;
  EXPECT_EQ(find(cs, "NR-Lemma7").kind, ClaimKind::forbids);
  EXPECT_NE(format_claims(m, full, cs).find("not applicable here"), std::string::npos);
  // Rank-1 targets: Thm 8 applies; rank YX^T = 1 < min d_i = 2, so no critical point is
  // non-degenerate and Lemma 7 has nothing to speak about.
  const DataFacts low = data_facts(gaussian_data(m, 16, 3, 0, 1));
  cs = theory_claims(m, low);
  EXPECT_EQ(find(cs, "NR-Thm8-exists").kind, ClaimKind::exists);
  t8 = find(cs, "NR-Lemma7");
  EXPECT_EQ(t8.kind, ClaimKind::not_applicable);
  EXPECT_NE(t8.why.find("rank YX^T = 1 < min d_i = 2"), std::string::npos) << t8.why;
}
