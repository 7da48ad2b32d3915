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

OpennessInfo openness(const Model& m, const double* w, double rank_rtol) {
  const int h = m.depth();
  OpennessInfo o;
  std::vector<RowMat> W;
  std::size_t off = 0;
  for (int i = 1; i <= h; ++i) {
    const int r = m.dims[std::size_t(i)], c = m.dims[std::size_t(i) - 1];
    W.emplace_back(Eigen::Map<const RowMat>(w + off, r, c));
    off += std::size_t(r) * c;
    o.layer_ranks.push_back(numerical_rank(W.back().data(), r, c, rank_rtol));
  }
  for (int i = 1; i <= h; ++i) {
    RowMat prod = W[std::size_t(i) - 1];
    for (int j = i + 1; j <= h; ++j) {
      prod = (W[std::size_t(j) - 1] * prod).eval();
      o.partial.push_back({i, j, numerical_rank(prod.data(), int(prod.rows()), int(prod.cols()), rank_rtol)});
      if (i == 1 && j == h) o.product_rank = o.partial.back().rank;
    }
  }
  if (h == 1) o.product_rank = o.layer_ranks[0];
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
