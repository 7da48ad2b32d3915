// What the sweep drivers share (run/sweep.cpp's single process, run/distributed.cpp's MPI ranks,
// run/merge.cpp's shard merge): stop signals, progress, the checked setup, cell finalization and
// the outputs. Private to the run layer.
#pragma once

#include <chrono>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "landscape/io/config.hpp"
#include "landscape/io/store.hpp"
#include "landscape/run/sweep.hpp"

namespace landscape {

/// The signal that asked the sweep to stop (SIGINT, SIGTERM), 0 when none came.
int stop_signal();

/// Installs SIGINT/SIGTERM handlers for the lifetime of a sweep: the first signal asks for a
/// clean stop (stop_signal), a second terminates.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();

 private:
  void (*m_int)(int);
  void (*m_term)(int);
};

std::string fmt_duration(double s);

/// Per-cell and overall progress on stderr, about once a second after the first two seconds.
class SweepProgress {
 public:
  SweepProgress(std::ostream& err, bool interactive, bool quiet, long total)
      : m_err(err), m_interactive(interactive), m_quiet(quiet), m_total(total),
        m_start(std::chrono::steady_clock::now()), m_last(m_start) {}

  /// Where a sweep stands: cell `cell` of `cells` (0-based), its networks done and in all.
  struct Position {
    int cell = 0, cells = 0;
    const std::string& label;
    long cell_done = 0, cell_total = 0;
  };

  /// Notes `done_now` networks done in this run so far; prints at most once a second, after
  /// two. `ranks` (MPI) is appended: every rank's rate.
  void update(const Position& at, long done_now, const std::string& ranks = "");
  void skip(long n) { m_skipped += n; }
  void finish() {
    if (m_printed && m_interactive) m_err << "\n";
  }
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
  }

 private:
  std::ostream& m_err;
  bool m_interactive, m_quiet, m_printed = false;
  long m_total, m_skipped = 0, m_done_here = 0;
  std::chrono::steady_clock::time_point m_start, m_last;
};

/// Everything a sweep runs on, set up and checked by run_sweep before the database is touched.
struct SweepSetup {
  std::string text;       ///< the experiment file
  std::string canonical;  ///< its canonical form (plus the network scale), which the hash covers
  std::string hash;
  std::vector<SweepCell> cells;
  std::vector<std::unique_ptr<const CellContext>> contexts;  ///< one per cell, data built
  std::unique_ptr<Backend> backend;
  std::string db_path, out_dir;
  bool default_db = true;  ///< db_path is <output.dir>/results.db, named by neither output.db nor --db
  std::string run_backend, run_device;  ///< as the run records them (every rank's, under MPI)
  std::vector<std::vector<long>> rank_chunks;  ///< MPI, rank 0: networks per unit, [rank][cell]
};

/// A cell's network count under `--networks-scale` (`suite --scale`): at least one network.
long scaled_networks(long networks, double scale);
/// What the config hash covers besides the canonical config: the network scale, when not 1.
std::string scale_line(double scale);
/// The scale as a shard's `meta.networks_scale` keeps it (every digit).
std::string format_scale(double scale);

/// Test hook for crash safety: LANDSCAPE_FAULT_KILL_AFTER_CHUNKS=N raises SIGKILL right after
/// the N-th chunk commit of this process (under MPI: after the N-th chunk of rank
/// LANDSCAPE_FAULT_KILL_RANK, default 0, is committed or sent).
long fault_kill_after(int rank);

/// Fault injection for the tests: LANDSCAPE_FAULT_SIGINT_BEFORE_FINAL=1 raises SIGINT once every
/// chunk of the last cell is committed, before the cell is finalized and the outputs written.
bool fault_sigint_before_final();

/// The networks of a cell (within the shard) not yet stored, in index order; `have` gets how
/// many of the shard's are stored.
std::vector<long> cell_todo(Store& store, long cell_id, long networks, const ShardSpec& shard, long& have);

/// A cell's result before its endpoints are in: config, backend, data.
SampleResult start_cell_result(const SweepSetup& s, std::size_t ci);

/// Every cell's summary table on `out`; a sweep's list each claim only when `verbose`, and end
/// with the compact table of all cells.
void print_sample_tables(const std::vector<SampleResult>& results, const std::vector<std::string>& labels,
                         bool verbose, std::ostream& out);

/// With every network of the cell stored: reloads its endpoints, finds the optimum, runs the
/// escape tests, checks the theory's claims and stores the cell's final record in one
/// transaction with its times: `add` plus the finalization's decision seconds and the wall time
/// from `since` to the record. Counts the classes into `res`, and sets its times to the cell's
/// stored ones (every process's).
void finalize_stored_cell(Store& store, const SweepCell& cell, const CellContext& ctx, long cell_id,
                          SampleResult& res, CellSeconds add, std::chrono::steady_clock::time_point since);

/// A cell complete before this process (a resume): its final record read back into `res`
/// (endpoints with their classes, L*, the theory's observations, warnings, counts, stored
/// times); nothing is decided or written.
void load_complete_cell(Store& store, const SweepCell& cell, const CellContext& ctx, long cell_id,
                        SampleResult& res);

/// Sets `res`'s times to the cell's stored ones (table `cell_seconds`: every process's).
void set_stored_seconds(Store& store, long cell_id, SampleResult& res);

/// The end of a sweep: the summary tables, the flat outputs and the run marked complete (for a
/// shard, the run marked complete and how to merge).
void write_sweep_outputs(const SweepOptions& opt, const SweepSetup& s, Store& store, const SweepOutcome& done,
                         const RunInfo& run, std::ostream& out);

/// After stop signal `signal`: marks the run interrupted and says how to continue. Returns 130.
int report_stop(const SweepOptions& opt, const SweepSetup& s, Store& store, long run_id, std::ostream& err,
                int signal);

/// Rank 0 under MPI: hands out (cell, chunk) units to every rank (itself included), commits
/// the chunks, finalizes the cells and writes the outputs. Returns the exit code.
// Seven parameters: the same as the single-process driver's, which it replaces under MPI.
int run_sweep_coordinator(const SweepOptions& opt, const SweepSetup& s, Store& store, long run_id,
                          std::ostream& out, std::ostream& err, SweepOutcome* outcome);

/// Every other rank under MPI: computes the units rank 0 hands out until it says the run is
/// over. Returns rank 0's exit code.
int run_sweep_worker(const SweepOptions& opt, const SweepSetup& s, std::ostream& err);

/// Under MPI, on rank 0: every rank's hello (backend, device, preferred chunk per cell)
/// gathered into s.run_backend, s.run_device and s.rank_chunks.
void gather_hellos(SweepSetup& s);
/// Under MPI, on a worker: says hello to rank 0.
void send_hello(const SweepSetup& s);

}  // namespace landscape
