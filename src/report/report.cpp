// `landscape report`: reads a results database and writes report.html (inline SVG), summary.md,
// table.tex, report.json and CSV files holding every number the report shows.
#include "landscape/report/report.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "landscape/core/common.hpp"
#include "landscape/io/schema.hpp"
#include "landscape/core/stats.hpp"
#include "landscape/report/svg.hpp"

#ifndef LANDSCAPE_VERSION
#define LANDSCAPE_VERSION "unknown"
#endif

namespace landscape {
namespace {

using json = nlohmann::json;

/// Loss gaps L − L* at or below this are drawn at this floor on the log axis.
constexpr double kGapFloor = 1e-16;
/// At most this many training curves per cell enter the quantiles (the first by net_index):
/// quantiles need every curve in memory at once.
constexpr long kMaxCurves = 2000;
/// Points on the step axis of the curve quantiles.
constexpr std::size_t kCurvePoints = 300;

const std::vector<std::string> kClassOrder = {
    "diverged",          "not_critical",           "global_minimum", "strict_saddle",
    "non_strict_saddle", "spurious_local_minimum", "degenerate"};
const std::set<std::string> kAlwaysShown = {"global_minimum", "strict_saddle", "non_strict_saddle",
                                            "spurious_local_minimum"};

// ---------------------------------------------------------------------------------------------
// SQLite access (read-only)

class Database {
 public:
  explicit Database(const std::string& path) : m_path(path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw Error(path + ": no such file (expected a landscape results database)");
    if (std::filesystem::is_directory(path, ec))
      throw Error(path + ": is a directory, not a landscape results database");
    // SQLITE_OPEN_READONLY never creates a file.
    const int rc = sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
      sqlite3_close(m_db);
      m_db = nullptr;
      throw Error(path + ": cannot open database: " + why);
    }
    sqlite3_busy_timeout(m_db, 5000);
  }
  ~Database() { sqlite3_close(m_db); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return m_db; }
  const std::string& path() const { return m_path; }
  std::string errmsg() const { return sqlite3_errmsg(m_db); }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string why = err ? err : "unknown error";
      sqlite3_free(err);
      throw Error(m_path + ": " + why);
    }
  }

 private:
  std::string m_path;
  sqlite3* m_db = nullptr;
};

class Statement {
 public:
  Statement(Database& db, const char* sql) : m_db(db) {
    if (sqlite3_prepare_v2(db.handle(), sql, -1, &m_stmt, nullptr) != SQLITE_OK)
      throw Error(db.path() + ": " + db.errmsg());
  }
  ~Statement() { sqlite3_finalize(m_stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int index, std::int64_t v) { sqlite3_bind_int64(m_stmt, index, v); }
  void bind_text(int index, const char* v) {
    sqlite3_bind_text(m_stmt, index, v, -1, SQLITE_TRANSIENT);
  }
  void reset() { sqlite3_reset(m_stmt); }

  /// True while rows come back; throws on an error.
  bool step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(m_db.path() + ": " + m_db.errmsg());
  }
  bool is_null(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(m_stmt, col); }
  long integer(int col) const { return static_cast<long>(sqlite3_column_int64(m_stmt, col)); }
  double real(int col) const { return sqlite3_column_double(m_stmt, col); }
  std::string text(int col) const {
    const unsigned char* p = sqlite3_column_text(m_stmt, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  std::optional<std::string> opt_text(int col) const {
    if (is_null(col)) return std::nullopt;
    return text(col);
  }
  std::optional<double> opt_real(int col) const {
    if (is_null(col)) return std::nullopt;
    return real(col);
  }
  std::optional<long> opt_integer(int col) const {
    if (is_null(col)) return std::nullopt;
    return integer(col);
  }
  /// A little-endian float64 array; nullopt when the blob length is not a multiple of 8.
  std::optional<std::vector<double>> doubles(int col) const {
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(m_stmt, col));
    const int bytes = sqlite3_column_bytes(m_stmt, col);
    if (bytes % 8 != 0) return std::nullopt;
    std::vector<double> out(std::size_t(bytes / 8));
    for (std::size_t i = 0; i < out.size(); ++i) {
      std::uint64_t u = 0;
      for (int b = 0; b < 8; ++b) u |= std::uint64_t(p[i * 8 + std::size_t(b)]) << (8 * b);
      std::memcpy(&out[i], &u, sizeof u);
    }
    return out;
  }

 private:
  Database& m_db;
  sqlite3_stmt* m_stmt = nullptr;
};

// ---------------------------------------------------------------------------------------------
// The report's numbers

struct Hist {
  std::vector<double> edges;  // k + 1 edges (data units of the histogram's quantity)
  std::vector<long> counts;   // k counts
  long total() const {
    long t = 0;
    for (long c : counts) t += c;
    return t;
  }
};

/// Bins uniform in the coordinate t = x (linthresh = 0) or t = symlog(x, linthresh); edges are
/// reported in x units.
class Binner {
 public:
  Binner(double xlo, double xhi, int bins, double linthresh)
      : m_bins(bins), m_linthresh(linthresh), m_tlo(fwd(xlo)), m_thi(fwd(xhi)) {
    if (!(m_thi > m_tlo)) {
      m_tlo -= 0.5;
      m_thi += 0.5;
    }
    m_hist.counts.assign(std::size_t(bins), 0);
    for (int i = 0; i <= bins; ++i)
      m_hist.edges.push_back(inv(m_tlo + (m_thi - m_tlo) * double(i) / double(bins)));
  }
  void add(double x) {
    const double t = fwd(x);
    if (!std::isfinite(t)) return;
    long i = static_cast<long>(std::floor((t - m_tlo) / (m_thi - m_tlo) * double(m_bins)));
    i = std::clamp(i, 0L, long(m_bins) - 1);
    ++m_hist.counts[std::size_t(i)];
  }
  const Hist& hist() const { return m_hist; }

 private:
  double fwd(double x) const { return m_linthresh > 0 ? svg::symlog(x, m_linthresh) : x; }
  double inv(double t) const { return m_linthresh > 0 ? svg::symlog_inverse(t, m_linthresh) : t; }

  int m_bins;
  double m_linthresh, m_tlo, m_thi;
  Hist m_hist;
};

/// Rice rule (2·n^{1/3}) bins, within [lo, hi].
int bin_count(long n, int lo, int hi) {
  return std::clamp(int(std::ceil(2.0 * std::cbrt(double(std::max(1L, n))))), lo, hi);
}

double quantile_sorted(const std::vector<double>& v, double q) {
  if (v.empty()) return std::nan("");
  const double h = double(v.size() - 1) * q;
  const std::size_t lo = std::size_t(std::floor(h));
  if (lo + 1 >= v.size()) return v.back();
  return v[lo] + (h - double(lo)) * (v[lo + 1] - v[lo]);
}

struct RunInfo {
  std::int64_t run_id = 0;
  std::string config_text, config_hash, version, backend, device, started_at, status;
  std::optional<std::string> finished_at;
  double seconds_train = 0, seconds_analyze = 0;
  long endpoints = 0;
  std::optional<double> throughput;  // networks per second
};

struct Prediction {
  bool present = false, parsed = false;
  std::string raw, statement, source, parse_error;
  std::vector<std::string> forbids;
  long k = 0, n = 0;
  Interval iv;
  std::string verdict;  // consistent | inconsistent | "" (no forbidden classes)
  std::string text;     // precomputed observation text (items of a claim list)
  /// The sweep stores an evaluated list of claims (theory oracle); each item carries its own
  /// scope-aware observation, verdict and text.
  std::vector<Prediction> items;
};

struct Curves {
  long total = 0, used = 0, clamped = 0, malformed = 0;
  double floor = 0;
  std::vector<double> steps, q10, q50, q90;
  std::vector<long> n_at;  // curves with a finite value at each step
};

struct Spectra {
  long networks = 0, eigenvalues = 0, nonfinite = 0, malformed = 0;
  double linthresh = 1e-6, min = 0, max = 0;
  Hist hist;
};

struct Cell {
  std::int64_t cell_id = 0;
  long cell_index = 0;
  std::string label, family, dims, y_kind, optimizer, precision, status;
  std::optional<std::string> global_loss_kind;
  std::optional<double> slope, global_loss;
  long n = 0, x_rank = 0, y_rank = 0, networks = 0, param_count = 0;
  double noise = 0, lr = 0, init_scale = 0, loss_scale = 0, grad_rtol = 0, loss_rtol = 0,
         eig_rtol = 0;

  long endpoints = 0, finished = 0, unfinished = 0;
  std::map<std::string, long> counts, counts_lo, counts_hi;
  long tol_lo_missing = 0, tol_hi_missing = 0;
  Prediction prediction;

  long gap_n = 0, gap_clamped = 0, gap_missing = 0;
  Hist gap_hist;  // edges in log10(L − L*)
  long lmin_n = 0;
  double lmin_linthresh = 1e-6;
  Hist lmin_hist;
  std::map<long, long> n_negative, excess_degeneracy;
  long open_yes = 0, open_n = 0;
  Spectra spectra;
  Curves curves;

  long count(const std::string& c) const {
    const auto it = counts.find(c);
    return it == counts.end() ? 0 : it->second;
  }
};

struct Report {
  std::string db_path;
  RunInfo run;
  std::vector<Cell> cells;
  std::vector<std::string> classes;  // columns shown
  std::vector<std::string> warnings;
};

// ---------------------------------------------------------------------------------------------
// Reading

void check_schema(Database& db) {
  const std::string not_ours = db.path() + ": not a landscape results database";
  std::optional<std::string> version;
  try {
    Statement st(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (st.step()) version = st.text(0);
  } catch (const Error&) {
    throw Error(not_ours + " (" + db.errmsg() + ")");
  }
  if (!version) throw Error(not_ours + " (no schema_version in table meta)");
  if (*version != std::to_string(kSchemaVersion))
    throw Error(db.path() + ": schema version " + *version +
                ", but this program reads schema version " + std::to_string(kSchemaVersion));
  for (const char* table : {"runs", "cells", "endpoints", "spectra", "curves"}) {
    Statement st(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    st.bind_text(1, table);
    if (!st.step()) throw Error(not_ours + " (no table '" + table + "')");
  }
}

RunInfo read_run(Database& db) {
  Statement any(db, "SELECT COUNT(*) FROM runs");
  any.step();
  if (any.integer(0) == 0) throw Error(db.path() + ": no runs in the database");
  Statement newest(db,
                   "SELECT MAX(c.run_id) FROM cells c WHERE EXISTS "
                   "(SELECT 1 FROM endpoints e WHERE e.cell_id = c.cell_id)");
  newest.step();
  if (newest.is_null(0)) throw Error(db.path() + ": no run has any endpoints yet");
  RunInfo r;
  r.run_id = newest.int64(0);
  Statement st(db,
               "SELECT config_text, config_hash, version, backend, device, started_at, "
               "finished_at, status, seconds_train, seconds_analyze FROM runs WHERE run_id = ?");
  st.bind(1, r.run_id);
  if (!st.step())
    throw Error(db.path() + ": cells refer to run " + std::to_string(r.run_id) +
                ", which is not in table runs");
  r.config_text = st.text(0);
  r.config_hash = st.text(1);
  r.version = st.text(2);
  r.backend = st.text(3);
  r.device = st.text(4);
  r.started_at = st.text(5);
  r.finished_at = st.opt_text(6);
  r.status = st.text(7);
  r.seconds_train = st.real(8);
  r.seconds_analyze = st.real(9);
  Statement cnt(db,
                "SELECT COUNT(*) FROM endpoints e JOIN cells c ON e.cell_id = c.cell_id "
                "WHERE c.run_id = ?");
  cnt.bind(1, r.run_id);
  cnt.step();
  r.endpoints = cnt.integer(0);
  const double secs = r.seconds_train + r.seconds_analyze;
  if (secs > 0) r.throughput = double(r.endpoints) / secs;
  return r;
}

Prediction parse_prediction(const std::optional<std::string>& text) {
  Prediction p;
  if (!text) return p;
  p.present = true;
  p.raw = *text;
  try {
    const json j = json::parse(*text);
    if (j.is_array()) {
      bool any_inconsistent = false, any_consistent = false;
      for (const auto& it : j) {
        if (!it.is_object()) throw std::runtime_error("claim is not a JSON object");
        Prediction q;
        q.present = q.parsed = true;
        q.statement = it.value("statement", "");
        q.source = it.value("source", "");
        if (it.value("kind", "") == "forbids" && it.contains("classes"))
          for (const auto& f : it["classes"]) q.forbids.push_back(f.get<std::string>());
        q.k = it.value("count", 0L);
        q.n = it.value("in_scope", 0L);
        if (it.contains("ci95") && it["ci95"].is_array() && it["ci95"].size() == 2) {
          q.iv.lo = it["ci95"][0].get<double>();
          q.iv.hi = it["ci95"][1].get<double>();
        }
        q.verdict = it.value("verdict", "");
        q.text = it.value("text", "");
        any_inconsistent = any_inconsistent || q.verdict == "inconsistent";
        any_consistent = any_consistent || q.verdict == "consistent";
        p.items.push_back(std::move(q));
      }
      p.statement = std::to_string(p.items.size()) + " claim(s)";
      p.verdict = any_inconsistent ? "inconsistent" : any_consistent ? "consistent" : "inconclusive";
      p.parsed = true;
      return p;
    }
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    if (j.contains("statement") && j["statement"].is_string())
      p.statement = j["statement"].get<std::string>();
    if (j.contains("source") && j["source"].is_string()) p.source = j["source"].get<std::string>();
    if (j.contains("forbids") && j["forbids"].is_array())
      for (const auto& f : j["forbids"])
        if (f.is_string()) p.forbids.push_back(f.get<std::string>());
    p.parsed = true;
  } catch (const std::exception& e) {
    p.parse_error = e.what();
  }
  return p;
}

void read_endpoints(Database& db, Cell& c) {
  Statement st(db,
               "SELECT class, class_tol_lo, class_tol_hi, loss, lambda_min, lambda_max, "
               "n_negative, excess_degeneracy, locally_open FROM endpoints WHERE cell_id = ?");
  st.bind(1, c.cell_id);
  std::vector<double> gaps, lmins;
  double max_abs_eig = 0;
  while (st.step()) {
    ++c.endpoints;
    if (st.is_null(0)) {
      ++c.unfinished;
      continue;
    }
    ++c.finished;
    ++c.counts[st.text(0)];
    if (const auto lo = st.opt_text(1))
      ++c.counts_lo[*lo];
    else
      ++c.tol_lo_missing;
    if (const auto hi = st.opt_text(2))
      ++c.counts_hi[*hi];
    else
      ++c.tol_hi_missing;
    const auto loss = st.opt_real(3);
    if (loss && c.global_loss && std::isfinite(*loss)) {
      double gap = *loss - *c.global_loss;
      if (gap <= kGapFloor) {
        gap = kGapFloor;
        ++c.gap_clamped;
      }
      gaps.push_back(std::log10(gap));
    } else {
      ++c.gap_missing;
    }
    if (const auto lm = st.opt_real(4); lm && std::isfinite(*lm)) {
      lmins.push_back(*lm);
      max_abs_eig = std::max(max_abs_eig, std::abs(*lm));
    }
    if (const auto lx = st.opt_real(5); lx && std::isfinite(*lx))
      max_abs_eig = std::max(max_abs_eig, std::abs(*lx));
    if (const auto nn = st.opt_integer(6)) ++c.n_negative[*nn];
    // Near-zero eigenvalues beyond the symmetry orbit mean degeneracy only at a critical point.
    if (const auto ed = st.opt_integer(7); ed && st.text(0) != "not_critical") ++c.excess_degeneracy[*ed];
    if (const auto op = st.opt_integer(8)) {
      ++c.open_n;
      if (*op != 0) ++c.open_yes;
    }
  }
  c.gap_n = long(gaps.size());
  if (!gaps.empty()) {
    const auto [mn, mx] = std::minmax_element(gaps.begin(), gaps.end());
    Binner b(*mn, *mx, bin_count(c.gap_n, 5, 40), 0);
    for (double g : gaps) b.add(g);
    c.gap_hist = b.hist();
  }
  c.lmin_n = long(lmins.size());
  const double eig_rtol = c.eig_rtol > 0 ? c.eig_rtol : 1e-6;
  c.lmin_linthresh = eig_rtol * std::max(1.0, max_abs_eig);
  if (!lmins.empty()) {
    const auto [mn, mx] = std::minmax_element(lmins.begin(), lmins.end());
    Binner b(*mn, *mx, bin_count(c.lmin_n, 5, 40), c.lmin_linthresh);
    for (double v : lmins) b.add(v);
    c.lmin_hist = b.hist();
  }
}

void read_spectra(Database& db, Cell& c, std::vector<std::string>& warnings) {
  Spectra& s = c.spectra;
  Statement st(db, "SELECT net_index, eigenvalues FROM spectra WHERE cell_id = ?");
  st.bind(1, c.cell_id);
  // Pass 1: extent (streaming, so that large runs are not held in memory).
  double max_abs = 0;
  bool first = true;
  while (st.step()) {
    const auto ev = st.doubles(1);
    if (!ev) {
      ++s.malformed;
      continue;
    }
    ++s.networks;
    for (double v : *ev) {
      if (!std::isfinite(v)) {
        ++s.nonfinite;
        continue;
      }
      ++s.eigenvalues;
      s.min = first ? v : std::min(s.min, v);
      s.max = first ? v : std::max(s.max, v);
      first = false;
      max_abs = std::max(max_abs, std::abs(v));
    }
  }
  if (s.malformed)
    warnings.push_back("cell " + std::to_string(c.cell_index) + ": " + std::to_string(s.malformed) +
                       " spectra blob(s) whose length is not a multiple of 8 bytes were skipped");
  if (s.eigenvalues == 0) return;
  s.linthresh = (c.eig_rtol > 0 ? c.eig_rtol : 1e-6) * std::max(1.0, max_abs);
  Binner b(s.min, s.max, bin_count(s.eigenvalues, 10, 60), s.linthresh);
  st.reset();
  while (st.step()) {
    const auto ev = st.doubles(1);
    if (!ev) continue;
    for (double v : *ev)
      if (std::isfinite(v)) b.add(v);
  }
  s.hist = b.hist();
}

void read_curves(Database& db, Cell& c, std::vector<std::string>& warnings) {
  Curves& cv = c.curves;
  {
    Statement cnt(db, "SELECT COUNT(*) FROM curves WHERE cell_id = ?");
    cnt.bind(1, c.cell_id);
    cnt.step();
    cv.total = cnt.integer(0);
  }
  if (cv.total == 0) return;
  struct One {
    long every;
    std::vector<double> losses;
  };
  std::vector<One> curves;
  Statement st(db, "SELECT every, losses FROM curves WHERE cell_id = ? ORDER BY net_index LIMIT ?");
  st.bind(1, c.cell_id);
  st.bind(2, kMaxCurves);
  double min_pos = std::numeric_limits<double>::infinity();
  long max_step = 0, grid = 0;
  while (st.step()) {
    const auto l = st.doubles(1);
    const long every = st.integer(0);
    if (!l || l->empty() || every < 1) {
      ++cv.malformed;
      continue;
    }
    for (double v : *l)
      if (std::isfinite(v) && v > 0) min_pos = std::min(min_pos, v);
    max_step = std::max(max_step, every * long(l->size() - 1));
    grid = grid == 0 ? every : std::min(grid, every);
    curves.push_back({every, *l});
  }
  if (cv.malformed)
    warnings.push_back("cell " + std::to_string(c.cell_index) + ": " +
                       std::to_string(cv.malformed) + " malformed training curve(s) skipped");
  cv.used = long(curves.size());
  if (curves.empty()) return;
  cv.floor = std::isfinite(min_pos) ? min_pos : kGapFloor;
  // Step grid: every recorded step of the finest curve, thinned to kCurvePoints.
  std::vector<long> steps;
  const long npts = max_step / grid + 1;
  if (std::size_t(npts) <= kCurvePoints) {
    for (long i = 0; i < npts; ++i) steps.push_back(i * grid);
  } else {
    for (std::size_t i = 0; i < kCurvePoints; ++i) {
      const long s = long(std::llround(double(max_step) * double(i) / double(kCurvePoints - 1)));
      if (steps.empty() || s != steps.back()) steps.push_back(s);
    }
  }
  std::vector<double> vals;
  std::vector<bool> clamped_curve(curves.size(), false);
  for (long s : steps) {
    vals.clear();
    for (std::size_t k = 0; k < curves.size(); ++k) {
      const auto& one = curves[k];
      // The value recorded at or before s; a curve that stopped early holds its last loss.
      const std::size_t idx = std::min(std::size_t(s / one.every), one.losses.size() - 1);
      double v = one.losses[idx];
      if (!std::isfinite(v)) continue;
      if (v <= 0) {
        v = cv.floor;
        clamped_curve[k] = true;
      }
      vals.push_back(v);
    }
    std::sort(vals.begin(), vals.end());
    cv.steps.push_back(double(s));
    cv.n_at.push_back(long(vals.size()));
    cv.q10.push_back(quantile_sorted(vals, 0.1));
    cv.q50.push_back(quantile_sorted(vals, 0.5));
    cv.q90.push_back(quantile_sorted(vals, 0.9));
  }
  cv.clamped = long(std::count(clamped_curve.begin(), clamped_curve.end(), true));
}

Report read_report(const std::string& db_path) {
  Database db(db_path);
  check_schema(db);
  db.exec("BEGIN");  // one consistent snapshot while a writer may be running
  Report rep;
  rep.db_path = db_path;
  rep.run = read_run(db);
  Statement st(db,
               "SELECT cell_id, cell_index, label, family, dims, slope, n, x_rank, y_rank, "
               "y_kind, noise, optimizer, lr, precision, init_scale, networks, param_count, "
               "global_loss, global_loss_kind, loss_scale, grad_rtol, loss_rtol, eig_rtol, "
               "prediction, status FROM cells WHERE run_id = ? ORDER BY cell_index, cell_id");
  st.bind(1, rep.run.run_id);
  while (st.step()) {
    Cell c;
    c.cell_id = st.int64(0);
    c.cell_index = st.integer(1);
    c.label = st.text(2);
    c.family = st.text(3);
    c.dims = st.text(4);
    c.slope = st.opt_real(5);
    c.n = st.integer(6);
    c.x_rank = st.integer(7);
    c.y_rank = st.integer(8);
    c.y_kind = st.text(9);
    c.noise = st.real(10);
    c.optimizer = st.text(11);
    c.lr = st.real(12);
    c.precision = st.text(13);
    c.init_scale = st.real(14);
    c.networks = st.integer(15);
    c.param_count = st.integer(16);
    c.global_loss = st.opt_real(17);
    c.global_loss_kind = st.opt_text(18);
    c.loss_scale = st.real(19);
    c.grad_rtol = st.real(20);
    c.loss_rtol = st.real(21);
    c.eig_rtol = st.real(22);
    c.prediction = parse_prediction(st.opt_text(23));
    c.status = st.text(24);
    rep.cells.push_back(std::move(c));
  }
  std::set<std::string> seen;
  for (Cell& c : rep.cells) {
    read_endpoints(db, c);
    read_spectra(db, c, rep.warnings);
    read_curves(db, c, rep.warnings);
    for (const auto& [name, k] : c.counts)
      if (k > 0) seen.insert(name);
    Prediction& p = c.prediction;
    if (p.present && !p.parsed)
      rep.warnings.push_back("cell " + std::to_string(c.cell_index) +
                             ": prediction is not valid JSON (" + p.parse_error + ")");
    if (p.parsed && p.items.empty() && !p.forbids.empty()) {
      for (const auto& f : p.forbids) p.k += c.count(f);
      p.n = c.finished;
      p.iv = binomial_interval_95(p.k, p.n);
      p.verdict = p.k == 0 ? "consistent" : "inconsistent";
    }
  }
  db.exec("COMMIT");
  for (const auto& name : kClassOrder)
    if (kAlwaysShown.count(name) || seen.count(name)) rep.classes.push_back(name);
  for (const auto& name : seen)  // classes this program does not know, after the known ones
    if (std::find(kClassOrder.begin(), kClassOrder.end(), name) == kClassOrder.end())
      rep.classes.push_back(name);
  return rep;
}

// ---------------------------------------------------------------------------------------------
// Formatting helpers

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}
std::string g3(double x) { return fmt("%.3g", x); }
std::string frac4(double x) { return fmt("%.4f", x); }
std::string full(double x) { return std::isfinite(x) ? fmt("%.10g", x) : ""; }

std::string interval_text(const Interval& iv) {
  if (iv.method == "none") return "—";  // n = 0
  return "[" + g3(iv.lo) + ", " + g3(iv.hi) + "]";
}

/// k / n to four decimals, or a dash when n = 0 (a cell without finished endpoints).
std::string frac_text(long k, long n) { return n > 0 ? frac4(double(k) / double(n)) : "—"; }

double fraction(long k, long n) { return n > 0 ? double(k) / double(n) : 0.0; }

const char* class_colour(const std::string& c) {
  if (c == "global_minimum") return svg::kGreen;
  if (c == "strict_saddle") return svg::kBlue;
  if (c == "non_strict_saddle") return svg::kOrange;
  if (c == "spurious_local_minimum") return svg::kVermillion;
  if (c == "degenerate") return svg::kPurple;
  if (c == "not_critical") return svg::kSkyBlue;
  if (c == "diverged") return svg::kGrey;
  return svg::kYellow;
}

std::string human_class(const std::string& c) {
  std::string s = c;
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '{':
        out += "\\{";
        break;
      case '}':
        out += "\\}";
        break;
      case '_':
        out += "\\_";
        break;
      case '%':
        out += "\\%";
        break;
      case '&':
        out += "\\&";
        break;
      case '#':
        out += "\\#";
        break;
      case '$':
        out += "\\$";
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '\n':
        out += ' ';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string esc(const std::string& s) { return svg::xml_escape(s); }

std::string cell_title(const Cell& c) {
  return "cell " + std::to_string(c.cell_index) + ": " + c.label;
}

/// "predicted: … (source) — observed k of n (rate < X at 95%) — verdict", plain text.
std::string prediction_text(const Prediction& p) {
  if (!p.present) return "";
  if (!p.parsed) return "prediction present but not valid JSON";
  if (!p.items.empty()) {
    std::string all;
    for (const auto& q : p.items) all += (all.empty() ? "" : "; ") + q.text;
    return all;
  }
  std::string s = "predicted: " + p.statement + (p.source.empty() ? "" : " (" + p.source + ")");
  if (p.forbids.empty()) return s;
  s += " \xE2\x80\x94 observed " + std::to_string(p.k) + " of " + std::to_string(p.n) +
       " (rate < " + g3(p.iv.hi) + " at 95%) \xE2\x80\x94 " + p.verdict;
  return s;
}

std::string forbids_text(const Prediction& p) {
  std::string s;
  for (std::size_t i = 0; i < p.forbids.size(); ++i) s += (i ? ", " : "") + p.forbids[i];
  return s;
}

std::vector<std::string> tolerance_classes(const Report& r, const Cell& c) {
  std::vector<std::string> out = r.classes;
  for (const auto* m : {&c.counts_lo, &c.counts_hi})
    for (const auto& [name, k] : *m)
      if (k > 0 && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  return out;
}

long get(const std::map<std::string, long>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

// ---------------------------------------------------------------------------------------------
// CSV and JSON

std::string prefix(const Report& r, const Cell& c) {
  return std::to_string(r.run.run_id) + "," + std::to_string(c.cell_id) + "," +
         std::to_string(c.cell_index) + "," + csv_field(c.label);
}
const char* kPrefixHeader = "run_id,cell_id,cell_index,label";

std::string classes_csv(const Report& r) {
  std::ostringstream os;
  os << kPrefixHeader << ",class,count,n,fraction,ci95_lo,ci95_hi,ci_method\n";
  for (const Cell& c : r.cells)
    for (const auto& name : r.classes) {
      const long k = c.count(name);
      const Interval iv = binomial_interval_95(k, c.finished);
      const bool has = c.finished > 0;  // empty fields when there is nothing to estimate
      os << prefix(r, c) << "," << csv_field(name) << "," << k << "," << c.finished << ","
         << (has ? full(fraction(k, c.finished)) : "") << "," << (has ? full(iv.lo) : "") << ","
         << (has ? full(iv.hi) : "") << "," << iv.method << "\n";
    }
  return os.str();
}

std::string cells_csv(const Report& r) {
  std::ostringstream os;
  os << kPrefixHeader
     << ",family,dims,networks,endpoints,finished,unfinished,global_loss,global_loss_kind,"
        "locally_open_yes,locally_open_n,locally_open_fraction,locally_open_ci95_lo,"
        "locally_open_ci95_hi,prediction_statement,prediction_source,prediction_forbids,"
        "forbidden_count,forbidden_rate_upper95,verdict,loss_gaps,loss_gaps_clamped,"
        "loss_gap_floor,spectra_networks,spectra_eigenvalues,curves_total,curves_used\n";
  for (const Cell& c : r.cells) {
    const Interval lo = binomial_interval_95(c.open_yes, c.open_n);
    const Prediction& p = c.prediction;
    const bool pf = p.parsed && !p.forbids.empty();
    os << prefix(r, c) << "," << csv_field(c.family) << "," << csv_field(c.dims) << ","
       << c.networks << "," << c.endpoints << "," << c.finished << "," << c.unfinished << ","
       << (c.global_loss ? full(*c.global_loss) : "") << ","
       << csv_field(c.global_loss_kind.value_or("")) << "," << c.open_yes << "," << c.open_n << ","
       << (c.open_n ? full(fraction(c.open_yes, c.open_n)) : "") << ","
       << (c.open_n ? full(lo.lo) : "") << "," << (c.open_n ? full(lo.hi) : "") << ","
       << csv_field(p.statement) << "," << csv_field(p.source) << "," << csv_field(forbids_text(p))
       << "," << (pf ? std::to_string(p.k) : "") << "," << (pf ? full(p.iv.hi) : "") << ","
       << p.verdict << "," << c.gap_n << "," << c.gap_clamped << "," << full(kGapFloor) << ","
       << c.spectra.networks << "," << c.spectra.eigenvalues << "," << c.curves.total << ","
       << c.curves.used << "\n";
  }
  return os.str();
}

std::string tolerance_csv(const Report& r) {
  std::ostringstream os;
  os << kPrefixHeader << ",class,count_tol_x0.1,count_nominal,count_tol_x10\n";
  for (const Cell& c : r.cells) {
    for (const auto& name : tolerance_classes(r, c))
      os << prefix(r, c) << "," << csv_field(name) << "," << get(c.counts_lo, name) << ","
         << c.count(name) << "," << get(c.counts_hi, name) << "\n";
    if (c.tol_lo_missing || c.tol_hi_missing)
      os << prefix(r, c) << ",(not recorded)," << c.tol_lo_missing << ",0," << c.tol_hi_missing
         << "\n";
  }
  return os.str();
}

void hist_rows(std::ostringstream& os, const std::string& pre, const std::string& quantity,
               const Hist& hh) {
  for (std::size_t i = 0; i < hh.counts.size(); ++i)
    os << pre << "," << quantity << "," << full(hh.edges[i]) << "," << full(hh.edges[i + 1]) << ","
       << hh.counts[i] << "\n";
}

std::string histograms_csv(const Report& r) {
  std::ostringstream os;
  os << kPrefixHeader << ",quantity,bin_lo,bin_hi,count\n";
  for (const Cell& c : r.cells) {
    hist_rows(os, prefix(r, c), "log10_loss_gap", c.gap_hist);
    hist_rows(os, prefix(r, c), "lambda_min", c.lmin_hist);
  }
  return os.str();
}

std::string integer_counts_csv(const Report& r) {
  std::ostringstream os;
  os << kPrefixHeader << ",quantity,value,count\n";
  for (const Cell& c : r.cells) {
    for (const auto& [v, k] : c.n_negative)
      os << prefix(r, c) << ",n_negative," << v << "," << k << "\n";
    for (const auto& [v, k] : c.excess_degeneracy)
      os << prefix(r, c) << ",excess_degeneracy," << v << "," << k << "\n";
  }
  return os.str();
}

std::string spectral_csv(const Report& r) {
  std::ostringstream os;
  os << kPrefixHeader << ",linthresh,bin_lo,bin_hi,count\n";
  for (const Cell& c : r.cells) {
    const Hist& hh = c.spectra.hist;
    for (std::size_t i = 0; i < hh.counts.size(); ++i)
      os << prefix(r, c) << "," << full(c.spectra.linthresh) << "," << full(hh.edges[i]) << ","
         << full(hh.edges[i + 1]) << "," << hh.counts[i] << "\n";
  }
  return os.str();
}

std::string curves_csv(const Report& r) {
  std::ostringstream os;
  os << kPrefixHeader << ",step,n_curves,loss_q10,loss_median,loss_q90\n";
  for (const Cell& c : r.cells) {
    const Curves& cv = c.curves;
    for (std::size_t i = 0; i < cv.steps.size(); ++i)
      os << prefix(r, c) << "," << std::int64_t(cv.steps[i]) << "," << cv.n_at[i] << ","
         << full(cv.q10[i]) << "," << full(cv.q50[i]) << "," << full(cv.q90[i]) << "\n";
  }
  return os.str();
}

json num_or_null(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

json hist_json(const Hist& hh) {
  json e = json::array(), k = json::array();
  for (double v : hh.edges) e.push_back(num_or_null(v));
  for (long v : hh.counts) k.push_back(v);
  return {{"edges", e}, {"counts", k}};
}

json interval_json(const Interval& iv) {
  return {{"lo", iv.lo}, {"hi", iv.hi}, {"method", iv.method}};
}

json report_json(const Report& r) {
  json j;
  j["program"] = {{"name", "landscape"}, {"version", LANDSCAPE_VERSION}};
  j["database"] = r.db_path;
  j["schema_version"] = kSchemaVersion;
  const RunInfo& u = r.run;
  j["run"] = {{"run_id", u.run_id},
              {"config_hash", u.config_hash},
              {"version", u.version},
              {"backend", u.backend},
              {"device", u.device},
              {"started_at", u.started_at},
              {"finished_at", u.finished_at ? json(*u.finished_at) : json(nullptr)},
              {"status", u.status},
              {"seconds_train", u.seconds_train},
              {"seconds_analyze", u.seconds_analyze},
              {"endpoints", u.endpoints},
              {"networks_per_second", u.throughput ? json(*u.throughput) : json(nullptr)},
              {"config_text", u.config_text}};
  j["classes_shown"] = r.classes;
  j["loss_gap_floor"] = kGapFloor;
  j["max_curves_per_cell"] = kMaxCurves;
  j["warnings"] = r.warnings;
  json cells = json::array();
  for (const Cell& c : r.cells) {
    json cj;
    cj["cell_id"] = c.cell_id;
    cj["cell_index"] = c.cell_index;
    cj["label"] = c.label;
    cj["family"] = c.family;
    cj["dims"] = c.dims;
    cj["slope"] = c.slope ? json(*c.slope) : json(nullptr);
    cj["n"] = c.n;
    cj["x_rank"] = c.x_rank;
    cj["y_rank"] = c.y_rank;
    cj["y_kind"] = c.y_kind;
    cj["noise"] = c.noise;
    cj["optimizer"] = c.optimizer;
    cj["lr"] = c.lr;
    cj["precision"] = c.precision;
    cj["init_scale"] = c.init_scale;
    cj["networks"] = c.networks;
    cj["param_count"] = c.param_count;
    cj["global_loss"] = c.global_loss ? json(*c.global_loss) : json(nullptr);
    cj["global_loss_kind"] = c.global_loss_kind ? json(*c.global_loss_kind) : json(nullptr);
    cj["loss_scale"] = c.loss_scale;
    cj["tolerances"] = {
        {"grad_rtol", c.grad_rtol}, {"loss_rtol", c.loss_rtol}, {"eig_rtol", c.eig_rtol}};
    cj["status"] = c.status;
    cj["endpoints"] = c.endpoints;
    cj["finished"] = c.finished;
    cj["unfinished"] = c.unfinished;
    json classes = json::object();
    for (const auto& name : r.classes) {
      const long k = c.count(name);
      classes[name] = {{"count", k},
                       {"fraction", c.finished ? json(fraction(k, c.finished)) : json(nullptr)},
                       {"ci95", c.finished ? interval_json(binomial_interval_95(k, c.finished))
                                           : json(nullptr)}};
    }
    cj["classes"] = classes;
    json tol = json::object();
    for (const auto& name : tolerance_classes(r, c))
      tol[name] = {{"tol_x0.1", get(c.counts_lo, name)},
                   {"nominal", c.count(name)},
                   {"tol_x10", get(c.counts_hi, name)}};
    cj["tolerance_sensitivity"] = {{"counts", tol},
                                   {"not_recorded_x0.1", c.tol_lo_missing},
                                   {"not_recorded_x10", c.tol_hi_missing}};
    const Prediction& p = c.prediction;
    if (!p.present) {
      cj["prediction"] = nullptr;
    } else {
      json pj = {{"raw", p.raw},       {"parsed", p.parsed},   {"statement", p.statement},
                 {"source", p.source}, {"forbids", p.forbids}, {"text", prediction_text(p)}};
      if (!p.items.empty()) {
        pj["verdict"] = p.verdict;
        pj["items"] = json::array();
        for (const auto& q : p.items)
          pj["items"].push_back({{"statement", q.statement}, {"source", q.source}, {"forbids", q.forbids},
                                 {"observed", q.k}, {"n", q.n}, {"ci95", interval_json(q.iv)},
                                 {"verdict", q.verdict}, {"text", q.text}});
      }
      if (p.parsed && !p.forbids.empty()) {
        pj["observed"] = p.k;
        pj["n"] = p.n;
        pj["ci95"] = interval_json(p.iv);
        pj["rate_upper95"] = p.iv.hi;
        pj["verdict"] = p.verdict;
      }
      cj["prediction"] = pj;
    }
    cj["loss_gap"] = {{"n", c.gap_n},
                      {"missing", c.gap_missing},
                      {"clamped_to_floor", c.gap_clamped},
                      {"floor", kGapFloor},
                      {"histogram_log10", hist_json(c.gap_hist)}};
    cj["lambda_min"] = {{"n", c.lmin_n},
                        {"symlog_linthresh", c.lmin_linthresh},
                        {"histogram", hist_json(c.lmin_hist)}};
    json nn = json::object(), ed = json::object();
    for (const auto& [v, k] : c.n_negative) nn[std::to_string(v)] = k;
    for (const auto& [v, k] : c.excess_degeneracy) ed[std::to_string(v)] = k;
    cj["n_negative"] = nn;
    cj["excess_degeneracy"] = ed;
    cj["locally_open"] = {{"yes", c.open_yes}, {"n", c.open_n}};
    if (c.open_n) {
      cj["locally_open"]["fraction"] = fraction(c.open_yes, c.open_n);
      cj["locally_open"]["ci95"] = interval_json(binomial_interval_95(c.open_yes, c.open_n));
    }
    const Spectra& s = c.spectra;
    cj["spectra"] = {{"networks", s.networks},
                     {"eigenvalues", s.eigenvalues},
                     {"nonfinite_skipped", s.nonfinite},
                     {"malformed_skipped", s.malformed},
                     {"min", s.eigenvalues ? json(s.min) : json(nullptr)},
                     {"max", s.eigenvalues ? json(s.max) : json(nullptr)},
                     {"symlog_linthresh", s.linthresh},
                     {"histogram", hist_json(s.hist)}};
    const Curves& cv = c.curves;
    json q10 = json::array(), q50 = json::array(), q90 = json::array();
    for (std::size_t i = 0; i < cv.steps.size(); ++i) {
      q10.push_back(num_or_null(cv.q10[i]));
      q50.push_back(num_or_null(cv.q50[i]));
      q90.push_back(num_or_null(cv.q90[i]));
    }
    cj["curves"] = {{"total", cv.total},
                    {"used", cv.used},
                    {"malformed", cv.malformed},
                    {"curves_with_nonpositive_loss_clamped", cv.clamped},
                    {"clamp_floor", cv.floor},
                    {"steps", cv.steps},
                    {"n_curves", cv.n_at},
                    {"q10", q10},
                    {"median", q50},
                    {"q90", q90}};
    cells.push_back(cj);
  }
  j["cells"] = cells;
  return j;
}

// ---------------------------------------------------------------------------------------------
// Markdown and LaTeX

std::string summary_md(const Report& r) {
  std::ostringstream os;
  const RunInfo& u = r.run;
  os << "# Loss-landscape report: run " << u.run_id << "\n\n";
  os << "Database `" << r.db_path << "`. Loss L = ½‖F(W) − Y‖²_F (no division by n). "
     << "Fractions are of finished endpoints; 95% intervals are Wilson score intervals, or "
        "exact Clopper–Pearson at 0 or n. Figures are in `report.html`; every number is in "
        "`report.json` and the CSV files.\n\n";
  os << "## Run\n\n| field | value |\n|---|---|\n";
  os << "| config_hash | `" << u.config_hash << "` |\n";
  os << "| version | " << md_escape(u.version) << " |\n";
  os << "| backend | " << md_escape(u.backend) << " |\n";
  os << "| device | " << md_escape(u.device) << " |\n";
  os << "| started | " << md_escape(u.started_at) << " |\n";
  os << "| finished | " << md_escape(u.finished_at.value_or("—")) << " |\n";
  os << "| status | " << md_escape(u.status) << " |\n";
  os << "| endpoints | " << u.endpoints << " |\n";
  os << "| seconds (train + analyze) | " << g3(u.seconds_train) << " + " << g3(u.seconds_analyze)
     << " |\n";
  os << "| throughput | " << (u.throughput ? g3(*u.throughput) + " networks/s" : std::string("n/a"))
     << " |\n\n";
  // A code fence longer than any backtick run inside the config keeps it verbatim.
  std::size_t run = 0, longest = 0;
  for (char ch : u.config_text) {
    run = ch == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  os << "<details><summary>config_text</summary>\n\n"
     << fence << "toml\n"
     << u.config_text << (u.config_text.empty() || u.config_text.back() == '\n' ? "" : "\n")
     << fence << "\n\n</details>\n\n";
  for (const auto& w : r.warnings) os << "> warning: " << md_escape(w) << "\n\n";

  os << "## Across cells\n\n| cell | label | networks | finished | unfinished |";
  for (const auto& name : r.classes) os << " `" << name << "` |";
  os << "\n|---:|---|---:|---:|---:|";
  for (std::size_t i = 0; i < r.classes.size(); ++i) os << "---:|";
  os << "\n";
  for (const Cell& c : r.cells) {
    os << "| " << c.cell_index << " | " << md_escape(c.label) << " | " << c.networks << " | "
       << c.finished << " | " << c.unfinished << " |";
    for (const auto& name : r.classes) os << " " << frac_text(c.count(name), c.finished) << " |";
    os << "\n";
  }
  os << "\n";

  for (const Cell& c : r.cells) {
    os << "## " << md_escape(cell_title(c)) << "\n\n";
    os << md_escape(c.family) << " dims " << md_escape(c.dims) << ", n = " << c.n << ", "
       << md_escape(c.optimizer) << " lr " << g3(c.lr) << ", " << md_escape(c.precision)
       << "; global loss L\\* = "
       << (c.global_loss ? fmt("%.10g", *c.global_loss) : "not yet known")
       << (c.global_loss_kind ? " (" + *c.global_loss_kind + ")" : "") << "; " << c.finished
       << " finished endpoints, " << c.unfinished << " unfinished (excluded).\n\n";
    os << "| class | count | fraction | 95% interval |\n|---|---:|---:|---|\n";
    for (const auto& name : r.classes) {
      const long k = c.count(name);
      os << "| `" << name << "` | " << k << " | " << frac_text(k, c.finished) << " | "
         << interval_text(binomial_interval_95(k, c.finished)) << " |\n";
    }
    os << "\n";
    if (c.prediction.present) os << md_escape(prediction_text(c.prediction)) << "\n\n";
    os << "Tolerance sensitivity (counts):\n\n| class | tolerances ×0.1 | nominal | tolerances ×10 "
          "|\n"
          "|---|---:|---:|---:|\n";
    for (const auto& name : tolerance_classes(r, c))
      os << "| `" << name << "` | " << get(c.counts_lo, name) << " | " << c.count(name) << " | "
         << get(c.counts_hi, name) << " |\n";
    if (c.tol_lo_missing || c.tol_hi_missing)
      os << "| (not recorded) | " << c.tol_lo_missing << " | — | " << c.tol_hi_missing << " |\n";
    os << "\n";
    if (c.open_n) {
      const Interval iv = binomial_interval_95(c.open_yes, c.open_n);
      os << "Locally open (N&R Thm 2 / Behrends): " << c.open_yes << " of " << c.open_n << " ("
         << frac4(fraction(c.open_yes, c.open_n)) << ", 95% " << interval_text(iv) << ").\n\n";
    }
    os << "Loss gaps: " << c.gap_n << " (" << c.gap_clamped
       << " at or below 1e-16 drawn at the floor); "
       << "spectra stored: " << c.spectra.networks << " networks, " << c.spectra.eigenvalues
       << " eigenvalues; training curves: " << c.curves.used << " of " << c.curves.total
       << " used.\n\n";
  }
  return os.str();
}

std::string table_tex(const Report& r) {
  std::ostringstream os;
  os << "% Class fractions with 95% intervals, generated by landscape report (run " << r.run.run_id
     << ").\n% Requires \\usepackage{booktabs}.\n";
  os << "\\begin{table}[t]\n\\centering\n\\small\n\\begin{tabular}{lr";
  for (std::size_t i = 0; i < r.classes.size(); ++i) os << "c";
  os << "}\n\\toprule\nCell & $n$";
  for (const auto& name : r.classes) os << " & " << latex_escape(human_class(name));
  os << " \\\\\n\\midrule\n";
  for (const Cell& c : r.cells) {
    os << latex_escape(c.label) << " & " << c.finished;
    for (const auto& name : r.classes) {
      const long k = c.count(name);
      const Interval iv = binomial_interval_95(k, c.finished);
      if (c.finished == 0)
        os << " & --";
      else
        os << " & " << fmt("%.3f", fraction(k, c.finished)) << " {\\scriptsize[" << g3(iv.lo)
           << ", " << g3(iv.hi) << "]}";
    }
    os << " \\\\\n";
  }
  os << "\\bottomrule\n\\end{tabular}\n";
  os << "\\caption{Fraction of finished endpoints in each class, with 95\\% intervals (Wilson; "
        "exact Clopper--Pearson at 0 or $n$). Run "
     << r.run.run_id << ", configuration " << latex_escape(r.run.config_hash) << ".}\n";
  os << "\\label{tab:landscape-classes}\n\\end{table}\n";
  return os.str();
}

// ---------------------------------------------------------------------------------------------
// HTML

constexpr const char* kCss = R"CSS(
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; color: #000;
       background: #fff; margin: 24px auto; max-width: 1180px; padding: 0 12px; font-size: 14px;
       line-height: 1.4; }
h1 { font-size: 24px; } h2 { font-size: 20px; margin-top: 32px; border-bottom: 1px solid #000; }
h3 { font-size: 16px; }
table { border-collapse: collapse; margin: 8px 0 12px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #bbb; text-align: left; vertical-align: top; }
th { border-bottom: 2px solid #000; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f4f4f4; border: 1px solid #ccc; padding: 8px; overflow-x: auto; font-size: 12px;
      white-space: pre-wrap; }
figure { display: inline-block; vertical-align: top; margin: 6px 8px 14px 0; width: 560px; }
figure svg { display: block; }
figcaption { font-size: 13px; margin-top: 4px; }
.prediction { border-left: 4px solid #0072B2; padding: 4px 10px; background: #f2f7fb; }
.verdict { font-weight: bold; }
.warning { border-left: 4px solid #D55E00; padding: 4px 10px; }
.note { font-size: 13px; }
div.wide { overflow-x: auto; }
div.wide th { max-width: 7em; }
@media print {
  body { max-width: none; margin: 0; }
  figure { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; }
  pre { white-space: pre-wrap; }
}
)CSS";

/// Histogram of counts on a signed-log x axis (linear within ±linthresh).
std::string symlog_histogram(const std::string& title, const std::string& x_label,
                             const std::string& y_label, double linthresh, const Hist& hist,
                             const char* color) {
  svg::Axis x;
  x.label = x_label;
  x.scale = svg::Scale::symlog;
  x.linthresh = linthresh;
  svg::Axis y;
  y.label = y_label;
  y.integer_ticks = true;
  svg::Plot p(title, x, y);
  std::vector<double> heights;
  for (long k : hist.counts) heights.push_back(double(k));
  p.add_histogram(hist.edges, heights, "", color);
  return p.render();
}

/// Bar chart of how many endpoints take each integer value; the gaps are drawn as empty bars
/// when the values span at most 40 integers. `total` receives the number of endpoints.
std::string integer_bars(const std::map<long, long>& counts, const std::string& title,
                         const std::string& x_label, const char* color, long& total) {
  svg::Axis x;
  x.label = x_label;
  svg::Axis y;
  y.label = "endpoints (count)";
  y.integer_ticks = true;
  svg::Plot p(title, x, y);
  std::vector<std::string> cats;
  std::vector<double> v;
  total = 0;
  const long lo = counts.begin()->first, hi = counts.rbegin()->first;
  if (hi - lo <= 40) {
    for (long i = lo; i <= hi; ++i) {
      const auto it = counts.find(i);
      cats.push_back(std::to_string(i));
      v.push_back(it == counts.end() ? 0.0 : double(it->second));
    }
  } else {
    for (const auto& [val, k] : counts) {
      cats.push_back(std::to_string(val));
      v.push_back(double(k));
    }
  }
  for (const auto& kv : counts) total += kv.second;
  p.set_categories(cats);
  p.add_bars("endpoints", color, v);
  return p.render();
}

std::string figure(const std::string& svg_text, const std::string& caption_html) {
  return "<figure>\n" + svg_text + "\n<figcaption>" + caption_html + "</figcaption>\n</figure>\n";
}

std::string class_table_html(const Report& r, const Cell& c) {
  std::ostringstream os;
  os << "<table>\n<tr><th>class</th><th class=\"num\">count</th><th class=\"num\">fraction</th>"
        "<th>95% interval</th></tr>\n";
  for (const auto& name : r.classes) {
    const long k = c.count(name);
    const Interval iv = binomial_interval_95(k, c.finished);
    os << "<tr><td>" << esc(name) << "</td><td class=\"num\">" << k << "</td><td class=\"num\">"
       << frac_text(k, c.finished) << "</td><td>" << interval_text(iv)
       << (c.finished ? " (" + iv.method + ")" : std::string()) << "</td></tr>\n";
  }
  os << "<tr><td>finished endpoints</td><td class=\"num\">" << c.finished
     << "</td><td></td><td></td></tr>\n";
  os << "</table>\n";
  return os.str();
}

std::string prediction_html(const Prediction& p) {
  if (!p.present) return "";
  std::ostringstream os;
  if (!p.items.empty()) {
    for (const auto& q : p.items)
      os << "<p class=\"prediction\">" << esc(q.text.empty() ? q.statement + " - " + q.verdict : q.text)
         << "</p>\n";
    return os.str();
  }
  os << "<p class=\"prediction\">";
  if (!p.parsed) {
    os << "prediction present but not valid JSON: <code>" << esc(p.raw) << "</code></p>\n";
    return os.str();
  }
  os << "<strong>predicted:</strong> " << esc(p.statement);
  if (!p.source.empty()) os << " (" << esc(p.source) << ")";
  if (!p.forbids.empty()) {
    os << " — observed " << p.k << " of " << p.n << " (" << esc(forbids_text(p)) << "; rate &lt; "
       << g3(p.iv.hi) << " at 95%) — <span class=\"verdict\">" << p.verdict << "</span>";
  }
  os << "</p>\n";
  return os.str();
}

/// The y axis of the class-fraction charts: 0 to 1.
svg::Axis fraction_axis() {
  svg::Axis y;
  y.label = "fraction of finished endpoints";
  y.fixed_range = true;
  y.lo = 0;
  y.hi = 1;
  return y;
}

std::string class_bars_svg(const Report& r, const Cell& c) {
  svg::Axis x;
  x.label = "endpoint class";
  svg::Plot p("Class fractions with 95% intervals", x, fraction_axis());
  std::vector<std::string> cats;
  std::vector<double> v, lo, hi;
  for (const auto& name : r.classes) {
    const long k = c.count(name);
    const Interval iv = binomial_interval_95(k, c.finished);
    cats.push_back(human_class(name));
    v.push_back(fraction(k, c.finished));
    lo.push_back(iv.lo);
    hi.push_back(iv.hi);
  }
  p.set_categories(cats);
  p.add_bars("fraction", svg::kBlue, v, lo, hi);
  if (c.finished == 0) p.set_empty_message("no finished endpoints");
  return p.render();
}

std::string cell_section_html(const Report& r, const Cell& c) {
  std::ostringstream os;
  os << "<h2 id=\"cell-" << c.cell_index << "\">" << esc(cell_title(c)) << "</h2>\n";
  os << "<p>" << esc(c.family) << " network, dims " << esc(c.dims);
  if (c.slope) os << ", slope α = " << g3(*c.slope);
  os << "; data n = " << c.n << " (x_rank " << c.x_rank << ", y_rank " << c.y_rank << ", y "
     << esc(c.y_kind) << ", noise " << g3(c.noise) << "); " << esc(c.optimizer) << ", lr "
     << g3(c.lr) << ", " << esc(c.precision) << ", init scale " << g3(c.init_scale) << "; "
     << c.param_count << " parameters; " << c.networks << " networks planned, status "
     << esc(c.status) << ".<br>Global loss L* = "
     << (c.global_loss ? fmt("%.10g", *c.global_loss) : std::string("not yet known"))
     << (c.global_loss_kind ? " (" + esc(*c.global_loss_kind) + ")" : "") << "; loss scale "
     << g3(c.loss_scale) << "; relative tolerances: gradient " << g3(c.grad_rtol) << ", loss "
     << g3(c.loss_rtol) << ", eigenvalue " << g3(c.eig_rtol) << ".</p>\n";
  os << "<p>" << c.endpoints << " endpoints stored: " << c.finished << " finished, " << c.unfinished
     << " unfinished (class not yet assigned; excluded from every fraction below).</p>\n";

  os << "<h3>Classes</h3>\n" << class_table_html(r, c) << prediction_html(c.prediction);

  // Figures.
  if (c.finished > 0)
    os << figure(class_bars_svg(r, c),
                 "Fraction of the " + std::to_string(c.finished) +
                     " finished endpoints in each class; error bars are 95% intervals (Wilson, "
                     "or exact Clopper–Pearson at 0 or n).");
  else
    os << "<p class=\"note\">No finished endpoints yet: no class fractions.</p>\n";

  if (c.gap_n > 0) {
    svg::Axis x;
    x.label = "loss gap L − L* (log scale, loss units)";
    x.scale = svg::Scale::log10;
    svg::Axis y;
    y.label = "endpoints (count)";
    y.integer_ticks = true;
    svg::Plot p("Distance to the global optimum", x, y);
    std::vector<double> edges, heights;
    for (double e : c.gap_hist.edges) edges.push_back(std::pow(10.0, e));
    for (long k : c.gap_hist.counts) heights.push_back(double(k));
    p.add_histogram(edges, heights, "", svg::kGreen);
    os << figure(p.render(),
                 "Histogram of log<sub>10</sub>(L − L*) over " + std::to_string(c.gap_n) +
                     " finished endpoints with a finite loss; L* = " +
                     (c.global_loss ? fmt("%.6g", *c.global_loss) : std::string("?")) +
                     ". Gaps ≤ 10<sup>−16</sup> (including gaps ≤ 0 from rounding) are clamped "
                     "to the floor 10<sup>−16</sup>: " +
                     std::to_string(c.gap_clamped) + " endpoint(s).");
  } else {
    os << "<p class=\"note\">No loss-gap histogram: "
       << (c.global_loss ? "no finished endpoint has a finite loss."
                         : "the global loss L* is not yet known for this cell.")
       << "</p>\n";
  }

  if (c.lmin_n > 0) {
    os << figure(symlog_histogram("Distribution of λ_min", "smallest Hessian eigenvalue λ_min (signed log scale)",
                                  "endpoints (count)", c.lmin_linthresh, c.lmin_hist, svg::kBlue),
                 "Histogram of the smallest Hessian eigenvalue at " + std::to_string(c.lmin_n) +
                     " finished endpoints. Signed-log axis sign(λ)·log<sub>10</sub>(1 + |λ|/c): "
                     "linear for |λ| ≲ c = " +
                     g3(c.lmin_linthresh) +
                     " (eigenvalue tolerance × max(1, max|λ|)), logarithmic beyond.");
  } else {
    os << "<p class=\"note\">No λ_min values stored for this cell.</p>\n";
  }

  if (!c.n_negative.empty()) {
    long total = 0;
    const std::string fig = integer_bars(c.n_negative, "Negative eigenvalues per endpoint",
                                         "number of negative Hessian eigenvalues", svg::kVermillion, total);
    os << figure(fig, "Number of Hessian eigenvalues below −eig_tol·max(1, max|λ|), over " +
                          std::to_string(total) + " finished endpoints with a spectrum summary.");
  }

  if (c.spectra.eigenvalues > 0) {
    const Spectra& s = c.spectra;
    os << figure(symlog_histogram("Pooled Hessian spectral density", "Hessian eigenvalue λ (signed log scale)",
                                  "eigenvalues (count)", s.linthresh, s.hist, svg::kPurple),
                 "All " + std::to_string(s.eigenvalues) + " Hessian eigenvalues of the " +
                     std::to_string(s.networks) +
                     " endpoints with a stored spectrum, pooled (range " + g3(s.min) + " to " +
                     g3(s.max) + "). Signed-log axis: linear for |λ| ≲ c = " + g3(s.linthresh) +
                     ", logarithmic beyond." +
                     (s.nonfinite ? " " + std::to_string(s.nonfinite) + " non-finite skipped."
                                  : std::string()));
  } else {
    os << "<p class=\"note\">Spectral density: no spectra stored for this cell.</p>\n";
  }

  if (!c.curves.steps.empty()) {
    const Curves& cv = c.curves;
    svg::Axis x;
    x.label = "training step (optimizer iterations)";
    x.integer_ticks = true;
    svg::Axis y;
    y.label = "loss L (log scale)";
    y.scale = svg::Scale::log10;
    svg::Plot p("Training-loss curves", x, y);
    p.add_band(cv.steps, cv.q10, cv.q90, "10–90% of networks", svg::kSkyBlue);
    p.add_line(cv.steps, cv.q50, "median", svg::kBlue);
    if (c.global_loss && *c.global_loss > 0)
      p.add_line({cv.steps.front(), cv.steps.back()}, {*c.global_loss, *c.global_loss},
                 "global optimum L*", svg::kBlack, true);
    std::string cap = "Median and 10–90% quantile band of the training loss over " +
                      std::to_string(cv.used) + " curve(s)";
    if (cv.used < cv.total)
      cap += " (the first " + std::to_string(cv.used) + " of " + std::to_string(cv.total) +
             " by network index)";
    cap +=
        "; step = k·every. A network that stopped early holds its last recorded loss; "
        "non-finite losses are left out.";
    if (cv.clamped)
      cap += " Losses ≤ 0 of " + std::to_string(cv.clamped) +
             " curve(s) are drawn at the smallest positive loss, " + g3(cv.floor) + ".";
    os << figure(p.render(), cap);
  } else {
    os << "<p class=\"note\">No training curves stored for this cell.</p>\n";
  }

  if (!c.excess_degeneracy.empty()) {
    long total = 0;
    const std::string fig = integer_bars(c.excess_degeneracy, "Excess degeneracy",
                                         "excess degeneracy (near-zero eigenvalues − orbit dimension)",
                                         svg::kOrange, total);
    os << figure(fig, "Histogram of excess_degeneracy = n_near_zero − orbit_dim over " +
                          std::to_string(total) + " finished endpoints at a critical point (not_critical "
                          "and diverged ones left out).");
  }

  os << "<h3>Tolerance sensitivity</h3>\n<p class=\"note\">Counts of each class when every "
        "classification tolerance is multiplied by 0.1 and by 10.</p>\n";
  os << "<table>\n<tr><th>class</th><th class=\"num\">tolerances ×0.1</th><th "
        "class=\"num\">nominal</th><th class=\"num\">tolerances ×10</th></tr>\n";
  for (const auto& name : tolerance_classes(r, c))
    os << "<tr><td>" << esc(name) << "</td><td class=\"num\">" << get(c.counts_lo, name)
       << "</td><td class=\"num\">" << c.count(name) << "</td><td class=\"num\">"
       << get(c.counts_hi, name) << "</td></tr>\n";
  if (c.tol_lo_missing || c.tol_hi_missing)
    os << "<tr><td>(not recorded)</td><td class=\"num\">" << c.tol_lo_missing
       << "</td><td class=\"num\">—</td><td class=\"num\">" << c.tol_hi_missing << "</td></tr>\n";
  os << "</table>\n";

  os << "<h3>Local openness</h3>\n";
  if (c.open_n) {
    const Interval iv = binomial_interval_95(c.open_yes, c.open_n);
    os << "<p>locally_open = 1 at " << c.open_yes << " of " << c.open_n
       << " endpoints where it was decided (N&amp;R Thm 2 / Behrends): "
       << frac4(fraction(c.open_yes, c.open_n)) << ", 95% interval " << interval_text(iv)
       << ".</p>\n";
  } else {
    os << "<p class=\"note\">locally_open is not recorded for this cell.</p>\n";
  }
  return os.str();
}

std::string report_html(const Report& r) {
  const RunInfo& u = r.run;
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
     << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
     << "<title>landscape report — run " << u.run_id << "</title>\n<style>" << kCss
     << "</style>\n</head>\n<body>\n";
  os << "<h1>Loss-landscape report — run " << u.run_id << "</h1>\n";
  os << "<p class=\"note\">Database <code>" << esc(r.db_path) << "</code>, schema version "
     << kSchemaVersion << "; generated by landscape " << LANDSCAPE_VERSION
     << ". Loss L = ½‖F(W) − Y‖²<sub>F</sub> (no division by n). Fractions are of finished "
        "endpoints; 95% intervals are Wilson score intervals, or exact Clopper–Pearson at 0 or "
        "n. Every number shown is also in report.json and the CSV files next to this page.</p>\n";
  for (const auto& w : r.warnings) os << "<p class=\"warning\">warning: " << esc(w) << "</p>\n";

  os << "<h2 id=\"run\">Run</h2>\n<table>\n";
  auto kv = [&](const std::string& k, const std::string& v_html) {
    os << "<tr><th scope=\"row\">" << k << "</th><td>" << v_html << "</td></tr>\n";
  };
  kv("config_hash", "<code>" + esc(u.config_hash) + "</code>");
  kv("version", esc(u.version));
  kv("backend", esc(u.backend));
  kv("device", esc(u.device));
  kv("started", esc(u.started_at));
  kv("finished", u.finished_at ? esc(*u.finished_at) : "— (not finished)");
  kv("status", esc(u.status));
  kv("endpoints", std::to_string(u.endpoints));
  kv("time", g3(u.seconds_train) + " s training + " + g3(u.seconds_analyze) + " s analysis");
  kv("throughput", u.throughput ? g3(*u.throughput) +
                                      " networks/s (endpoints / (train + analyze "
                                      "seconds))"
                                : std::string("n/a (no timing recorded)"));
  os << "</table>\n<h3>Configuration</h3>\n<pre>" << esc(u.config_text) << "</pre>\n";

  os << "<h2 id=\"across\">Across cells</h2>\n<p class=\"note\">Fraction of finished endpoints "
        "in each class.</p>\n<div class=\"wide\"><table>\n<tr><th class=\"num\">cell</th>"
        "<th>label</th><th class=\"num\">networks</th><th class=\"num\">finished</th>"
        "<th class=\"num\">unfinished</th>";
  for (const auto& name : r.classes)
    os << "<th class=\"num\" title=\"" << esc(name) << "\">" << esc(human_class(name)) << "</th>";
  os << "<th>prediction</th></tr>\n";
  for (const Cell& c : r.cells) {
    os << "<tr><td class=\"num\"><a href=\"#cell-" << c.cell_index << "\">" << c.cell_index
       << "</a></td><td>" << esc(c.label) << "</td><td class=\"num\">" << c.networks
       << "</td><td class=\"num\">" << c.finished << "</td><td class=\"num\">" << c.unfinished
       << "</td>";
    for (const auto& name : r.classes)
      os << "<td class=\"num\">" << frac_text(c.count(name), c.finished) << "</td>";
    os << "<td>" << (c.prediction.verdict.empty() ? "—" : c.prediction.verdict) << "</td></tr>\n";
  }
  os << "</table></div>\n";
  if (!r.cells.empty()) {
    svg::Axis x;
    x.label = "cell";
    svg::Plot p("Class fractions by cell (95% intervals)", x, fraction_axis());
    p.set_size(
        std::clamp(200.0 + 60.0 * double(r.cells.size() * r.classes.size()) / 2.0, 560.0, 1150.0),
        380);
    std::vector<std::string> cats;
    for (const Cell& c : r.cells) cats.push_back(std::to_string(c.cell_index) + ": " + c.label);
    p.set_categories(cats);
    for (const auto& name : r.classes) {
      std::vector<double> v, lo, hi;
      for (const Cell& c : r.cells) {
        const long k = c.count(name);
        const Interval iv = binomial_interval_95(k, c.finished);
        const double nan = std::nan("");  // cells without finished endpoints draw no bar
        v.push_back(c.finished ? fraction(k, c.finished) : nan);
        lo.push_back(c.finished ? iv.lo : nan);
        hi.push_back(c.finished ? iv.hi : nan);
      }
      p.add_bars(human_class(name), class_colour(name), v, lo, hi);
    }
    os << "<figure style=\"width:auto\">\n"
       << p.render()
       << "\n<figcaption>Fraction of finished endpoints per class and cell; error bars are 95% "
          "intervals.</figcaption>\n</figure>\n";
  }

  for (const Cell& c : r.cells) os << cell_section_html(r, c);
  os << "</body>\n</html>\n";
  return os.str();
}

}  // namespace

void write_report(const ReportOptions& opt) {
  const Report rep = read_report(opt.db_path);
  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  if (ec) throw Error(opt.out_dir + ": cannot create output directory: " + ec.message());
  const std::filesystem::path dir(opt.out_dir);
  auto put = [&](const char* name, const std::string& text) {
    write_file_atomic((dir / name).string(), text);
  };
  put("classes.csv", classes_csv(rep));
  put("cells.csv", cells_csv(rep));
  put("tolerance_sensitivity.csv", tolerance_csv(rep));
  put("histograms.csv", histograms_csv(rep));
  put("integer_counts.csv", integer_counts_csv(rep));
  put("spectral_density.csv", spectral_csv(rep));
  put("curves.csv", curves_csv(rep));
  put("report.json", report_json(rep).dump(2) + "\n");
  put("summary.md", summary_md(rep));
  put("table.tex", table_tex(rep));
  put("report.html", report_html(rep));  // last: its presence means the set is complete
}

}  // namespace landscape
