// `landscape bench`: the standard workloads (W-S, W-M, W-P), timed per stage, and their export
// for the PyTorch/JAX peers in bench/peers/.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "landscape/core/model.hpp"

namespace landscape {

/// A standard workload. Training is plain GD for exactly `steps` steps (no early stop) in
/// float32; Hessians and eigenvalues are float64.
struct Workload {
  std::string name;
  Model model;
  int n = 0;
  long networks = 0;
  long steps = 0;
  double lr = 0;
  long cpu_networks = 0;  ///< default network count on the CPU backend (figures marked scaled)
};
std::vector<Workload> standard_workloads();

struct BenchOptions {
  std::vector<std::string> workloads;  ///< names; empty = all
  double scale = 0;                    ///< networks multiplier; 0 = 1 on a GPU, CPU default otherwise
  long networks = 0;                   ///< exact network count (overrides scale) when > 0
  long steps = 0;                      ///< override the step count when > 0
  std::string backend = "auto";
  int threads = 0;
  bool compress = true;                ///< false: deep linear networks train on X, Y as given
  std::string json_path;               ///< write results as JSON here
  std::string export_dir;              ///< write workload files for the peers here (no timing)
  /// Under MPI: a `--json` file of a one-rank run whose end-to-end rate is the reference of
  /// the parallel efficiency (aggregate rate / (K × reference rate)).
  std::string baseline_path;
};

/// Runs (or exports) the workloads; prints a table; returns the exit code. Under `mpirun -np K`
/// every rank times its share of each workload's networks (started together after a
/// barrier), and rank 0 reports every rank's rate, the aggregate and the efficiency.
int run_bench(const BenchOptions& opt, std::ostream& out, std::ostream& err);

}  // namespace landscape
