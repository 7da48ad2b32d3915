// Names of the record enums (as stored in the database and printed).
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

}  // namespace landscape
