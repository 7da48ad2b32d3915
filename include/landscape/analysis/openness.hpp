// Local openness and degeneracy of an endpoint from numerical ranks (docs/math.md §4).
#pragma once

#include <string>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/records.hpp"
#include "landscape/core/settings.hpp"

namespace landscape {

/// Ranks of every W_i and every contiguous product W_j⋯W_i under one rule: singular values at
/// or below rank_rtol · ‖W_j‖₂⋯‖W_i‖₂ (the product's norm bound) count as zero, so the ranks
/// always satisfy rank(AB) ≤ min(rank A, rank B) (docs/math.md §5).
OpennessInfo openness(const Model& m, const double* w, double rank_rtol);

/// Local openness of M(A, B) = AB at (A, B), A ∈ R^{m×k}, B ∈ R^{k×n}, from ranks:
/// k < min(m, n): open iff rank A = rank B = rank AB (N&R Thm 2);
/// k ≥ min(m, n): open iff s ≤ k − m or n − rank AB ≤ k − rank A, s = rank B − rank AB
/// (Behrends 2017). `rule` receives which case applied.
bool matrix_product_locally_open(int m, int k, int n, int rank_a, int rank_b, int rank_ab,
                                 std::string* rule = nullptr);

}  // namespace landscape
