// The theory oracle: which results of docs/math.md §4 apply to an architecture and data, and what
// they predict about the classes of endpoints. Claim and Observation are core records; their
// JSON is io/codec's.
#pragma once

#include <string>
#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/records.hpp"
#include "landscape/core/stats.hpp"
#include "landscape/core/model.hpp"

namespace landscape {

/// Numerical facts about the data that the theorems' conditions need.
struct DataFacts {
  int d0 = 0, dh = 0, n = 0;
  int rank_x = 0, rank_y = 0, rank_xyt = 0;
  bool sigma_distinct = false;  ///< Σ = YXᵀ(XXᵀ)⁻¹XYᵀ has distinct eigenvalues (XXᵀ invertible)
  bool x_full_column_rank = false;
};
DataFacts data_facts(const Dataset& d);

/// Every result of docs/math.md §4 that applies (and, as kind "none", a note when none does).
std::vector<Claim> theory_claims(const Model& m, const DataFacts& f);

/// Readable listing.
std::string format_claims(const Model& m, const DataFacts& f, const std::vector<Claim>& claims);

/// Each claim against the endpoints: how many it speaks about, how many fall in its classes,
/// and the verdict.
std::vector<Observation> check_claims(const std::vector<Claim>& claims,
                                      const std::vector<EndpointRecord>& endpoints);
/// One line, e.g. "predicted: no spurious_local_minimum (N&R Thm 5) - observed 0 of 1000
/// (rate < 3.7e-3 at 95%) - consistent".
std::string format_observation(const Observation& o);

/// N&R Theorem 8's condition: some 1 ≤ p1 < p2 ≤ h−1 with dh > d_{p2} and d0 > d_{p1}.
bool theorem8_condition(const std::vector<int>& dims, int* p1 = nullptr, int* p2 = nullptr);

}  // namespace landscape
