// `landscape sample`: run every cell of an experiment file into the results database, resumable.
#pragma once

#include <ostream>
#include <string>

namespace landscape {

struct SweepOptions {
  std::string config_path;
  std::string backend;  ///< overrides experiment.backend when not empty
  int threads = -1;     ///< overrides experiment.threads when ≥ 0
  std::string out_dir;  ///< overrides output.dir when not empty
  std::string db_path;  ///< overrides output.db when not empty
  bool resume = false;
  bool quiet = false;
  bool interactive = false;  ///< progress with carriage returns (stderr is a terminal)
};

/// Runs the sweep; returns the exit code (0 done, 130 interrupted by SIGINT/SIGTERM after
/// committing everything finished). Throws Error on bad input or refused resume.
int run_sweep(const SweepOptions& opt, std::ostream& out, std::ostream& err);

}  // namespace landscape
