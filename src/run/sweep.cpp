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
#include <nlohmann/json.hpp>
#include <set>

#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/config.hpp"
#include "landscape/run/experiment.hpp"
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

  void update(int cell, int cells, const std::string& label, long cell_done, long cell_total,
              long done_now, bool force = false) {
    m_done_here = done_now;
    if (m_quiet) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    if (!force && (elapsed < 2.0 || std::chrono::duration<double>(now - m_last).count() < 1.0)) return;
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

int sweep_run(const SweepOptions& opt, const std::vector<SweepCell>& cells,
              const std::vector<std::unique_ptr<const CellContext>>& contexts, Backend& backend,
              Store& store, long run_id, const std::string& hash, const std::string& db_path,
              const std::string& out_dir, std::ostream& out, std::ostream& err,
              SweepOutcome* outcome) {
  StopSignals signals;
  long total = 0;
  for (const auto& c : cells) total += c.config.networks;
  SweepProgress progress(err, opt.interactive, opt.quiet, total);
  const long kill_after = fault_kill_after();
  const bool overlap = train_ahead(backend);
  long chunks_committed = 0, done_here = 0;
  std::vector<SampleResult> results;
  std::vector<std::string> labels;
  bool interrupted = false;
  const auto t_start = std::chrono::steady_clock::now();

  for (std::size_t ci = 0; ci < cells.size() && !interrupted; ++ci) {
    const SweepCell& cell = cells[ci];
    const auto t_cell = std::chrono::steady_clock::now();
    const CellContext& ctx = *contexts[ci];
    const StoredCell sc = store.ensure_cell(run_id, int(ci), cell.label, ctx, "");
    SampleResult res;
    res.config = cell.config;
    res.backend = backend.name();
    res.device = backend.device();
    res.data = ctx.data;
    res.loss_scale = ctx.loss_scale;
    const std::vector<long> stored = store.stored_indices(sc.cell_id);
    const std::set<long> have(stored.begin(), stored.end());
    std::vector<long> todo;
    for (long i = 0; i < cell.config.networks; ++i)
      if (!have.count(i)) todo.push_back(i);
    progress.skip(long(have.size()));
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
      store.write_chunk(sc.cell_id, ctx, chunk);
      store.add_run_seconds(run_id, chunk.seconds_train, chunk.seconds_analyze);
      res.seconds_train += chunk.seconds_train;
      res.seconds_analyze += chunk.seconds_analyze;
      res.seconds_decide += chunk.seconds_decide;
      done_here += n;
      if (kill_after > 0 && ++chunks_committed == kill_after) std::raise(SIGKILL);
      progress.update(int(ci), int(cells.size()), cell.label, long(have.size() + c * want) + n,
                      cell.config.networks, done_here);
    };
    const auto stop = [] { return g_stop.load() != 0; };
    const std::size_t chunks = (todo.size() + want - 1) / want;
    if (!run_chunks(chunks, overlap, train, finish, stop)) {
      interrupted = true;
      break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::map<long, std::vector<double>> candidates;
    res.endpoints = store.load_cell(sc.cell_id, candidates);
    res.candidate_weights = std::move(candidates);
    res.optimum = finalize_cell(ctx, res.endpoints, res.candidate_weights, res.warnings);
    const std::vector<Observation> obs =
        check_claims(theory_claims(cell.config.model, data_facts(ctx.data)), res.endpoints);
    for (const auto& o : obs) res.theory_lines.push_back(format_observation(o));
    store.write_final(sc.cell_id, res.optimum, res.endpoints, dump_observations(obs));
    res.theory = obs;
    res.seconds_decide += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& e : res.endpoints) ++res.counts[std::size_t(e.cls)];
    // Wall time of the cell in this process: with train-ahead the stage times overlap, so their
    // sum would overstate it.
    res.seconds_total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_cell).count();
    results.push_back(std::move(res));
    labels.push_back(cell.label);
  }
  progress.finish();
  if (interrupted) {
    store.set_run_status(run_id, "interrupted");
    err << "stopped by signal " << g_stop.load() << ": every finished chunk is committed to " << db_path
        << "; " << (opt.resume_hint.empty() ? "continue with: " + resume_command(opt) : opt.resume_hint)
        << "\n";
    return 130;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  if (opt.print_tables) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results.size() > 1) out << "=== cell " << i + 1 << "/" << results.size() << ": " << labels[i] << " ===\n";
      out << format_sample_table(results[i]) << "\n";
    }
  }
  const RunInfo run{run_id, db_path, hash, opt.resume, seconds, done_here};
  write_sample_outputs(results, labels, run, out_dir);
  // Complete only once its outputs are written: a run whose outputs failed is marked failed
  // (by run_sweep), and --resume writes them.
  store.set_run_status(run_id, "complete");
  if (opt.print_tables)
    out << "wrote " << db_path << " (run " << run_id << "), " << out_dir << "/summary.json and " << out_dir
        << "/endpoints.csv\n";
  if (outcome) {
    outcome->results = std::move(results);
    outcome->labels = std::move(labels);
    outcome->db_path = db_path;
  }
  return 0;
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
  const std::string text = read_file(opt.config_path);
  std::vector<SweepCell> cells = expand_sweep(text, opt.config_path);
  for (auto& c : cells) {
    if (!opt.backend.empty()) c.config.backend = opt.backend;
    if (opt.threads >= 0) c.config.threads = opt.threads;
    if (!opt.out_dir.empty()) c.config.output.dir = opt.out_dir;
    if (!opt.db_path.empty()) c.config.output.db = opt.db_path;
    if (opt.networks_scale != 1.0)
      c.config.networks = std::max(1L, std::lround(double(c.config.networks) * opt.networks_scale));
  }
  const ExperimentConfig& first = cells.front().config;
  const std::string out_dir = first.output.dir;
  const std::string db_path = first.output.db_path();
  std::string canonical = canonical_config(text, opt.config_path);
  if (opt.networks_scale != 1.0) canonical += "networks_scale = " + std::to_string(opt.networks_scale) + "\n";
  const std::string hash = config_hash(canonical);

  // Everything that can fail on the input is checked before the database is touched: each
  // cell's data is built (CSV files read, ranks drawn) and its memory needs checked, the output
  // folder is created and written to. A bad config then leaves no run behind.
  auto backend = make_backend(first.backend, first.threads);
  std::vector<std::unique_ptr<const CellContext>> contexts;
  const double memory = physical_memory_bytes();
  MemoryEstimate whole;  // a sweep holds every cell's results until it ends
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const ExperimentConfig& c = cells[i].config;
    const std::string where =
        cells.size() == 1 ? c.source : c.source + " [cell " + std::to_string(i) + ": " + cells[i].label + "]";
    const MemoryEstimate m = check_memory(c, thread_count(c.threads), memory, where);
    whole.analysis = std::max(whole.analysis, m.analysis);
    whole.results += m.results;
    contexts.push_back(std::make_unique<const CellContext>(make_cell_context(c)));
  }
  if (memory > 0 && cells.size() > 1)
    require(whole.analysis + whole.results <= 0.8 * memory, opt.config_path + ": experiment.networks",
            "the sweep's " + std::to_string(cells.size()) + " cells hold their results in memory until "
            "the sweep ends, at least " + format_bytes(whole.results) + "; this machine has " +
                format_bytes(memory) + " (split the sweep into several files, or use fewer networks)");
  if (opt.resume)
    require(std::filesystem::exists(db_path), db_path,
            "nothing to resume: there is no database here (give the --out or --db of the run to "
            "continue)");
  std::error_code ec;
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

  Store store(db_path);
  long run_id = 0;
  std::string prior_status;
  if (opt.resume) {
    const auto last = store.latest_run();
    require(last.has_value(), db_path, "nothing to resume: the database holds no run");
    if (last->config_hash != hash) {
      const std::string diff = config_diff(canonical_config(last->config_text, db_path), canonical);
      throw Error(db_path + ": refusing to resume run " + std::to_string(last->run_id) + " with a different "
                  "configuration (" + opt.config_path + "); what differs (stored -> given):\n" +
                  (diff.empty() ? std::string("  (only keys outside the canonical form)\n") : diff) +
                  "start a new run without --resume, or use another --db");
    }
    run_id = last->run_id;
    prior_status = last->status;
    if (last->status != "complete") store.set_run_status(run_id, "running");
  } else {
    run_id = store.create_run(text, hash, backend->name(), backend->device());
  }
  // A run that stops on an error is marked failed (it can still be resumed once the cause is
  // fixed); a kill leaves it "running", which --resume also continues. A complete run that is
  // resumed (to write its outputs again) keeps its status: its data are complete.
  try {
    return sweep_run(opt, cells, contexts, *backend, store, run_id, hash, db_path, out_dir, out, err,
                     outcome);
  } catch (...) {
    try {
      if (prior_status != "complete") store.set_run_status(run_id, "failed");
    } catch (...) {
    }
    throw;
  }
}

}  // namespace landscape
