// Sweep driver: cells × chunks into SQLite (one transaction per chunk), resume after any kill,
// clean stop on Ctrl-C, progress with rate and ETA, final tables and flat outputs.
#include "landscape/run/sweep.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/config.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/run/slice.hpp"
#include "landscape/io/output.hpp"
#include "landscape/run/pipeline.hpp"
#include "landscape/io/store.hpp"
#include "landscape/analysis/theory.hpp"

namespace landscape {
namespace {

std::atomic<int> g_stop{0};

extern "C" void on_stop_signal(int sig) {
  // First signal: finish the chunk in hand, commit, stop. Second: default action (terminate).
  g_stop.store(sig);
  std::signal(sig, SIG_DFL);
}

/// Installs SIGINT/SIGTERM handlers for the lifetime of a sweep.
class StopSignals {
 public:
  StopSignals() {
    g_stop.store(0);
    m_int = std::signal(SIGINT, on_stop_signal);
    m_term = std::signal(SIGTERM, on_stop_signal);
  }
  ~StopSignals() {
    std::signal(SIGINT, m_int);
    std::signal(SIGTERM, m_term);
  }

 private:
  void (*m_int)(int);
  void (*m_term)(int);
};

std::string fmt_duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

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

  /// Notes `done_now` networks done in this process; prints at most once a second, after two.
  void update(const Position& at, long done_now) {
    const int cell = at.cell, cells = at.cells;
    const std::string& label = at.label;
    const long cell_done = at.cell_done, cell_total = at.cell_total;
    m_done_here = done_now;
    if (m_quiet) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    if (elapsed < 2.0 || std::chrono::duration<double>(now - m_last).count() < 1.0) return;
    m_last = now;
    const double rate = elapsed > 0 ? double(m_done_here) / elapsed : 0;
    const long remaining = m_total - m_skipped - m_done_here;
    char buf[256];
    std::snprintf(buf, sizeof buf, "cell %d/%d [%s] %ld/%ld | overall %ld/%ld, %.1f networks/s, ETA %s",
                  cell + 1, cells, label.c_str(), cell_done, cell_total, m_skipped + m_done_here,
                  m_total, rate, rate > 0 ? fmt_duration(double(remaining) / rate).c_str() : "?");
    m_err << (m_interactive ? "\r\033[K" : "") << buf << (m_interactive ? "" : "\n") << std::flush;
    m_printed = true;
  }
  void skip(long n) { m_skipped += n; }
  void finish() {
    if (m_printed && m_interactive) m_err << "\n";
  }

 private:
  std::ostream& m_err;
  bool m_interactive, m_quiet, m_printed = false;
  long m_total, m_skipped = 0, m_done_here = 0;
  std::chrono::steady_clock::time_point m_start, m_last;
};

/// Test hook for crash safety: LANDSCAPE_FAULT_KILL_AFTER_CHUNKS=N raises SIGKILL right after
/// the N-th chunk commit of this process.
long fault_kill_after() {
  const char* v = std::getenv("LANDSCAPE_FAULT_KILL_AFTER_CHUNKS");
  return v ? std::atol(v) : 0;
}

/// Fault injection for the tests: LANDSCAPE_FAULT_SIGINT_BEFORE_FINAL=1 raises SIGINT once every
/// chunk of the last cell is committed, before the cell is finalized and the outputs written.
bool fault_sigint_before_final() {
  const char* v = std::getenv("LANDSCAPE_FAULT_SIGINT_BEFORE_FINAL");
  return v && std::string(v) == "1";
}

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
};

/// The run a sweep writes into, and whether it was complete before (a resume that only
/// writes the outputs again).
struct RunHandle {
  long run_id = 0;
  std::string prior_status;
};

/// Runs the cells of one sweep in order, chunk by chunk, into its run of the database; stops
/// cleanly at a signal. Holds the run's state: progress, counters and the finished cells.
class SweepDriver {
 public:
  SweepDriver(const SweepOptions& opt, const SweepSetup& setup, Store& store, long run_id,
              std::ostream& out, std::ostream& err)
      : m_opt(opt), m_setup(setup), m_store(store), m_run_id(run_id), m_out(out), m_err(err),
        m_progress(err, opt.interactive, opt.quiet, total_networks(setup.cells)),
        m_kill_after(fault_kill_after()), m_overlap(train_ahead(*setup.backend)) {}

  /// Returns the exit code: 0 done (outputs written, run complete), 130 stopped by a signal (also
  /// when the signal came after the last commit: the run is then complete, outputs written).
  int run(SweepOutcome* outcome) {
    StopSignals signals;
    const auto t_start = std::chrono::steady_clock::now();
    bool interrupted = false;
    for (std::size_t ci = 0; ci < m_setup.cells.size() && !interrupted; ++ci) {
      SampleResult res;
      interrupted = !run_cell(ci, res);
      if (interrupted) break;
      m_results.push_back(std::move(res));
      m_labels.push_back(m_setup.cells[ci].label);
      // A signal during a cell's finalization stops before the next cell.
      interrupted = g_stop.load() != 0 && ci + 1 < m_setup.cells.size();
    }
    m_progress.finish();
    if (interrupted) return stop();
    write_outputs(std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count());
    if (g_stop.load() != 0) {
      // The signal came once the last chunk was under way (being trained, committed or the
      // cell finalized): nothing was left to stop, so the run is complete with its outputs; the
      // exit code still says that a signal arrived.
      m_err << "signal " << g_stop.load() << " arrived too late to stop anything (the last chunk was "
            << "already under way): the run is complete and its outputs are written\n";
      return 130;
    }
    if (outcome) {
      outcome->results = std::move(m_results);
      outcome->labels = std::move(m_labels);
      outcome->db_path = m_setup.db_path;
    }
    return 0;
  }

 private:
  static long total_networks(const std::vector<SweepCell>& cells) {
    long total = 0;
    for (const auto& c : cells) total += c.config.networks;
    return total;
  }

  /// Trains and analyzes the cell's networks not yet stored, then finalizes the cell into
  /// `res`. False when a stop signal came first (every finished chunk is committed).
  bool run_cell(std::size_t ci, SampleResult& res) {
    const SweepCell& cell = m_setup.cells[ci];
    const auto t_cell = std::chrono::steady_clock::now();
    const CellContext& ctx = *m_setup.contexts[ci];
    Backend& backend = *m_setup.backend;
    const StoredCell sc = m_store.ensure_cell(m_run_id, int(ci), cell.label, ctx, "");
    res.config = cell.config;
    res.backend = backend.name();
    res.device = backend.device();
    res.data = ctx.data;
    res.loss_scale = ctx.loss_scale;
    const std::vector<long> stored = m_store.stored_indices(sc.cell_id);
    const std::set<long> have(stored.begin(), stored.end());
    std::vector<long> todo;
    for (long i = 0; i < cell.config.networks; ++i)
      if (!have.count(i)) todo.push_back(i);
    m_progress.skip(long(have.size()));
    const std::size_t want = std::size_t(
        cell.config.chunk > 0 ? cell.config.chunk : backend.preferred_chunk(cell.config.model));
    // Chunks are committed in order on this thread; with train-ahead, the next chunk trains on
    // a second thread meanwhile and is discarded uncommitted when a stop (or a kill) comes first.
    const auto train = [&](std::size_t c) {
      const std::size_t k = c * want;
      return train_chunk(
          ctx, backend,
          std::vector<long>(todo.begin() + std::ptrdiff_t(k),
                            todo.begin() + std::ptrdiff_t(std::min(todo.size(), k + want))));
    };
    const auto finish = [&](std::size_t c, TrainedChunk&& trained) {
      const long n = long(trained.indices.size());
      commit_chunk(ctx, sc, finish_chunk(ctx, backend, std::move(trained)), res);
      m_done_here += n;
      if (m_kill_after > 0 && ++m_chunks_committed == m_kill_after) std::raise(SIGKILL);
      m_progress.update({int(ci), int(m_setup.cells.size()), cell.label,
                         long(have.size() + c * want) + n, cell.config.networks},
                        m_done_here);
    };
    const auto stop = [] { return g_stop.load() != 0; };
    const std::size_t chunks = (todo.size() + want - 1) / want;
    if (!run_chunks(chunks, m_overlap, train, finish, stop)) return false;
    if (ci + 1 == m_setup.cells.size() && fault_sigint_before_final()) std::raise(SIGINT);
    finalize(cell, ctx, sc, res);
    // Wall time of the cell in this process: with train-ahead the stage times overlap, so their
    // sum would overstate it.
    res.seconds_total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_cell).count();
    return true;
  }

  /// Stores one analyzed chunk (one transaction) and adds its stage times to the cell's.
  void commit_chunk(const CellContext& ctx, const StoredCell& sc, const ChunkResult& chunk,
                    SampleResult& res) {
    m_store.write_chunk(sc.cell_id, ctx, chunk);
    m_store.add_run_seconds(m_run_id, chunk.seconds_train, chunk.seconds_analyze);
    res.seconds_train += chunk.seconds_train;
    res.seconds_analyze += chunk.seconds_analyze;
    res.seconds_decide += chunk.seconds_decide;
  }

  /// With every network of the cell stored: reloads its endpoints, finds the optimum, checks
  /// the theory's claims, stores the cell's final record and counts the classes.
  void finalize(const SweepCell& cell, const CellContext& ctx, const StoredCell& sc,
                SampleResult& res) {
    const auto t0 = std::chrono::steady_clock::now();
    std::map<long, std::vector<double>> candidates;
    res.endpoints = m_store.load_cell(sc.cell_id, candidates);
    res.candidate_weights = std::move(candidates);
    res.optimum = finalize_cell(ctx, res.endpoints, res.candidate_weights, res.warnings);
    const std::vector<Observation> obs =
        check_claims(theory_claims(cell.config.model, data_facts(ctx.data)), res.endpoints);
    res.theory = obs;
    for (const auto& o : obs) res.theory_lines.push_back(format_observation(o));
    // The report's 1-D slices (non-strict saddles along their witness, spurious minima along
    // their λ_min eigenvector), while the data and the weights are at hand.
    m_store.write_slices(sc.cell_id, endpoint_slices(cell.config.model, ctx.data, res.endpoints,
                                                     res.candidate_weights));
    m_store.write_final(sc.cell_id, res.optimum, res.endpoints, dump_observations(obs));
    res.seconds_decide += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& e : res.endpoints) ++res.counts[std::size_t(e.cls)];
  }

  /// After a stop signal: marks the run interrupted and says how to continue.
  int stop() {
    m_store.set_run_status(m_run_id, "interrupted");
    m_err << "stopped by signal " << g_stop.load() << ": every finished chunk is committed to "
          << m_setup.db_path << "; "
          << (m_opt.resume_hint.empty() ? "continue with: " + resume_command(m_opt) : m_opt.resume_hint)
          << "\n";
    return 130;
  }

  /// The summary tables, the flat outputs, and the run marked complete.
  void write_outputs(double seconds) {
    const std::string& db_path = m_setup.db_path;
    const std::string& out_dir = m_setup.out_dir;
    if (m_opt.print_tables) {
      for (std::size_t i = 0; i < m_results.size(); ++i) {
        if (m_results.size() > 1)
          m_out << "=== cell " << i + 1 << "/" << m_results.size() << ": " << m_labels[i] << " ===\n";
        m_out << format_sample_table(m_results[i]) << "\n";
      }
    }
    const RunInfo run{m_run_id, db_path, m_setup.hash, m_opt.resume, seconds, m_done_here};
    write_sample_outputs(m_results, m_labels, run, out_dir);
    // Complete only once its outputs are written: a run whose outputs failed is marked failed
    // (by run_sweep), and --resume writes them.
    m_store.set_run_status(m_run_id, "complete");
    if (m_opt.print_tables)
      m_out << "wrote " << db_path << " (run " << m_run_id << "), " << out_dir << "/summary.json and "
            << out_dir << "/endpoints.csv\n";
  }

  const SweepOptions& m_opt;
  const SweepSetup& m_setup;
  Store& m_store;
  long m_run_id;
  std::ostream& m_out;
  std::ostream& m_err;
  SweepProgress m_progress;
  const long m_kill_after;
  const bool m_overlap;
  long m_chunks_committed = 0, m_done_here = 0;
  std::vector<SampleResult> m_results;
  std::vector<std::string> m_labels;
};

/// The cells of the experiment file with the command-line overrides applied.
std::vector<SweepCell> sweep_cells(const SweepOptions& opt, const std::string& text) {
  if (opt.threads >= 0) check_threads(opt.threads, "--threads");
  std::vector<SweepCell> cells = expand_sweep(text, opt.config_path);
  for (auto& c : cells) {
    if (!opt.backend.empty()) c.config.backend = opt.backend;
    if (opt.threads >= 0) c.config.threads = opt.threads;
    if (!opt.out_dir.empty()) c.config.output.dir = opt.out_dir;
    if (!opt.db_path.empty()) c.config.output.db = opt.db_path;
    if (opt.networks_scale != 1.0)
      c.config.networks = std::max(1L, std::lround(double(c.config.networks) * opt.networks_scale));
  }
  return cells;
}

/// Builds every cell's data (CSV files read, ranks drawn) after checking its memory needs, and
/// the memory of the whole sweep, which holds every cell's results until it ends.
void make_contexts(const SweepOptions& opt, SweepSetup& s) {
  const double memory = physical_memory_bytes();
  MemoryEstimate whole;
  for (std::size_t i = 0; i < s.cells.size(); ++i) {
    const ExperimentConfig& c = s.cells[i].config;
    const std::string where = s.cells.size() == 1
                                  ? c.source
                                  : c.source + " [cell " + std::to_string(i) + ": " + s.cells[i].label + "]";
    const MemoryEstimate m = check_memory(c, thread_count(c.threads), memory, where);
    whole.analysis = std::max(whole.analysis, m.analysis);
    whole.results += m.results;
    s.contexts.push_back(std::make_unique<const CellContext>(make_cell_context(c)));
  }
  if (memory > 0 && s.cells.size() > 1)
    require(whole.analysis + whole.results <= 0.8 * memory, opt.config_path + ": experiment.networks",
            "the sweep's " + std::to_string(s.cells.size()) + " cells hold their results in memory until "
            "the sweep ends, at least " + format_bytes(whole.results) + "; this machine has " +
                format_bytes(memory) + " (split the sweep into several files, or use fewer networks)");
}

/// Checks that a resumed database exists, and creates the output folder (proving it writable)
/// and the database's folder. Returns the folders it created (outermost first), so that a
/// failure before the run exists can remove them again.
std::vector<std::filesystem::path> prepare_paths(const SweepOptions& opt, const std::string& db_path,
                                                 const std::string& out_dir) {
  if (opt.resume)
    require(std::filesystem::exists(db_path), db_path,
            "nothing to resume: there is no database here (give the --out or --db of the run to "
            "continue)");
  std::error_code ec;
  std::vector<std::filesystem::path> created;
  for (const std::string& dir : {out_dir, std::filesystem::path(db_path).parent_path().string()}) {
    if (dir.empty()) continue;
    // The outermost missing ancestor is what create_directories makes first.
    std::filesystem::path p = std::filesystem::absolute(dir, ec), first;
    for (; !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
      first = p;
      if (p == p.parent_path()) break;
    }
    if (!first.empty()) created.push_back(first);
  }
  std::filesystem::create_directories(out_dir, ec);
  require(!ec, out_dir, "cannot create output directory: " + ec.message());
  {
    const std::string probe = out_dir + "/.landscape-write-test";
    std::ofstream f(probe);
    require(bool(f << "ok\n") && bool(f.flush()), out_dir, "cannot write into the output directory");
    f.close();
    std::filesystem::remove(probe, ec);
  }
  if (const auto parent = std::filesystem::path(db_path).parent_path(); !parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    require(!ec, db_path, "cannot create the database's directory: " + ec.message());
  }
  return created;
}

/// Removes `dir` when nothing but folders is inside it (what prepare_paths made).
void remove_if_no_files(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (!it->is_directory(ec)) return;
  if (!ec) std::filesystem::remove_all(dir, ec);
}

/// Opens the database; when that fails (a corrupt or foreign file, a read-only file system, a
/// second writer), removes the folders prepare_paths created for this run, if still empty.
std::unique_ptr<Store> open_store(const std::string& db_path,
                                  const std::vector<std::filesystem::path>& created) {
  try {
    return std::make_unique<Store>(db_path);
  } catch (...) {
    for (const auto& dir : created) remove_if_no_files(dir);
    throw;
  }
}

/// Creates the run, or with --resume reopens the database's last one (refusing a different
/// configuration) and marks it running again unless it was complete.
RunHandle open_run(const SweepOptions& opt, const SweepSetup& s, Store& store) {
  RunHandle h;
  if (!opt.resume) {
    // The default database (<output.dir>/results.db) holds one configuration: a run of another
    // one would mix two experiments in one folder (its summary.json and endpoints.csv
    // overwritten, a report of the wrong run). Refused, naming the clash; an explicit database
    // (output.db or --db) may hold any runs.
    if (s.default_db)
      if (const auto last = store.latest_run(); last && last->config_hash != s.hash) {
        const std::string diff = config_diff(canonical_config(last->config_text, s.db_path), s.canonical);
        throw Error(s.db_path + ": holds run " + std::to_string(last->run_id) + " of another "
                    "configuration than " + opt.config_path + "; what differs (stored -> given):\n" +
                    (diff.empty() ? std::string("  (only keys outside the canonical form)\n") : diff) +
                    "give this experiment its own folder (output.dir, or --out DIR), or name the "
                    "database explicitly (--db FILE) to add it as another run there");
      }
    h.run_id = store.create_run(s.text, s.hash, s.backend->name(), s.backend->device());
    return h;
  }
  const auto last = store.latest_run();
  require(last.has_value(), s.db_path, "nothing to resume: the database holds no run");
  if (last->config_hash != s.hash) {
    const std::string diff = config_diff(canonical_config(last->config_text, s.db_path), s.canonical);
    throw Error(s.db_path + ": refusing to resume run " + std::to_string(last->run_id) + " with a different "
                "configuration (" + opt.config_path + "); what differs (stored -> given):\n" +
                (diff.empty() ? std::string("  (only keys outside the canonical form)\n") : diff) +
                "start a new run without --resume, or use another --db");
  }
  h.run_id = last->run_id;
  h.prior_status = last->status;
  if (last->status != "complete") store.set_run_status(h.run_id, "running");
  return h;
}

}  // namespace

std::string resume_command(const SweepOptions& opt) {
  const auto quoted = [](const std::string& p) {
    if (p.find_first_of(" \t'\"$\\;&|<>()*?") == std::string::npos) return p;
    std::string q = "'";
    for (char ch : p) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return q + "'";
  };
  std::string c = "landscape sample " + quoted(opt.config_path) + " --resume";
  if (!opt.out_dir.empty()) c += " --out " + quoted(opt.out_dir);
  if (!opt.db_path.empty()) c += " --db " + quoted(opt.db_path);
  if (!opt.backend.empty()) c += " --backend " + opt.backend;
  if (opt.threads >= 0) c += " --threads " + std::to_string(opt.threads);
  return c;
}

int run_sweep(const SweepOptions& opt, std::ostream& out, std::ostream& err, SweepOutcome* outcome) {
  SweepSetup s;
  s.text = read_file(opt.config_path);
  s.cells = sweep_cells(opt, s.text);
  const ExperimentConfig& first = s.cells.front().config;
  s.out_dir = first.output.dir;
  s.db_path = first.output.db_path();
  s.default_db = first.output.db.empty();
  s.canonical = canonical_config(s.text, opt.config_path);
  if (opt.networks_scale != 1.0) s.canonical += "networks_scale = " + std::to_string(opt.networks_scale) + "\n";
  s.hash = config_hash(s.canonical);

  // Everything that can fail on the input is checked before the database is touched: each
  // cell's data is built (CSV files read, ranks drawn) and its memory needs checked, the output
  // folder is created and written to. A bad config then leaves no run behind.
  s.backend = make_backend(first.backend, first.threads);
  make_contexts(opt, s);
  const auto created = prepare_paths(opt, s.db_path, s.out_dir);

  const std::unique_ptr<Store> owned = open_store(s.db_path, created);
  Store& store = *owned;
  const RunHandle h = open_run(opt, s, store);
  // A run that stops on an error is marked failed (it can still be resumed once the cause is
  // fixed); a kill leaves it "running", which --resume also continues. A complete run that is
  // resumed (to write its outputs again) keeps its status: its data are complete.
  try {
    return SweepDriver(opt, s, store, h.run_id, out, err).run(outcome);
  } catch (...) {
    try {
      if (h.prior_status != "complete") store.set_run_status(h.run_id, "failed");
    } catch (...) {
    }
    throw;
  }
}

}  // namespace landscape
