// `landscape merge`: the shards of one sweep (`sample --shard I/N`, each in its own database)
// combined into one database and finalized, equal to a single run's.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace landscape {

struct MergeOptions {
  std::string out_db;               ///< the merged database (must not exist yet)
  std::vector<std::string> inputs;  ///< the shards' databases, any order
  /// The experiment file to check the shards against (optional: the shards' stored copy is
  /// used otherwise); data file paths in the outputs are then relative to it. No data file is
  /// read either way: every cell is finalized on the X and Y the shards stored.
  std::string config_path;
  std::string out_dir;              ///< write summary.json and endpoints.csv here when set
  bool quiet = false;
  bool verbose = false;             ///< a sweep's per-cell tables list every theory claim
};

/// Checks that the inputs are the N shards 1/N … N/N of one configuration (same config hash,
/// every shard once, every network of every cell exactly once — refusing other configs,
/// overlaps and gaps with messages naming the files), copies their endpoints into OUT, then
/// finalizes every cell as `sample` does. Returns the exit code; throws Error on refusal.
int run_merge(const MergeOptions& opt, std::ostream& out, std::ostream& err);

}  // namespace landscape
