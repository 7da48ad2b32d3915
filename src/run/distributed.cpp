// The sweep across MPI ranks: rank 0 owns the database (its only writer) and hands out
// (cell, chunk) units on request, so fast ranks take more; it computes units itself on threads
// of its own, and commits every finished chunk in one transaction as the single process does. Once a
// cell's last chunk is committed, rank 0 finds its optimum and classifies the endpoints that need
// no escape test itself; the escape tests of the PSD candidates, the heavy part, go out as
// finalize units to whichever ranks ask first, ahead of the next cells' chunks. Network i of a
// cell always starts from stream i and each endpoint is decided on its own, so the endpoints do
// not depend on which rank computed what.
#include <algorithm>
#include <chrono>
#include <deque>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "landscape/analysis/theory.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/run/mpi.hpp"
#include "landscape/run/slice.hpp"
#include "sweep_internal.hpp"

namespace landscape {
namespace {

/// Work for one rank: networks of a cell to train and analyze, or (finalize) endpoints of a
/// complete cell to decide against its optimum.
struct Unit {
  long id = 0;  ///< rank 0's number of the unit, quoted back with its result
  int cell = -1;
  std::vector<long> indices;
  bool finalize = false;
  GlobalOptimum optimum;  ///< finalize: the cell's L*
  ChunkResult records;    ///< finalize: the endpoints as stored, with their candidates' weights
};

std::vector<char> encode_unit(const Unit& u) {
  ByteWriter w;
  w.put<std::int64_t>(u.id).put<std::int32_t>(u.cell).put_longs(u.indices).put<std::uint8_t>(u.finalize);
  if (u.finalize) {
    std::vector<char> rec = encode_chunk(u.cell, u.records);
    w.put(u.optimum.value).put_string(u.optimum.kind).put_string(std::string(rec.begin(), rec.end()));
  }
  return std::move(w.bytes());
}

Unit decode_unit(const std::vector<char>& bytes) {
  ByteReader r(bytes);
  Unit u;
  u.id = long(r.get<std::int64_t>());
  u.cell = r.get<std::int32_t>();
  u.indices = r.get_longs();
  u.finalize = r.get<std::uint8_t>() != 0;
  if (u.finalize) {
    u.optimum.value = r.get<double>();
    u.optimum.kind = r.get_string();
    const std::string rec = r.get_string();
    int cell = 0;
    u.records = decode_chunk(std::vector<char>(rec.begin(), rec.end()), cell);
  }
  return u;
}

/// Decides a finalize unit's endpoints; returns them (without the weights) to send back.
ChunkResult finalize_unit(const CellContext& ctx, Unit& u) {
  const auto t0 = std::chrono::steady_clock::now();
  finalize_endpoints(ctx, u.optimum, u.records.endpoints, u.records.candidates);
  ChunkResult out;
  out.endpoints = std::move(u.records.endpoints);
  out.seconds_decide = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

/// A unit's result (a chunk, or a finalize unit's decisions) as a worker sends it: the unit's
/// id, then the chunk's own bytes.
std::vector<char> encode_result(long id, int cell, const ChunkResult& chunk) {
  const std::vector<char> rec = encode_chunk(cell, chunk);
  ByteWriter w;
  w.put<std::int64_t>(id).put_string(std::string(rec.begin(), rec.end()));
  return std::move(w.bytes());
}

ChunkResult decode_result(const std::vector<char>& bytes, long& id, int& cell) {
  ByteReader r(bytes);
  id = long(r.get<std::int64_t>());
  const std::string rec = r.get_string();
  return decode_chunk(std::vector<char>(rec.begin(), rec.end()), cell);
}

std::vector<char> encode_code(int code) {
  ByteWriter w;
  w.put<std::int32_t>(code);
  return std::move(w.bytes());
}

/// "networks 40-59" (or "network 7"), for messages about a unit.
std::string unit_text(const std::vector<long>& idx) {
  if (idx.empty()) return "no networks";
  if (idx.size() == 1) return "network " + std::to_string(idx.front());
  return "networks " + std::to_string(idx.front()) + "-" + std::to_string(idx.back()) + " (" +
         std::to_string(idx.size()) + ")";
}

/// Fault injection for the tests: LANDSCAPE_FAULT_CHUNK_ERROR_RANK=R makes the first chunk
/// that rank R analyzes throw.
bool fault_chunk_error(int rank) {
  const char* v = std::getenv("LANDSCAPE_FAULT_CHUNK_ERROR_RANK");
  return v && std::atoi(v) == rank;
}

/// Fault injection for the tests: LANDSCAPE_FAULT_FINALIZE_ERROR_CELL=C makes rank 0's final
/// step of cell C (claims, slices, final record) throw.
bool fault_finalize_error(int cell) {
  const char* v = std::getenv("LANDSCAPE_FAULT_FINALIZE_ERROR_CELL");
  return v && std::atoi(v) == cell;
}

/// For the tests: LANDSCAPE_TRACE_UNITS=1 makes every worker note on stderr each chunk it sends
/// to rank 0 ("trace: rank 2 sent cell 3 networks 12-17 (6)"), and rank 0 what it does with its
/// own units ("trace: rank 0 analyzes cell 1 networks 0-5 (6)", "... finished ...", "... dropped
/// ...", once trained ahead and left at a stop) and when it stops ("trace: rank 0 stops").
bool trace_units() {
  const char* v = std::getenv("LANDSCAPE_TRACE_UNITS");
  return v && std::string(v) == "1";
}

/// Fault injection for the tests: LANDSCAPE_FAULT_STRAY_RESULT_RANK=R makes worker R send its
/// first chunk's result a second time (a protocol violation rank 0 must fail the run on): at
/// once, or with LANDSCAPE_FAULT_STRAY_RESULT_LATE=1 three seconds later, having taken no more
/// work meanwhile (so that the other ranks finish the run and rank 0 is releasing them).
int fault_stray_result_rank() {
  const char* v = std::getenv("LANDSCAPE_FAULT_STRAY_RESULT_RANK");
  return v ? std::atoi(v) : -1;
}

bool fault_stray_result_late() {
  const char* v = std::getenv("LANDSCAPE_FAULT_STRAY_RESULT_LATE");
  return v && std::string(v) == "1";
}

/// For the tests: LANDSCAPE_FAULT_SLOW_UNIT_MS=M makes every rank wait M ms before analyzing
/// each unit, so that a job lasts long enough to be signalled mid-run without more work.
long fault_slow_unit_ms() {
  const char* v = std::getenv("LANDSCAPE_FAULT_SLOW_UNIT_MS");
  return v ? std::atol(v) : 0;
}

/// Analyzes a trained unit on this rank (with the error injection of the tests).
ChunkResult finish_unit(const CellContext& ctx, Backend& backend, TrainedChunk trained, int rank, bool& injected) {
  if (const long ms = fault_slow_unit_ms(); ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  if (!injected && fault_chunk_error(rank)) {
    injected = true;
    throw Error("injected chunk failure (LANDSCAPE_FAULT_CHUNK_ERROR_RANK=" + std::to_string(rank) + ")");
  }
  return finish_chunk(ctx, backend, std::move(trained));
}

/// The preferred networks per unit of this rank's backend, per cell.
std::vector<long> preferred_chunks(const SweepSetup& s) {
  std::vector<long> p;
  for (const auto& c : s.cells)
    p.push_back(c.config.chunk > 0 ? c.config.chunk : s.backend->preferred_chunk(c.config.model));
  return p;
}

/// Rank 0's side of the sweep.
class Coordinator {
 public:
  Coordinator(const SweepOptions& opt, const SweepSetup& s, Store& store, long run_id, std::ostream& out,
              std::ostream& err)
      : m_opt(opt), m_s(s), m_store(store), m_run_id(run_id), m_out(out), m_err(err),
        m_size(mpi_world().size), m_progress(err, opt.interactive, opt.quiet, total_networks()),
        m_rank_done(std::size_t(m_size), 0), m_kill_after(fault_kill_after(0)),
        m_overlap(train_ahead(*s.backend)) {}

  int run(SweepOutcome* outcome) {
    StopSignals signals;
    const auto t_start = std::chrono::steady_clock::now();
    // Every cell is registered up front, in grid order, so cell ids match a single process's.
    for (std::size_t ci = 0; ci < m_s.cells.size(); ++ci) {
      Cell c;
      c.sc = m_store.ensure_cell(m_run_id, int(ci), m_s.cells[ci].label, m_s.cells[ci].swept, *m_s.contexts[ci], "");
      c.res = start_cell_result(m_s, ci);
      c.todo = cell_todo(m_store, c.sc.cell_id, m_s.cells[ci].config.networks, m_opt.shard, c.have);
      m_progress.skip(c.have);
      if (c.sc.status == "complete") {
        // Complete before (a resume): read back as stored, nothing decided, written or timed.
        load_complete_cell(m_store, m_s.cells[ci], *m_s.contexts[ci], c.sc.cell_id, c.res);
        c.finalizing = c.finalized = true;
      }
      m_cells.push_back(std::move(c));
    }
    loop();
    m_progress.finish();
    if (!m_failure.empty()) {
      m_store.set_run_status(m_run_id, "failed");
      release(1);
      throw Error(m_failure);
    }
    if (m_stopping && !all_done()) {
      const int code = report_stop(m_opt, m_s, m_store, m_run_id, m_err, m_stop_signal);
      release(code);
      return code;
    }
    SweepOutcome done;
    done.db_path = m_s.db_path;
    for (std::size_t ci = 0; ci < m_cells.size(); ++ci) {
      done.results.push_back(std::move(m_cells[ci].res));
      done.labels.push_back(m_s.cells[ci].label);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    write_sweep_outputs(m_opt, m_s, m_store, done, {m_run_id, m_s.db_path, m_s.hash, m_opt.resume, seconds, m_done},
                        m_out);
    int code = 0;
    if (m_stopping || stop_signal() != 0) {
      m_err << "signal " << (m_stop_signal ? m_stop_signal : stop_signal())
            << " arrived too late to stop anything (the last chunk was already under way): the run is "
            << "complete and its outputs are written\n";
      code = 130;
    }
    release(code);
    if (outcome && code == 0) *outcome = std::move(done);
    return code;
  }

 private:
  struct Cell {
    StoredCell sc;
    SampleResult res;
    std::vector<long> todo;
    std::size_t next = 0;  ///< todo[next…] not handed out yet
    long have = 0;         ///< stored before this run
    long committed = 0;    ///< committed in this run
    bool finalizing = false, finalized = false;
    long final_pending = 0;            ///< finalize units not back yet
    std::map<long, std::size_t> slot;  ///< network index → position in res.endpoints
    /// When rank 0 handed out the cell's first unit (or, with nothing left to compute, began to
    /// finalize it): its seconds_total runs from here to the cell's final record, stored
    /// piecewise: each commit adds the time since `t_mark` (the previous commit, or t_first).
    std::optional<std::chrono::steady_clock::time_point> t_first;
    std::chrono::steady_clock::time_point t_mark;
    double decide_final = 0;  ///< the finalization's decision seconds (every rank's), so far
  };

  /// A unit handed out and not yet back: exactly one event settles it (its result, its error,
  /// or its worker giving it back at a stop), so no result is counted twice or waited for in vain.
  struct Pending {
    int rank = 0, cell = -1;
    std::vector<long> indices;
    bool finalize = false;
  };

  long total_networks() const {
    long total = 0;
    for (const auto& c : m_s.cells) total += m_opt.shard.end(c.config.networks) - m_opt.shard.begin(c.config.networks);
    return total;
  }

  bool all_done() const {
    for (const Cell& c : m_cells)
      if (c.next < c.todo.size() || c.committed < long(c.todo.size()) || (!m_opt.shard.active() && !c.finalized))
        return false;
    return true;
  }

  void mark_started(Cell& c) {
    if (!c.t_first) c.t_mark = *(c.t_first = std::chrono::steady_clock::now());
  }

  /// The cell's wall time since its last mark (its previous commit, or its start), marking now.
  static double wall_since_mark(Cell& c) {
    const auto now = std::chrono::steady_clock::now();
    const double s = c.t_first ? std::chrono::duration<double>(now - c.t_mark).count() : 0.0;
    c.t_mark = now;
    return s;
  }

  /// Records a unit handed to `rank`.
  Unit& hand_out(int rank, Unit& u) {
    u.id = m_next_id++;
    m_pending[u.id] = {rank, u.cell, u.indices, u.finalize};
    return u;
  }

  /// Whether `rank` holds unit `id` (handed out to it and not yet settled).
  bool outstanding(int rank, long id) const {
    const auto it = m_pending.find(id);
    return it != m_pending.end() && it->second.rank == rank;
  }

  /// The message for a result of a unit `rank` does not hold (sent twice, or never handed to
  /// it): a protocol violation, naming the rank, the cell and the networks it carries.
  std::string stray_result(int rank, int tag, long id, int cell, const ChunkResult& chunk, bool after_end) const {
    std::vector<long> idx;
    for (const auto& e : chunk.endpoints) idx.push_back(e.index);
    std::string where = "cell " + std::to_string(cell);
    if (cell >= 0 && std::size_t(cell) < m_cells.size()) where += " [" + m_s.cells[std::size_t(cell)].label + "]";
    return "MPI protocol violation: rank " + std::to_string(rank) + " sent " +
           (tag == kTagFinalized ? "decisions (escape tests) of " : "a result for ") + where + ", " +
           (tag == kTagFinalized ? "" : "chunk of ") + unit_text(idx) + " (unit " + std::to_string(id) +
           "), a unit it does not hold (" + (after_end ? "after the run ended; " : "") +
           "sent twice, or never handed to it); the run is failed (every chunk committed before is kept, "
           "--resume continues the run)";
  }

  /// The unit `id` back from `rank` (the one place a pending unit ends); an id that `rank` does
  /// not hold is a protocol error.
  Pending settle(int rank, long id) {
    const auto it = m_pending.find(id);
    require(it != m_pending.end() && it->second.rank == rank, "MPI",
            "rank " + std::to_string(rank) + " answered for unit " + std::to_string(id) + ", which it does not hold");
    Pending p = std::move(it->second);
    m_pending.erase(it);
    return p;
  }

  /// The next unit for `rank`: a finalize unit when one waits (a cell's completion waits on
  /// it), else training from the first cell with networks left: the rank's preferred size, but
  /// no more than its share of what is left of the cell, so the last units spread over the ranks.
  std::optional<Unit> next_unit(int rank) {
    if (m_stopping || !m_failure.empty()) return std::nullopt;
    if (!m_final_queue.empty()) {
      Unit u = std::move(m_final_queue.front());
      m_final_queue.pop_front();
      hand_out(rank, u);
      return u;
    }
    for (std::size_t ci = 0; ci < m_cells.size(); ++ci) {
      Cell& c = m_cells[ci];
      const long left = long(c.todo.size() - c.next);
      if (left == 0) continue;
      const long pref = std::max(1L, m_s.rank_chunks[std::size_t(rank)][ci]);
      const long share = m_s.cells[ci].config.chunk > 0 ? left : std::max(1L, (left + m_size - 1) / m_size);
      const long n = std::min({pref, share, left});
      Unit u;
      u.cell = int(ci);
      u.indices.assign(c.todo.begin() + std::ptrdiff_t(c.next), c.todo.begin() + std::ptrdiff_t(c.next + std::size_t(n)));
      c.next += std::size_t(n);
      mark_started(c);
      hand_out(rank, u);
      return u;
    }
    return std::nullopt;
  }

  /// A cell whose every chunk is committed: its endpoints loaded, its optimum found, the
  /// endpoints without candidate weights (no escape test) decided here, and the candidates
  /// queued as finalize units of a few endpoints each.
  void start_finalize(std::size_t ci) {
    Cell& c = m_cells[ci];
    c.finalizing = true;
    mark_started(c);
    const auto t0 = std::chrono::steady_clock::now();
    const CellContext& ctx = *m_s.contexts[ci];
    std::map<long, std::vector<double>> candidates;
    c.res.endpoints = m_store.load_cell(c.sc.cell_id, candidates);
    c.res.optimum = cell_optimum(ctx, c.res.endpoints);
    std::vector<EndpointRecord> light;
    std::vector<EndpointRecord> heavy;
    for (std::size_t i = 0; i < c.res.endpoints.size(); ++i) {
      EndpointRecord& e = c.res.endpoints[i];
      c.slot[e.index] = i;
      (candidates.count(e.index) ? heavy : light).push_back(e);
    }
    finalize_endpoints(ctx, c.res.optimum, light, {});
    for (auto& e : light) c.res.endpoints[c.slot[e.index]] = std::move(e);
    // Several units per rank, so that fast ranks take more of them.
    const std::size_t per = std::max<std::size_t>(1, (heavy.size() + 4 * std::size_t(m_size) - 1) / (4 * std::size_t(m_size)));
    for (std::size_t k = 0; k < heavy.size(); k += per) {
      Unit u;
      u.cell = int(ci);
      u.finalize = true;
      u.optimum = c.res.optimum;
      for (std::size_t i = k; i < std::min(heavy.size(), k + per); ++i) {
        u.indices.push_back(heavy[i].index);
        u.records.candidates[heavy[i].index] = std::move(candidates[heavy[i].index]);
        u.records.endpoints.push_back(std::move(heavy[i]));
      }
      m_final_queue.push_back(std::move(u));
      ++c.final_pending;
    }
    c.res.candidate_weights.clear();
    for (const auto& u : m_final_queue)
      if (u.cell == int(ci))
        for (const auto& [idx, w] : u.records.candidates) c.res.candidate_weights[idx] = w;
    c.decide_final += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (c.final_pending == 0) complete_cell(ci);
  }

  /// A finalize unit's decided endpoints, back from `rank` (already settled).
  void apply_finalized(int rank, int cell, ChunkResult&& chunk) {
    require(cell >= 0 && std::size_t(cell) < m_cells.size() && m_cells[std::size_t(cell)].finalizing, "MPI",
            "rank " + std::to_string(rank) + " sent decisions of a cell not being finalized");
    Cell& c = m_cells[std::size_t(cell)];
    for (auto& e : chunk.endpoints) {
      const auto it = c.slot.find(e.index);
      require(it != c.slot.end(), "MPI", "rank " + std::to_string(rank) + " sent an unknown endpoint");
      c.res.endpoints[it->second] = std::move(e);
    }
    c.decide_final += chunk.seconds_decide;
    if (--c.final_pending == 0) complete_cell(std::size_t(cell));
  }

  /// Every endpoint of the cell decided: warnings, the theory's claims, the final record.
  void complete_cell(std::size_t ci) {
    Cell& c = m_cells[ci];
    const CellContext& ctx = *m_s.contexts[ci];
    SampleResult& res = c.res;
    if (fault_finalize_error(int(ci))) throw Error("injected finalization failure (LANDSCAPE_FAULT_FINALIZE_ERROR_CELL)");
    const auto t0 = std::chrono::steady_clock::now();
    cell_warnings(ctx, res.optimum, res.endpoints, res.warnings);
    res.theory = check_claims(theory_claims(m_s.cells[ci].config.model, data_facts(ctx.data)), res.endpoints);
    for (const auto& o : res.theory) res.theory_lines.push_back(format_observation(o));
    m_store.write_slices(c.sc.cell_id, endpoint_slices(m_s.cells[ci].config.model, ctx.data, res.endpoints,
                                                       res.candidate_weights));
    c.decide_final += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // The record and the finalization's times in one transaction (the chunks' are in already).
    m_store.write_final(c.sc.cell_id, res.optimum, res.endpoints, dump_observations(res.theory),
                        {0, 0, c.decide_final, wall_since_mark(c)});
    for (const auto& e : res.endpoints) ++res.counts[std::size_t(e.cls)];
    set_stored_seconds(m_store, c.sc.cell_id, res);
    c.finalized = true;
    c.slot.clear();
  }

  void commit(int rank, int cell, const ChunkResult& chunk) {
    require(cell >= 0 && std::size_t(cell) < m_cells.size(), "MPI", "rank " + std::to_string(rank) +
            " sent a chunk of unknown cell " + std::to_string(cell));
    Cell& c = m_cells[std::size_t(cell)];
    // One transaction: the chunk's endpoints with its stage times and the cell's wall time since
    // its last commit (a shard's times so reach `landscape merge`, a stopped run's its resume).
    m_store.write_chunk(c.sc.cell_id, *m_s.contexts[std::size_t(cell)], chunk, m_run_id,
                        {chunk.seconds_train, chunk.seconds_analyze, chunk.seconds_decide, wall_since_mark(c)});
    const long n = long(chunk.endpoints.size());
    c.committed += n;
    m_done += n;
    m_rank_done[std::size_t(rank)] += n;
    if (m_kill_after > 0 && ++m_commits == m_kill_after) std::raise(SIGKILL);
    m_progress.update({cell, int(m_cells.size()), m_s.cells[std::size_t(cell)].label, c.have + c.committed,
                       m_s.cells[std::size_t(cell)].config.networks},
                      m_done, rank_rates());
  }

  /// " | ranks 0: 12.1/s, 1: 11.8/s": every rank's networks per second in this run.
  std::string rank_rates() const {
    const double t = std::max(1e-9, m_progress.elapsed());
    std::ostringstream os;
    os.precision(3);
    os << " | ranks";
    for (int r = 0; r < m_size; ++r) os << (r ? ", " : " ") << r << ": " << double(m_rank_done[std::size_t(r)]) / t << "/s";
    return os.str();
  }

  /// "chunk of networks 12-17 (6)" / "escape tests of network 3".
  static std::string unit_part(const Pending& p) {
    return (p.finalize ? "escape tests of " : "chunk of ") + unit_text(p.indices);
  }

  /// Marks the run failed (the first failure wins): `rank` failed on `cell` doing `part`.
  void fail(int rank, int cell, const std::string& part, const std::string& what) {
    if (!m_failure.empty()) return;
    std::string where = "cell " + std::to_string(cell);
    if (cell >= 0 && std::size_t(cell) < m_cells.size()) where += " [" + m_s.cells[std::size_t(cell)].label + "]";
    m_failure = "rank " + std::to_string(rank) + " failed on " + where + ", " + part + ": " + what +
                " (every chunk finished before is committed; --resume continues the run)";
  }

  /// Rank 0's work on a unit that came back from `from` (committing a chunk, applying
  /// decisions, finalizing the cell): an error there fails the run naming the unit.
  template <class F>
  void on_rank0(int from, const Pending& p, F&& work) {
    try {
      work();
    } catch (const std::exception& e) {
      const std::string whose = from == 0 ? "its own " : "rank " + std::to_string(from) + "'s ";
      fail(0, p.cell, (p.finalize ? "applying " : "committing ") + whose + unit_part(p), e.what());
    }
  }

  void handle(const MpiMessage& m) {
    if (m.tag == kTagRequest) {
      if (auto u = next_unit(m.source)) {
        mpi_send(m.source, kTagAssign, encode_unit(*u));
      } else {
        mpi_send(m.source, kTagNone, {});
      }
    } else if (m.tag == kTagResult || m.tag == kTagFinalized) {
      long id = 0;
      int cell = -1;
      ChunkResult chunk = decode_result(m.bytes, id, cell);
      if (!outstanding(m.source, id)) {
        // Nothing is settled or committed: the run fails in order, naming what came.
        if (m_failure.empty()) m_failure = stray_result(m.source, m.tag, id, cell, chunk, false);
        return;
      }
      const Pending p = settle(m.source, id);
      require(cell == p.cell, "MPI", "rank " + std::to_string(m.source) + " answered unit " + std::to_string(id) +
              " with cell " + std::to_string(cell) + " instead of " + std::to_string(p.cell));
      on_rank0(m.source, p, [&] {
        if (m.tag == kTagFinalized) apply_finalized(m.source, cell, std::move(chunk));
        else commit(m.source, cell, chunk);
      });
    } else if (m.tag == kTagError) {
      ByteReader r(m.bytes);
      const long id = long(r.get<std::int64_t>());
      const std::string what = r.get_string();
      if (!outstanding(m.source, id)) {
        if (m_failure.empty())
          m_failure = "MPI protocol violation: rank " + std::to_string(m.source) + " reported an error for unit " +
                      std::to_string(id) + ", a unit it does not hold (" + what + "); the run is failed";
        return;
      }
      const Pending p = settle(m.source, id);
      fail(m.source, p.cell, unit_part(p), what);
    } else if (m.tag == kTagStopping) {
      // A signal reached that rank: it gives back the units it had not started, and the whole
      // run stops as if rank 0 had been signalled (a scheduler signals every rank).
      ByteReader r(m.bytes);
      const int sig = r.get<std::int32_t>();
      for (long id : r.get_longs()) {
        if (outstanding(m.source, id)) settle(m.source, id);
        else if (m_failure.empty())
          m_failure = "MPI protocol violation: rank " + std::to_string(m.source) + " gave back unit " +
                      std::to_string(id) + ", a unit it does not hold; the run is failed";
      }
      m_stopping = true;
      if (m_stop_signal == 0) m_stop_signal = sig;
    } else {
      throw Error("MPI: unexpected message (tag " + std::to_string(m.tag) + ") from rank " + std::to_string(m.source));
    }
  }

  /// Rank 0's own computing, on threads of its own: a unit is analyzed (or, a finalize unit,
  /// decided) in `m_local`; with train-ahead (a GPU) the next unit trains meanwhile in
  /// `m_train`, as in a single process.
  bool step_local() {
    bool acted = false;
    if (ready(m_local)) {
      acted = true;
      const Pending p = settle(0, m_local_unit.id);
      std::optional<ChunkResult> chunk;
      try {
        chunk = m_local.get();
      } catch (const std::exception& e) {
        fail(0, p.cell, unit_part(p), e.what());
      }
      if (chunk && trace_units() && !p.finalize)
        std::fprintf(stderr, "trace: rank 0 finished cell %d %s\n", p.cell, unit_text(p.indices).c_str());
      if (chunk) on_rank0(0, p, [&] {
          if (p.finalize) apply_finalized(0, p.cell, std::move(*chunk));
          else commit(0, p.cell, *chunk);
        });
    }
    if (ready(m_train)) {
      acted = true;
      try {
        m_trained = m_train.get();
      } catch (const std::exception& e) {
        const Pending p = settle(0, m_train_unit.id);
        fail(0, p.cell, unit_part(p), e.what());
      }
    }
    // At a stop (or a failure) no new work starts here: a unit trained ahead and a finalize
    // unit held back are dropped uncommitted (a resume computes them), the training under way
    // is waited for and dropped; the unit being analyzed finishes and is committed.
    if (m_stopping || !m_failure.empty()) {
      if (m_trained) {
        acted = true;
        const Pending p = settle(0, m_train_unit.id);
        if (trace_units())
          std::fprintf(stderr, "trace: rank 0 dropped cell %d %s (trained, not analyzed)\n", p.cell,
                       unit_text(p.indices).c_str());
        m_trained.reset();
      }
      if (m_held) {
        acted = true;
        settle(0, m_held->id);
        m_held.reset();
      }
      return acted;
    }
    // Finish what is trained; else decide a finalize unit held back while the analysis ran.
    if (!m_local.valid() && m_trained) {
      acted = true;
      m_local_unit = std::move(m_train_unit);
      m_local = launch_finish(std::move(*m_trained));
      m_trained.reset();
    } else if (!m_local.valid() && m_held) {
      acted = true;
      m_local_unit = std::move(*m_held);
      m_held.reset();
      m_local = launch_finalize();
    }
    // Take the next unit while the training slot is free (and, without train-ahead, while
    // nothing else runs here).
    const bool free = !m_train.valid() && !m_trained && !m_held && (m_overlap || !m_local.valid());
    if (free) {
      if (auto u = next_unit(0)) {
        acted = true;
        if (u->finalize && m_local.valid()) {
          m_held = std::move(*u);
        } else if (u->finalize) {
          m_local_unit = std::move(*u);
          m_local = launch_finalize();
        } else {
          m_train_unit = std::move(*u);
          const CellContext& ctx = *m_s.contexts[std::size_t(m_train_unit.cell)];
          Backend& backend = *m_s.backend;
          const std::vector<long> idx = m_train_unit.indices;
          m_train = std::async(std::launch::async, [&ctx, &backend, idx] { return train_chunk(ctx, backend, idx); });
        }
      }
    }
    return acted;
  }

  template <class T>
  static bool ready(std::future<T>& f) {
    return f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  std::future<ChunkResult> launch_finish(TrainedChunk trained) {
    if (trace_units())
      std::fprintf(stderr, "trace: rank 0 analyzes cell %d %s\n", m_local_unit.cell,
                   unit_text(m_local_unit.indices).c_str());
    const CellContext& ctx = *m_s.contexts[std::size_t(m_local_unit.cell)];
    Backend& backend = *m_s.backend;
    return std::async(std::launch::async, [this, &ctx, &backend, t = std::move(trained)]() mutable {
      return finish_unit(ctx, backend, std::move(t), 0, m_injected);
    });
  }

  std::future<ChunkResult> launch_finalize() {
    const CellContext& ctx = *m_s.contexts[std::size_t(m_local_unit.cell)];
    Unit* unit = &m_local_unit;
    return std::async(std::launch::async, [&ctx, unit] { return finalize_unit(ctx, *unit); });
  }

  /// Starts the finalization of every cell whose last chunk is committed (not in a shard,
  /// whose cells `landscape merge` finalizes, nor once the run is stopping).
  bool step_finalize() {
    if (m_opt.shard.active() || m_stopping || !m_failure.empty()) return false;
    bool acted = false;
    for (std::size_t ci = 0; ci < m_cells.size(); ++ci) {
      const Cell& c = m_cells[ci];
      if (c.finalizing || c.next < c.todo.size() || c.committed < long(c.todo.size())) continue;
      try {
        start_finalize(ci);
      } catch (const std::exception& e) {
        fail(0, int(ci), "finalizing the cell", e.what());
      }
      acted = true;
    }
    return acted;
  }

  bool finished() const {
    if (!m_pending.empty() || m_local.valid() || m_train.valid() || m_trained || m_held) return false;
    return m_stopping || !m_failure.empty() || all_done();
  }

  void loop() {
    auto pause = std::chrono::microseconds(20);
    while (!finished()) {
      if (stop_signal() != 0 && !m_stopping) {
        m_stopping = true;
        m_stop_signal = stop_signal();
      }
      if (m_stopping && !m_traced_stop) {
        m_traced_stop = true;
        if (trace_units()) std::fprintf(stderr, "trace: rank 0 stops (signal %d)\n", m_stop_signal);
      }
      bool acted = step_local();
      if (m_size > 1)
        while (auto m = mpi_poll()) {
          handle(*m);
          acted = true;
        }
      acted = step_finalize() || acted;
      if (acted) {
        pause = std::chrono::microseconds(20);
        continue;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(1000));
    }
  }

  /// Tells every worker the run is over (at its next request) with the exit code. Every unit
  /// handed out is settled by now; a worker signalled meanwhile only says so. Any other message
  /// (a result, decisions or an error for a unit no rank holds any more) is a protocol
  /// violation: every worker is still released (with exit code 1 from then on), then the run
  /// is marked failed and the error, naming the rank, cell and networks, thrown.
  void release(int code) {
    std::string violation;
    for (int stopped = 0; stopped < m_size - 1;) {
      const MpiMessage m = mpi_wait();
      if (m.tag == kTagRequest) {
        mpi_send(m.source, kTagStop, encode_code(violation.empty() ? code : 1));
        ++stopped;
      } else if (m.tag != kTagStopping && violation.empty()) {
        if (m.tag == kTagResult || m.tag == kTagFinalized) {
          long id = 0;
          int cell = -1;
          const ChunkResult chunk = decode_result(m.bytes, id, cell);
          violation = stray_result(m.source, m.tag, id, cell, chunk, true);
        } else {
          violation = "MPI protocol violation: rank " + std::to_string(m.source) + " sent a message (tag " +
                      std::to_string(m.tag) + ") after the run ended; the run is failed";
        }
      }
    }
    mpi_set_workers_released(true);
    if (!violation.empty()) {
      m_store.set_run_status(m_run_id, "failed");
      throw Error(violation);
    }
  }

  const SweepOptions& m_opt;
  const SweepSetup& m_s;
  Store& m_store;
  long m_run_id;
  std::ostream& m_out;
  std::ostream& m_err;
  const int m_size;
  SweepProgress m_progress;
  std::vector<Cell> m_cells;
  std::vector<long> m_rank_done;
  std::map<long, Pending> m_pending;  ///< units handed out (rank 0's own included), by id
  long m_next_id = 1;
  long m_done = 0, m_commits = 0;
  const long m_kill_after;
  bool m_stopping = false;
  int m_stop_signal = 0;  ///< the signal that stopped the run (here or on a worker)
  bool m_traced_stop = false;
  bool m_injected = false;
  std::string m_failure;
  const bool m_overlap;
  std::future<ChunkResult> m_local;  ///< analysis or decisions of m_local_unit
  Unit m_local_unit;
  std::future<TrainedChunk> m_train;  ///< training of m_train_unit
  Unit m_train_unit;
  std::optional<TrainedChunk> m_trained;  ///< m_train_unit trained, waiting for m_local
  std::optional<Unit> m_held;             ///< a finalize unit waiting for m_local
  std::deque<Unit> m_final_queue;
};

/// A worker rank: asks rank 0 for units and sends back the finished chunks. With train-ahead
/// (a GPU), the next unit trains while this one is analyzed, as in the single process. A
/// SIGINT/SIGTERM (Slurm's scancel signals every rank) lets the unit in hand finish and be
/// sent, gives back the units not started, and tells rank 0, which stops the run.
class Worker {
 public:
  Worker(const SweepSetup& s) : m_s(s), m_rank(mpi_world().rank), m_kill_after(fault_kill_after(m_rank)) {}

  int run() {
    StopSignals signals;
    const bool overlap = train_ahead(*m_s.backend);
    std::optional<Unit> cur;
    while (!m_stop) {
      if (stopping()) {
        give_back(cur);
        cur.reset();
      }
      if (!cur) cur = request();
      if (!cur) {
        // Nothing now (the last units are out, or the run is stopping): ask again shortly.
        if (!m_stop) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (stopping()) continue;  // given back at the top
      if (cur->finalize) {
        Unit& u = *cur;
        if (auto done = guard(u, [&] { return finalize_unit(ctx(u), u); }))
          mpi_send(0, kTagFinalized, encode_result(u.id, u.cell, *done));
        cur.reset();
        continue;
      }
      Unit unit = std::move(*cur);
      cur.reset();
      std::optional<TrainedChunk> trained = guard(unit, [&] { return train(unit); });
      while (trained) {
        std::optional<Unit> nxt = overlap && !stopping() ? request() : std::nullopt;
        std::future<TrainedChunk> ahead;
        if (nxt && !nxt->finalize) {
          const Unit u = *nxt;
          ahead = std::async(std::launch::async, [this, u] { return train(u); });
        }
        if (auto chunk = guard(unit, [&] {
              return finish_unit(ctx(unit), *m_s.backend, std::move(*trained), m_rank, m_injected);
            }))
          send_result(unit, *chunk);
        trained.reset();
        if (!nxt) break;
        if (nxt->finalize || stopping()) {
          // A finalize unit is decided next by the outer loop; at a stop, the unit trained
          // ahead is given back there (its training is waited for: no thread outlives it).
          if (ahead.valid()) ahead.wait();
          cur = std::move(nxt);
          break;
        }
        unit = std::move(*nxt);
        trained = guard(unit, [&] { return ahead.get(); });
      }
    }
    mpi_set_workers_released(true);
    return m_code;
  }

 private:
  bool stopping() const { return stop_signal() != 0; }

  /// After a signal: gives `u` (if any) back to rank 0 uncomputed, and says once that this rank
  /// stops, so that rank 0 stops the run even when the signal reached only this rank.
  void give_back(const std::optional<Unit>& u) {
    if (m_told && !u) return;
    m_told = true;
    ByteWriter w;
    w.put<std::int32_t>(stop_signal()).put_longs(u ? std::vector<long>{u->id} : std::vector<long>{});
    mpi_send(0, kTagStopping, w.bytes());
  }

  const CellContext& ctx(const Unit& u) const {
    require(u.cell >= 0 && std::size_t(u.cell) < m_s.contexts.size(), "MPI", "rank 0 sent an unknown cell");
    return *m_s.contexts[std::size_t(u.cell)];
  }

  TrainedChunk train(const Unit& u) { return train_chunk(ctx(u), *m_s.backend, u.indices); }

  /// The unit's work, or nullopt after reporting its error to rank 0.
  template <class F>
  auto guard(const Unit& u, F&& f) -> std::optional<decltype(f())> {
    try {
      return f();
    } catch (const std::exception& e) {
      ByteWriter w;
      w.put<std::int64_t>(u.id).put_string(e.what());
      mpi_send(0, kTagError, w.bytes());
      return std::nullopt;
    }
  }

  std::optional<Unit> request() {
    if (m_stop) return std::nullopt;
    mpi_send(0, kTagRequest, {});
    const MpiMessage m = mpi_wait(0);
    if (m.tag == kTagAssign) return decode_unit(m.bytes);
    if (m.tag == kTagStop) {
      ByteReader r(m.bytes);
      m_code = r.get<std::int32_t>();
      m_stop = true;
    } else if (m.tag != kTagNone) {
      throw Error("MPI: unexpected message (tag " + std::to_string(m.tag) + ") from rank 0");
    }
    return std::nullopt;
  }

  void send_result(const Unit& u, const ChunkResult& chunk) {
    const std::vector<char> bytes = encode_result(u.id, u.cell, chunk);
    mpi_send(0, kTagResult, bytes);
    if (m_results++ == 0 && fault_stray_result_rank() == m_rank) {
      if (fault_stray_result_late()) std::this_thread::sleep_for(std::chrono::seconds(3));
      mpi_send(0, kTagResult, bytes);
    }
    if (trace_units())
      std::fprintf(stderr, "trace: rank %d sent cell %d %s\n", m_rank, u.cell, unit_text(u.indices).c_str());
    if (m_kill_after > 0 && ++m_sent == m_kill_after) std::raise(SIGKILL);
  }

  const SweepSetup& m_s;
  const int m_rank;
  const long m_kill_after;
  long m_sent = 0, m_results = 0;
  bool m_stop = false, m_injected = false, m_told = false;
  int m_code = 0;
};

}  // namespace

void send_hello(const SweepSetup& s) {
  ByteWriter w;
  w.put_string(s.backend->name()).put_string(s.backend->device()).put_longs(preferred_chunks(s));
  mpi_send(0, kTagHello, w.bytes());
}

void gather_hellos(SweepSetup& s) {
  const int size = mpi_world().size;
  s.rank_chunks.assign(std::size_t(size), preferred_chunks(s));
  std::vector<std::string> names{s.backend->name()}, devices{s.backend->device()};
  for (int r = 1; r < size; ++r) {
    const MpiMessage m = mpi_wait(r);
    require(m.tag == kTagHello, "MPI", "rank " + std::to_string(r) + " did not start with a hello");
    ByteReader rd(m.bytes);
    names.push_back(rd.get_string());
    devices.push_back(rd.get_string());
    s.rank_chunks[std::size_t(r)] = rd.get_longs();
    require(s.rank_chunks[std::size_t(r)].size() == s.cells.size(), "MPI",
            "rank " + std::to_string(r) + " sees a different number of cells");
  }
  // "cpu" or "cuda+cpu"; the device as "K MPI ranks: 2 x <device>; 1 x <device>".
  std::vector<std::string> kinds;
  std::vector<std::pair<std::string, int>> devs;
  for (int r = 0; r < size; ++r) {
    if (std::find(kinds.begin(), kinds.end(), names[std::size_t(r)]) == kinds.end()) kinds.push_back(names[std::size_t(r)]);
    auto it = std::find_if(devs.begin(), devs.end(), [&](const auto& d) { return d.first == devices[std::size_t(r)]; });
    if (it == devs.end()) devs.emplace_back(devices[std::size_t(r)], 1);
    else ++it->second;
  }
  s.run_backend.clear();
  for (const auto& k : kinds) s.run_backend += (s.run_backend.empty() ? "" : "+") + k;
  s.run_device = std::to_string(size) + " MPI rank" + (size == 1 ? "" : "s") + ":";
  for (std::size_t i = 0; i < devs.size(); ++i)
    s.run_device += (i ? "; " : " ") + std::to_string(devs[i].second) + " x " + devs[i].first;
}

int run_sweep_coordinator(const SweepOptions& opt, const SweepSetup& s, Store& store, long run_id,
                          std::ostream& out, std::ostream& err, SweepOutcome* outcome) {
  return Coordinator(opt, s, store, run_id, out, err).run(outcome);
}

int run_sweep_worker(const SweepOptions&, const SweepSetup& s, std::ostream&) { return Worker(s).run(); }

}  // namespace landscape
