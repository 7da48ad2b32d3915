// `landscape sample`: run every cell of an experiment file into the results database, resumable.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "landscape/run/experiment.hpp"

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
  double networks_scale = 1.0;  ///< multiplies experiment.networks of every cell (≥ 1 network)
  bool print_tables = true;     ///< print every cell's summary table on `out`
  bool verbose = false;         ///< a sweep's per-cell tables list every theory claim
  /// What to tell the user after an interrupt, when not `resume_command(opt)` (the suite, which
  /// starts afresh, says to run it again).
  std::string resume_hint;
};

/// The command that continues a run interrupted under `opt` (printed on Ctrl-C): the same file
/// and the options that locate its database, shell-quoted where needed.
std::string resume_command(const SweepOptions& opt);

/// What a completed sweep produced, for callers that go on with it (the reproduction suite).
struct SweepOutcome {
  std::vector<SampleResult> results;
  std::vector<std::string> labels;
  std::string db_path;
};

/// Runs the sweep; returns the exit code (0 done, 130 interrupted by SIGINT/SIGTERM after
/// committing everything finished). Throws Error on bad input or refused resume.
int run_sweep(const SweepOptions& opt, std::ostream& out, std::ostream& err,
              SweepOutcome* outcome = nullptr);

}  // namespace landscape
