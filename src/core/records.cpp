// Names of the record enums (as stored in the database and printed) and their parsers.
#include "landscape/core/records.hpp"

#include "landscape/core/common.hpp"

namespace landscape {

std::string to_string(PointClass c) {
  switch (c) {
    case PointClass::diverged: return "diverged";
    case PointClass::not_critical: return "not_critical";
    case PointClass::global_minimum: return "global_minimum";
    case PointClass::strict_saddle: return "strict_saddle";
    case PointClass::non_strict_saddle: return "non_strict_saddle";
    case PointClass::spurious_local_minimum: return "spurious_local_minimum";
    case PointClass::degenerate: return "degenerate";
  }
  return "unknown";
}

PointClass parse_point_class(const std::string& s) {
  for (int c = 0; c < kNumClasses; ++c)
    if (to_string(PointClass(c)) == s) return PointClass(c);
  throw Error("unknown endpoint class '" + s + "'");
}

std::string to_string(math::TrainStatus s) {
  switch (s) {
    case math::TrainStatus::converged: return "converged";
    case math::TrainStatus::budget: return "budget";
    case math::TrainStatus::diverged: return "diverged";
  }
  return "budget";
}

math::TrainStatus parse_train_status(const std::string& s) {
  if (s == "converged") return math::TrainStatus::converged;
  if (s == "diverged") return math::TrainStatus::diverged;
  if (s == "budget") return math::TrainStatus::budget;
  throw Error("unknown training status '" + s + "'");
}

std::string to_string(ClaimKind k) {
  switch (k) {
    case ClaimKind::forbids: return "forbids";
    case ClaimKind::exists: return "exists";
    case ClaimKind::none: return "none";
    case ClaimKind::not_applicable: return "not_applicable";
  }
  return "none";
}

ClaimKind parse_claim_kind(const std::string& s) {
  if (s == "forbids") return ClaimKind::forbids;
  if (s == "exists") return ClaimKind::exists;
  if (s == "none") return ClaimKind::none;
  if (s == "not_applicable") return ClaimKind::not_applicable;
  throw Error("unknown claim kind '" + s + "'");
}

std::string to_string(ClaimScope s) {
  switch (s) {
    case ClaimScope::all: return "all";
    case ClaimScope::degenerate: return "degenerate";
    case ClaimScope::non_degenerate: return "non_degenerate";
    case ClaimScope::full_row_rank: return "full_row_rank";
  }
  return "all";
}

ClaimScope parse_claim_scope(const std::string& s) {
  if (s == "all") return ClaimScope::all;
  if (s == "degenerate") return ClaimScope::degenerate;
  if (s == "non_degenerate") return ClaimScope::non_degenerate;
  if (s == "full_row_rank") return ClaimScope::full_row_rank;
  throw Error("unknown claim scope '" + s + "'");
}

std::string to_string(Verdict v) {
  switch (v) {
    case Verdict::consistent: return "consistent";
    case Verdict::inconsistent: return "inconsistent";
    case Verdict::inconclusive: return "inconclusive";
    case Verdict::no_prediction: return "no prediction";
    case Verdict::not_applicable: return "not applicable";
  }
  return "inconclusive";
}

Verdict parse_verdict(const std::string& s) {
  if (s == "consistent") return Verdict::consistent;
  if (s == "inconsistent") return Verdict::inconsistent;
  if (s == "inconclusive") return Verdict::inconclusive;
  if (s == "no prediction") return Verdict::no_prediction;
  if (s == "not applicable") return Verdict::not_applicable;
  throw Error("unknown verdict '" + s + "'");
}

}  // namespace landscape
