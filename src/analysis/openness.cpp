// Local openness and degeneracy of an endpoint from the numerical ranks of its layers and of
// their contiguous products (docs/math.md §4).
#include "landscape/analysis/openness.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "landscape/core/linalg.hpp"

namespace landscape {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Seven parameters: the six integers of the theorems' statement and the rule that decided.
bool matrix_product_locally_open(int m, int k, int n, int rank_a, int rank_b, int rank_ab,
                                 std::string* rule) {
  if (k < std::min(m, n)) {
    if (rule) *rule = "N&R Theorem 2 (k < min(m, n)): rank A = rank B = rank AB";
    return rank_a == rank_b && rank_b == rank_ab;
  }
  if (rule) *rule = "Behrends 2017 (k >= min(m, n))";
  const int s = rank_b - rank_ab;  // dim(N(A) ∩ C(B))
  return s <= k - m || n - rank_ab <= k - rank_a;
}

namespace {

/// Numerical rank of M with one absolute threshold: singular values at or below `threshold` count
/// as zero.
int rank_above(const RowMat& M, double threshold) {
  const std::vector<double> s = singular_values(M.data(), int(M.rows()), int(M.cols()));
  int r = 0;
  for (double x : s) r += x > threshold;
  return r;
}

}  // namespace

OpennessInfo openness(const Model& m, const double* w, double rank_rtol) {
  const int h = m.depth();
  OpennessInfo o;
  std::vector<RowMat> W;
  std::vector<double> norm;  // ‖W_i‖₂
  std::size_t off = 0;
  for (int i = 1; i <= h; ++i) {
    const int r = m.dims[std::size_t(i)], c = m.dims[std::size_t(i) - 1];
    W.emplace_back(Eigen::Map<const RowMat>(w + off, r, c));
    off += std::size_t(r) * c;
    const std::vector<double> s = singular_values(W.back().data(), r, c);
    norm.push_back(s.empty() ? 0.0 : s[0]);
  }
  // One rule for every factor and product (docs/math.md §5): W_j⋯W_i has rank = the number of
  // its singular values above rank_rtol · ‖W_j‖⋯‖W_i‖. Since σ_k(AB) ≤ σ_k(A)·‖B‖ and
  // ‖B‖ ≤ the product of its factors' norms, a singular value of A at or below A's threshold
  // gives one of AB at or below AB's threshold: rank(AB) ≤ min(rank A, rank B) in exact
  // arithmetic. A relative rule per matrix (σ_k > rtol·σ_max of that matrix) does not have this
  // property, which matters at small weights.
  const auto threshold = [&](int i, int j) {
    double t = rank_rtol;
    for (int l = i; l <= j; ++l) t *= norm[std::size_t(l) - 1];
    return t;
  };
  for (int i = 1; i <= h; ++i) o.layer_ranks.push_back(rank_above(W[std::size_t(i) - 1], threshold(i, i)));
  // rank[i][j] of W_j⋯W_i; products are filled by growing length so every sub-product is known
  // when a product is clamped below.
  std::vector<std::vector<int>> rank(std::size_t(h) + 1, std::vector<int>(std::size_t(h) + 1, 0));
  for (int i = 1; i <= h; ++i) rank[std::size_t(i)][std::size_t(i)] = o.layer_ranks[std::size_t(i) - 1];
  for (int len = 2; len <= h; ++len)
    for (int i = 1; i + len - 1 <= h; ++i) {
      const int j = i + len - 1;
      RowMat prod = W[std::size_t(i) - 1];
      for (int l = i + 1; l <= j; ++l) prod = (W[std::size_t(l) - 1] * prod).eval();
      int r = rank_above(prod, threshold(i, j));
      // Rounding can only matter where a singular value sits on its threshold; the clamp keeps
      // the invariant there too.
      // Sylvester's inequality from below, at every split W_j⋯W_{l+1} · W_l⋯W_i (inner width d_l):
      // a product's smallest singular values can scale like rtol^len while its threshold scales
      // like rtol, so the rule alone could report rank(AB) < rank A + rank B − k. The upper
      // clamp wins should the two ever disagree.
      int lower = 0;
      for (int l = i; l < j; ++l)
        lower = std::max(lower, rank[std::size_t(l) + 1][std::size_t(j)] + rank[std::size_t(i)][std::size_t(l)] -
                                    m.dims[std::size_t(l)]);
      r = std::max(r, lower);
      r = std::min({r, rank[std::size_t(i)][std::size_t(j) - 1], rank[std::size_t(i) + 1][std::size_t(j)]});
      rank[std::size_t(i)][std::size_t(j)] = r;
    }
  for (int i = 1; i <= h; ++i)
    for (int j = i + 1; j <= h; ++j) o.partial.push_back({i, j, rank[std::size_t(i)][std::size_t(j)]});
  o.product_rank = rank[1][std::size_t(h)];
  o.min_width = *std::min_element(m.dims.begin(), m.dims.end());
  if (m.family == Family::linear) {
    o.non_degenerate = o.product_rank == o.min_width;
    if (h == 2) {
      // M(A, B) = AB with A = W_2 (d2 × d1) and B = W_1 (d1 × d0).
      o.locally_open = matrix_product_locally_open(m.dims[2], m.dims[1], m.dims[0], o.layer_ranks[1],
                                                   o.layer_ranks[0], o.product_rank, &o.openness_rule);
    }
  } else {
    bool all = true;
    for (int i = 1; i <= h; ++i) all = all && o.layer_ranks[std::size_t(i) - 1] == m.dims[std::size_t(i)];
    o.all_full_row_rank = all;
  }
  return o;
}

}  // namespace landscape
