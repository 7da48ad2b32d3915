// Sweep driver: cells × chunks into SQLite (one transaction per chunk), resume after any kill,
// clean stop on Ctrl-C, progress with rate and ETA, final tables and flat outputs.
#include "landscape/run/sweep.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
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
#include "landscape/run/mpi.hpp"
#include "sweep_internal.hpp"

namespace landscape {
namespace {

std::atomic<int> g_stop{0};

extern "C" void on_stop_signal(int sig) {
  // First signal: finish the chunk in hand, commit, stop. Second: default action (terminate).
  g_stop.store(sig);
  std::signal(sig, SIG_DFL);
}

}  // namespace

int stop_signal() { return g_stop.load(); }

StopSignals::StopSignals() {
  g_stop.store(0);
  m_int = std::signal(SIGINT, on_stop_signal);
  m_term = std::signal(SIGTERM, on_stop_signal);
}

StopSignals::~StopSignals() {
  std::signal(SIGINT, m_int);
  std::signal(SIGTERM, m_term);
}

std::string fmt_duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}

void SweepProgress::update(const Position& at, long done_now, const std::string& ranks) {
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
  m_err << (m_interactive ? "\r\033[K" : "") << buf << ranks << (m_interactive ? "" : "\n") << std::flush;
  m_printed = true;
}

long scaled_networks(long networks, double scale) {
  return scale == 1.0 ? networks : std::max(1L, std::lround(double(networks) * scale));
}

std::string scale_line(double scale) {
  return scale == 1.0 ? std::string() : "networks_scale = " + std::to_string(scale) + "\n";
}

/// The shortest text that reads back as `scale` exactly (0.1, not 0.10000000000000001): for
/// messages, the resume command and the shard's meta alike.
std::string format_scale(double scale) { return format_shortest(scale); }

long fault_kill_after(int rank) {
  const char* v = std::getenv("LANDSCAPE_FAULT_KILL_AFTER_CHUNKS");
  const char* r = std::getenv("LANDSCAPE_FAULT_KILL_RANK");
  if (!v || (r ? std::atoi(r) : 0) != rank) return 0;
  return std::atol(v);
}

bool fault_sigint_before_final() {
  const char* v = std::getenv("LANDSCAPE_FAULT_SIGINT_BEFORE_FINAL");
  return v && std::string(v) == "1";
}

std::vector<long> cell_todo(Store& store, long cell_id, long networks, const ShardSpec& shard, long& have) {
  const std::vector<long> stored = store.stored_indices(cell_id);
  const std::set<long> got(stored.begin(), stored.end());
  std::vector<long> todo;
  have = 0;
  for (long i = shard.begin(networks); i < shard.end(networks); ++i) {
    if (got.count(i)) ++have;
    else todo.push_back(i);
  }
  return todo;
}

SampleResult start_cell_result(const SweepSetup& s, std::size_t ci) {
  const CellContext& ctx = *s.contexts[ci];
  SampleResult res;
  res.config = s.cells[ci].config;
  res.swept = s.cells[ci].swept;
  res.backend = s.run_backend;
  res.device = s.run_device;
  res.data = ctx.data;
  res.loss_scale = ctx.loss_scale;
  return res;
}

void set_stored_seconds(Store& store, long cell_id, SampleResult& res) {
  const CellSeconds t = store.cell_seconds(cell_id);
  res.seconds_train = t.train;
  res.seconds_analyze = t.analyze;
  res.seconds_decide = t.decide;
  res.seconds_total = t.total;
}

void finalize_stored_cell(Store& store, const SweepCell& cell, const CellContext& ctx, long cell_id,
                          SampleResult& res, CellSeconds add, std::chrono::steady_clock::time_point since) {
  const auto t0 = std::chrono::steady_clock::now();
  std::map<long, std::vector<double>> candidates;
  res.endpoints = store.load_cell(cell_id, candidates);
  res.candidate_weights = std::move(candidates);
  res.optimum = finalize_cell(ctx, res.endpoints, res.candidate_weights, res.warnings);
  const std::vector<Observation> obs =
      check_claims(theory_claims(cell.config.model, data_facts(ctx.data)), res.endpoints);
  res.theory = obs;
  for (const auto& o : obs) res.theory_lines.push_back(format_observation(o));
  // The report's 1-D slices (non-strict saddles along their witness, spurious minima along
  // their λ_min eigenvector), while the data and the weights are at hand.
  store.write_slices(cell_id, endpoint_slices(cell.config.model, ctx.data, res.endpoints, res.candidate_weights));
  const auto t1 = std::chrono::steady_clock::now();
  add.decide += std::chrono::duration<double>(t1 - t0).count();
  add.total += std::chrono::duration<double>(t1 - since).count();
  store.write_final(cell_id, res.optimum, res.endpoints, dump_observations(obs), add);
  for (const auto& e : res.endpoints) ++res.counts[std::size_t(e.cls)];
  set_stored_seconds(store, cell_id, res);
}

void load_complete_cell(Store& store, const SweepCell& cell, const CellContext& ctx, long cell_id,
                        SampleResult& res) {
  Store::FinalCell f = store.load_final_cell(cell_id);
  res.endpoints = std::move(f.endpoints);
  res.candidate_weights = std::move(f.candidates);
  res.optimum = f.optimum;
  cell_warnings(ctx, res.optimum, res.endpoints, res.warnings);
  try {
    res.theory = f.prediction_json.empty() ? std::vector<Observation>() : parse_observations(f.prediction_json);
  } catch (const std::exception& e) {
    throw Error(store.path() + ": cell " + std::to_string(cell_id) + " [" + cell.label +
                "]: stored theory observations (cells.prediction) unreadable: " + e.what());
  }
  for (const auto& o : res.theory) res.theory_lines.push_back(format_observation(o));
  for (const auto& e : res.endpoints) ++res.counts[std::size_t(e.cls)];
  set_stored_seconds(store, cell_id, res);
}

void print_sample_tables(const std::vector<SampleResult>& results, const std::vector<std::string>& labels,
                         bool verbose, std::ostream& out) {
  // A sweep lists each claim of the theory per cell only when asked: the compact table at the
  // end counts the verdicts.
  const bool sweep = results.size() > 1;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (sweep) out << "=== cell " << i + 1 << "/" << results.size() << ": " << labels[i] << " ===\n";
    out << format_sample_table(results[i], !sweep || verbose) << "\n";
  }
  if (sweep) out << format_sweep_table(results) << "\n";
}

void write_sweep_outputs(const SweepOptions& opt, const SweepSetup& s, Store& store, const SweepOutcome& done,
                         const RunInfo& run, std::ostream& out) {
  const long run_id = run.run_id;
  const std::vector<SampleResult>& results = done.results;
  const std::vector<std::string>& labels = done.labels;
  if (opt.shard.active()) {
    // A shard's cells are finalized by `landscape merge` once every slice is stored.
    store.set_run_status(run_id, "complete");
    if (opt.print_tables)
      out << "shard " << opt.shard.text() << " complete: " << s.db_path << " (run " << run_id
          << "); once every shard is complete: landscape merge OUT.db SHARD.db...\n";
    return;
  }
  if (opt.print_tables) print_sample_tables(results, labels, opt.verbose, out);
  write_sample_outputs(results, labels, run, s.out_dir);
  // Complete only once its outputs are written: a run whose outputs failed is marked failed
  // (by run_sweep), and --resume writes them.
  store.set_run_status(run_id, "complete");
  if (opt.print_tables)
    out << "wrote " << s.db_path << " (run " << run_id << "), " << s.out_dir << "/summary.json and "
        << s.out_dir << "/endpoints.csv\n";
}

int report_stop(const SweepOptions& opt, const SweepSetup& s, Store& store, long run_id, std::ostream& err,
                int signal) {
  store.set_run_status(run_id, "interrupted");
  err << "stopped by signal " << signal << ": every finished chunk is committed to " << s.db_path << "; "
      << (opt.resume_hint.empty() ? "continue with: " + resume_command(opt) : opt.resume_hint) << "\n";
  return 130;
}

namespace {

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
        m_progress(err, opt.interactive, opt.quiet, total_networks(setup.cells, opt.shard)),
        m_kill_after(fault_kill_after(0)), m_overlap(train_ahead(*setup.backend)) {}

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
      interrupted = stop_signal() != 0 && ci + 1 < m_setup.cells.size();
    }
    m_progress.finish();
    if (interrupted) return report_stop(m_opt, m_setup, m_store, m_run_id, m_err, stop_signal());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    SweepOutcome done{std::move(m_results), std::move(m_labels), m_setup.db_path};
    write_sweep_outputs(m_opt, m_setup, m_store, done,
                        {m_run_id, m_setup.db_path, m_setup.hash, m_opt.resume, seconds, m_done_here}, m_out);
    if (stop_signal() != 0) {
      // The signal came once the last chunk was under way (being trained, committed or the
      // cell finalized): nothing was left to stop, so the run is complete with its outputs; the
      // exit code still says that a signal arrived.
      m_err << "signal " << stop_signal() << " arrived too late to stop anything (the last chunk was "
            << "already under way): the run is complete and its outputs are written\n";
      return 130;
    }
    if (outcome) *outcome = std::move(done);
    return 0;
  }

 private:
  static long total_networks(const std::vector<SweepCell>& cells, const ShardSpec& shard) {
    long total = 0;
    for (const auto& c : cells) total += shard.end(c.config.networks) - shard.begin(c.config.networks);
    return total;
  }

  /// Trains and analyzes the cell's networks not yet stored, then finalizes the cell into
  /// `res` (not in a shard). A cell complete before (a resume) is read back as stored: nothing
  /// is decided, written or timed again. False when a stop signal came first (every finished
  /// chunk is committed, with its times).
  bool run_cell(std::size_t ci, SampleResult& res) {
    const SweepCell& cell = m_setup.cells[ci];
    // The cell's wall time in this process is stored piecewise: each commit adds the time since
    // the previous one (or since the cell began here), the final record the rest.
    auto since = std::chrono::steady_clock::now();
    const CellContext& ctx = *m_setup.contexts[ci];
    Backend& backend = *m_setup.backend;
    const StoredCell sc = m_store.ensure_cell(m_run_id, int(ci), cell.label, cell.swept, ctx, "");
    res = start_cell_result(m_setup, ci);
    long have = 0;
    const std::vector<long> todo = cell_todo(m_store, sc.cell_id, cell.config.networks, m_opt.shard, have);
    m_progress.skip(have);
    if (sc.status == "complete") {
      load_complete_cell(m_store, cell, ctx, sc.cell_id, res);
      return true;
    }
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
      const ChunkResult chunk = finish_chunk(ctx, backend, std::move(trained));
      const auto now = std::chrono::steady_clock::now();
      // One transaction: the chunk's endpoints with its stage times and the wall time it adds.
      m_store.write_chunk(sc.cell_id, ctx, chunk, m_run_id,
                          {chunk.seconds_train, chunk.seconds_analyze, chunk.seconds_decide,
                           std::chrono::duration<double>(now - since).count()});
      since = now;
      m_done_here += n;
      if (m_kill_after > 0 && ++m_chunks_committed == m_kill_after) std::raise(SIGKILL);
      m_progress.update({int(ci), int(m_setup.cells.size()), cell.label,
                         have + long(c * want) + n, cell.config.networks},
                        m_done_here);
    };
    const auto stop = [] { return stop_signal() != 0; };
    const std::size_t chunks = (todo.size() + want - 1) / want;
    if (!run_chunks(chunks, m_overlap, train, finish, stop)) return false;
    if (ci + 1 == m_setup.cells.size() && fault_sigint_before_final()) std::raise(SIGINT);
    // A shard's cells are finalized by `landscape merge`; their times are in with the chunks.
    if (!m_opt.shard.active()) finalize_stored_cell(m_store, cell, ctx, sc.cell_id, res, {}, since);
    else set_stored_seconds(m_store, sc.cell_id, res);
    return true;
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
  require(opt.networks_scale > 0 && std::isfinite(opt.networks_scale), "--networks-scale",
          "must be a positive number, got " + format_scale(opt.networks_scale));
  std::vector<SweepCell> cells = expand_sweep(text, opt.config_path);
  for (auto& c : cells) {
    if (!opt.backend.empty()) c.config.backend = opt.backend;
    if (opt.threads >= 0) c.config.threads = opt.threads;
    if (!opt.out_dir.empty()) c.config.output.dir = opt.out_dir;
    if (!opt.db_path.empty()) c.config.output.db = opt.db_path;
    c.config.networks = scaled_networks(c.config.networks, opt.networks_scale);
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
/// A shard's database holds that shard's runs only, and an unsharded database no shard: the
/// merge tells the shards apart by the `shard` entry of `meta`.
void check_shard_meta(const SweepOptions& opt, const SweepSetup& s, Store& store) {
  const std::string have = store.meta("shard");
  const std::string want = opt.shard.active() ? opt.shard.text() : "";
  if (have == want) return;
  if (have.empty() && !store.latest_run()) return;
  throw Error(s.db_path + ": " +
              (have.empty() ? std::string("holds runs that are not shards") : "holds shard " + have + " of a sweep") +
              (want.empty() ? std::string(", not an unsharded run") : ", not shard " + want) +
              "; choose another --db");
}

RunHandle open_run(const SweepOptions& opt, const SweepSetup& s, Store& store) {
  check_shard_meta(opt, s, store);
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
    h.run_id = store.create_run(s.text, s.hash, s.run_backend, s.run_device);
    if (opt.shard.active()) {
      store.set_meta("shard", opt.shard.text());
      // `landscape merge` rebuilds the cells at the shards' scale (the hash covers it).
      store.set_meta("networks_scale", format_scale(opt.networks_scale));
    }
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

/// Under MPI, threads = 0 ("every core") means this rank's share of the node's cores, so K
/// ranks on one node do not each start a thread per core.
void share_cores(std::vector<SweepCell>& cells, const MpiWorld& world) {
  if (!world.active || world.local_size <= 1) return;
  const int share = std::max(1, thread_count(0) / world.local_size);
  for (auto& c : cells)
    if (c.config.threads == 0) c.config.threads = share;
}

}  // namespace

ShardSpec parse_shard(const std::string& text, const std::string& where) {
  ShardSpec sh;
  const auto slash = text.find('/');
  try {
    std::size_t a = 0, b = 0;
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    sh.index = std::stoi(text.substr(0, slash), &a);
    sh.count = std::stoi(text.substr(slash + 1), &b);
    if (a != slash || b != text.size() - slash - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw Error(where + ": expected I/N (e.g. 2/8), got '" + text + "'");
  }
  require(sh.count >= 1 && sh.index >= 1 && sh.index <= sh.count, where,
          "expected I/N with 1 <= I <= N, got '" + text + "'");
  return sh;
}

std::string shard_db_path(const std::string& db_path, const ShardSpec& shard) {
  const std::filesystem::path p(db_path);
  const std::string tag = "-shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count);
  return (p.parent_path() / (p.stem().string() + tag + p.extension().string())).string();
}

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
  if (opt.shard.active()) c += " --shard " + opt.shard.text();
  if (opt.networks_scale != 1.0) c += " --networks-scale " + format_scale(opt.networks_scale);
  return c;
}

int run_sweep(const SweepOptions& opt, std::ostream& out, std::ostream& err, SweepOutcome* outcome) {
  const MpiWorld& world = mpi_world();
  SweepSetup s;
  s.text = opt.config_text ? *opt.config_text : read_file(opt.config_path);
  s.cells = sweep_cells(opt, s.text);
  if (opt.threads < 0) share_cores(s.cells, world);
  const ExperimentConfig& first = s.cells.front().config;
  s.out_dir = first.output.dir;
  s.db_path = first.output.db_path();
  // Shards of one experiment never share a database unless --db says so.
  if (opt.shard.active() && opt.db_path.empty()) s.db_path = shard_db_path(s.db_path, opt.shard);
  s.default_db = first.output.db.empty();
  s.canonical = canonical_config(s.text, opt.config_path);
  s.canonical += scale_line(opt.networks_scale);
  s.hash = config_hash(s.canonical);

  // Everything that can fail on the input is checked before the database is touched: each
  // cell's data is built (CSV files read, ranks drawn) and its memory needs checked, the output
  // folder is created and written to. A bad config then leaves no run behind. Under MPI every
  // rank checks and builds the same, on its own device (node-local rank modulo the GPUs).
  s.backend = make_backend(first.backend, first.threads, world.local_rank);
  s.run_backend = s.backend->name();
  s.run_device = s.backend->device();
  make_contexts(opt, s);
  if (world.active && world.rank != 0) {
    send_hello(s);
    return run_sweep_worker(opt, s, err);
  }
  if (world.active) gather_hellos(s);
  const auto created = prepare_paths(opt, s.db_path, s.out_dir);

  const std::unique_ptr<Store> owned = open_store(s.db_path, created);
  Store& store = *owned;
  const RunHandle h = open_run(opt, s, store);
  // A run that stops on an error is marked failed (it can still be resumed once the cause is
  // fixed); a kill leaves it "running", which --resume also continues. A complete run that is
  // resumed (to write its outputs again) keeps its status: its data are complete.
  try {
    if (world.active) return run_sweep_coordinator(opt, s, store, h.run_id, out, err, outcome);
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
