// `landscape sample`: run every cell of an experiment file into the results database, resumable.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "landscape/run/experiment.hpp"

namespace landscape {

/// The I-th of N disjoint slices of every cell's networks (`--shard I/N`, 1 ≤ I ≤ N): network
/// indices [⌊n·(I−1)/N⌋, ⌊n·I/N⌋) of a cell of n networks. Inactive (count 0) runs them all.
struct ShardSpec {
  int index = 0, count = 0;
  bool active() const { return count > 0; }
  long begin(long n) const { return active() ? floor_share(n, index - 1) : 0; }
  long end(long n) const { return active() ? floor_share(n, index) : n; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }

 private:
  /// ⌊n·k/count⌋ without overflowing n·k.
  long floor_share(long n, long k) const { return n / count * k + n % count * k / count; }
};

/// Parses "I/N" (throws Error naming `where`).
ShardSpec parse_shard(const std::string& text, const std::string& where);

/// The default database of a shard: `db_path` with "-shard-I-of-N" before its extension, so
/// the shards of one experiment never share a file.
std::string shard_db_path(const std::string& db_path, const ShardSpec& shard);

struct SweepOptions {
  std::string config_path;  ///< the experiment file (or, with config_text, the name errors give it)
  /// The experiment file's text when it does not come from a file (the Python package's dict).
  std::optional<std::string> config_text;
  std::string backend;  ///< overrides experiment.backend when not empty
  int threads = -1;     ///< overrides experiment.threads when ≥ 0
  std::string out_dir;  ///< overrides output.dir when not empty
  std::string db_path;  ///< overrides output.db when not empty
  bool resume = false;
  bool quiet = false;
  bool interactive = false;  ///< progress with carriage returns (stderr is a terminal)
  double networks_scale = 1.0;  ///< multiplies experiment.networks of every cell (≥ 1 network)
  bool print_tables = true;     ///< print every cell's summary table on `out`
  /// Run only this slice of every cell into its own database; cells are finalized by
  /// `landscape merge` once every slice is there.
  ShardSpec shard;
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

/// Runs the sweep; under an MPI launcher (`mpirun -np K`), across the ranks: rank 0 writes the
/// database and hands out (cell, chunk) units, every rank computes (run/mpi.hpp). Returns the exit code (0 done, 130 interrupted by SIGINT/SIGTERM after
/// committing everything finished). Throws Error on bad input or refused resume.
int run_sweep(const SweepOptions& opt, std::ostream& out, std::ostream& err,
              SweepOutcome* outcome = nullptr);

}  // namespace landscape
