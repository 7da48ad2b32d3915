// The theory oracle: which results of docs/math.md §4 apply to an architecture and data, and what
// they predict about the classes of endpoints.
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

/// One theorem, applied. `kind`: "forbids" (no endpoint of the listed classes within `scope`),
/// "exists" (such endpoints exist for some data or init; not observing them contradicts
/// nothing) or "none" (no theorem applies).
struct Claim {
  std::string id;         ///< short identifier, e.g. "NR-Thm5"
  std::string source;     ///< e.g. "N&R Thm 5"
  std::string statement;  ///< what it says, in words
  std::string kind;       ///< forbids | exists | none
  std::vector<std::string> classes;  ///< classes forbidden (or predicted to exist)
  /// Endpoints the claim speaks about: all | degenerate (rank W_h⋯W_1 < min d_i) |
  /// non_degenerate | full_row_rank (every W_i of full row rank).
  std::string scope = "all";
  std::string why;        ///< which conditions hold (or fail), with the numbers
};

/// Every result of docs/math.md §4 that applies (and, as kind "none", a note when none does).
std::vector<Claim> theory_claims(const Model& m, const DataFacts& f);

/// JSON array of claims (for the database's cells.prediction and summaries).
std::string claims_json(const std::vector<Claim>& claims);
/// Readable listing.
std::string format_claims(const Model& m, const DataFacts& f, const std::vector<Claim>& claims);

/// A claim next to what was observed.
struct Observation {
  Claim claim;
  long in_scope = 0;            ///< endpoints the claim speaks about
  long count = 0;               ///< of those, endpoints in the claim's classes
  Interval ci;                  ///< 95% interval of count / in_scope
  std::string verdict;          ///< consistent | inconsistent | inconclusive | no prediction
  std::vector<long> offending;  ///< network indices contradicting a "forbids" claim
};
std::vector<Observation> check_claims(const std::vector<Claim>& claims,
                                      const std::vector<EndpointRecord>& endpoints);
/// One line, e.g. "predicted: no spurious_local_minimum (N&R Thm 5) - observed 0 of 1000
/// (rate < 3.7e-3 at 95%) - consistent".
std::string format_observation(const Observation& o);
std::string observations_json(const std::vector<Observation>& obs);

/// N&R Theorem 8's condition: some 1 ≤ p1 < p2 ≤ h−1 with dh > d_{p2} and d0 > d_{p1}.
bool theorem8_condition(const std::vector<int>& dims, int* p1 = nullptr, int* p2 = nullptr);

}  // namespace landscape
