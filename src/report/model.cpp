// The report's data model read from a results database: the run, its cells, class counts,
// histograms, spectra and training-curve quantiles (model.hpp).
#include "model.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/schema.hpp"
#include "landscape/io/sqlite.hpp"
#include "landscape/report/svg.hpp"

namespace landscape::report {
namespace {

using json = nlohmann::json;

/// Points on the step axis of the curve quantiles.
constexpr std::size_t kCurvePoints = 300;
/// The narrowest histogram ranges: half a decade of log10(L − L*), and 0.2 on a symlog axis
/// (a factor 1.6 in |x| beyond the linear threshold).
constexpr double kMinSpanDecades = 0.5, kMinSpanSymlog = 0.2;

const std::vector<std::string> kClassOrder = {
    "diverged",          "not_critical",           "global_minimum", "strict_saddle",
    "non_strict_saddle", "spurious_local_minimum", "degenerate"};
const std::set<std::string> kAlwaysShown = {"global_minimum", "strict_saddle", "non_strict_saddle",
                                            "spurious_local_minimum"};

/// A missing path is refused before SQLite sees it (read-only opening never creates a file, but
/// SQLite's message would not say what was expected); Database refuses a directory.
void check_is_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw Error(path + ": no such file (expected a landscape results database)");
}

/// Bins uniform in the coordinate t = x (linthresh = 0) or t = symlog(x, linthresh); edges are
/// reported in x units. A range narrower than `min_span` (in t) is widened to it about its
/// centre, so that nearly equal values make one visible bar rather than bins too thin to draw;
/// a range that holds t = 0 gets a bin centred on 0, so that a spike at zero sits on zero.
class Binner {
 public:
  Binner(double xlo, double xhi, int bins, double linthresh, double min_span)
      : m_bins(bins), m_linthresh(linthresh), m_tlo(fwd(xlo)), m_thi(fwd(xhi)) {
    if (!(m_thi - m_tlo >= min_span)) {
      const double mid = (m_tlo + m_thi) / 2;
      m_tlo = mid - min_span / 2;
      m_thi = mid + min_span / 2;
      m_bins += 1 - m_bins % 2;  // odd: the values' centre is a bin's centre, not an edge
    }
    if (m_tlo < 0 && m_thi > 0) {
      const double w = (m_thi - m_tlo) / double(bins);
      m_tlo = w * (std::floor(m_tlo / w + 0.5) - 0.5);
      m_bins = int(std::ceil((m_thi - m_tlo) / w - 1e-9));
      m_thi = m_tlo + w * double(m_bins);
    }
    m_hist.counts.assign(std::size_t(m_bins), 0);
    for (int i = 0; i <= m_bins; ++i)
      m_hist.edges.push_back(inv(m_tlo + (m_thi - m_tlo) * double(i) / double(m_bins)));
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

RunInfo read_run(Database& db, long run_id) {
  Statement any(db, "SELECT COUNT(*) FROM runs");
  any.step();
  if (any.integer(0) == 0) throw Error(db.path() + ": no runs in the database");
  RunInfo r;
  if (run_id > 0) {
    // The run asked for: it must exist and have endpoints; the message lists those that do.
    Statement with(db,
                   "SELECT DISTINCT c.run_id FROM cells c WHERE EXISTS "
                   "(SELECT 1 FROM endpoints e WHERE e.cell_id = c.cell_id) ORDER BY c.run_id");
    std::string ids;
    bool found = false;
    while (with.step()) {
      ids += (ids.empty() ? "" : ", ") + std::to_string(with.int64(0));
      found = found || with.int64(0) == run_id;
    }
    if (!found)
      throw Error(db.path() + ": --run " + std::to_string(run_id) +
                  ": no such run with endpoints (runs with endpoints: " +
                  (ids.empty() ? std::string("none") : ids) + ")");
    r.run_id = run_id;
  } else {
    Statement newest(db,
                     "SELECT MAX(c.run_id) FROM cells c WHERE EXISTS "
                     "(SELECT 1 FROM endpoints e WHERE e.cell_id = c.cell_id)");
    newest.step();
    if (newest.is_null(0)) throw Error(db.path() + ": no run has any endpoints yet");
    r.run_id = newest.int64(0);
  }
  Statement st(db,
               "SELECT config_text, config_hash, version, backend, device, started_at, "
               "finished_at, status, seconds_train, seconds_analyze FROM runs WHERE run_id = ?");
  st.bind(r.run_id);
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
  cnt.bind(r.run_id);
  cnt.step();
  r.endpoints = cnt.integer(0);
  const double secs = r.seconds_train + r.seconds_analyze;
  if (secs > 0) r.throughput = double(r.endpoints) / secs;
  return r;
}

/// The older prediction object {"statement", "source", "forbids"} as a claim, of kind forbids
/// when it names classes; a field of the wrong type is skipped.
Claim single_claim(const json& j) {
  Claim c;
  if (j.contains("statement") && j["statement"].is_string())
    c.statement = j["statement"].get<std::string>();
  if (j.contains("source") && j["source"].is_string()) c.source = j["source"].get<std::string>();
  if (j.contains("forbids") && j["forbids"].is_array())
    for (const auto& f : j["forbids"])
      if (f.is_string()) c.classes.push_back(f.get<std::string>());
  c.kind = c.classes.empty() ? ClaimKind::none : ClaimKind::forbids;
  return c;
}

/// cells.prediction read with io/codec: an array is an observation list when its items carry a
/// verdict, a claim list otherwise; an object is the older single claim.
Prediction read_prediction(const std::optional<std::string>& text) {
  using Form = Prediction::Form;
  Prediction p;
  if (!text) return p;
  p.raw = *text;
  try {
    const json j = json::parse(*text);
    if (j.is_array()) {
      const bool observed = !j.empty() && j.front().is_object() && j.front().contains("verdict");
      if (observed) {
        p.items = j.get<std::vector<Observation>>();
      } else {
        for (Claim& c : j.get<std::vector<Claim>>()) {
          Observation o;
          o.claim = std::move(c);
          p.items.push_back(std::move(o));
        }
      }
      p.form = observed ? Form::observations : Form::claims;
    } else if (j.is_object()) {
      p.items.assign(1, Observation{});
      p.items[0].claim = single_claim(j);
      p.form = Form::single;
    } else {
      throw std::runtime_error("not a JSON object");
    }
  } catch (const std::exception& e) {
    p.form = Form::invalid;
    p.parse_error = e.what();
    p.items.clear();
  }
  return p;
}

/// The older single claim is checked here: every finished endpoint is in its scope.
void observe_single_claim(Cell& c) {
  if (!c.prediction.checks_classes()) return;
  Observation& o = c.prediction.items[0];
  for (const auto& f : o.claim.classes) o.count += c.count(f);
  o.in_scope = c.finished;
  o.ci = binomial_interval_95(o.count, o.in_scope);
  o.verdict = o.count == 0 ? Verdict::consistent : Verdict::inconsistent;
}

void read_endpoints(Database& db, Cell& c) {
  Statement st(db,
               "SELECT class, class_tol_lo, class_tol_hi, loss, lambda_min, lambda_max, "
               "n_negative, excess_degeneracy, locally_open FROM endpoints WHERE cell_id = ?");
  st.bind(c.cell_id);
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
    if (const auto ed = st.opt_integer(7); ed && st.text(0) != "not_critical")
      ++c.excess_degeneracy[*ed];
    if (const auto op = st.opt_integer(8)) {
      ++c.open_n;
      if (*op != 0) ++c.open_yes;
    }
  }
  c.gap_n = long(gaps.size());
  if (!gaps.empty()) {
    const auto [mn, mx] = std::minmax_element(gaps.begin(), gaps.end());
    c.gap_lo = *mn;
    c.gap_hi = *mx;
    Binner b(*mn, *mx, bin_count(c.gap_n, 5, 40), 0, kMinSpanDecades);
    for (double g : gaps) b.add(g);
    c.gap_hist = b.hist();
  }
  c.lmin_n = long(lmins.size());
  const double eig_rtol = c.eig_rtol > 0 ? c.eig_rtol : 1e-6;
  c.lmin_linthresh = eig_rtol * std::max(1.0, max_abs_eig);
  if (!lmins.empty()) {
    const auto [mn, mx] = std::minmax_element(lmins.begin(), lmins.end());
    c.lmin_lo = *mn;
    c.lmin_hi = *mx;
    Binner b(*mn, *mx, bin_count(c.lmin_n, 5, 40), c.lmin_linthresh, kMinSpanSymlog);
    for (double v : lmins) b.add(v);
    c.lmin_hist = b.hist();
  }
}

/// The cell's stored slices; a database written before the table existed has none.
void read_slices(Database& db, Cell& c, std::vector<std::string>& warnings) {
  if (!has_table(db, "slices")) return;
  Statement st(db, "SELECT s.net_index, e.class, s.direction, s.t, s.losses FROM slices s "
                   "JOIN endpoints e ON e.cell_id = s.cell_id AND e.net_index = s.net_index "
                   "WHERE s.cell_id = ? ORDER BY s.net_index, s.direction");
  st.bind(c.cell_id);
  long bad = 0;
  while (st.step()) {
    EndpointSlice s;
    s.net_index = st.integer(0);
    s.cls = st.opt_text(1).value_or("");
    s.direction = st.text(2);
    const auto t = st.doubles(3), l = st.doubles(4);
    if (!t || !l || t->size() != l->size() || t->empty()) {
      ++bad;
      continue;
    }
    s.t = *t;
    s.loss = *l;
    c.slices.push_back(std::move(s));
  }
  if (bad)
    warnings.push_back("cell " + std::to_string(c.cell_index) + ": " + std::to_string(bad) +
                       " stored slice(s) with malformed blobs were skipped");
}

void read_spectra(Database& db, Cell& c, std::vector<std::string>& warnings) {
  Spectra& s = c.spectra;
  Statement st(db, "SELECT net_index, eigenvalues FROM spectra WHERE cell_id = ?");
  st.bind(c.cell_id);
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
  Binner b(s.min, s.max, bin_count(s.eigenvalues, 10, 60), s.linthresh, kMinSpanSymlog);
  st.rewind();
  while (st.step()) {
    const auto ev = st.doubles(1);
    if (!ev) continue;
    for (double v : *ev)
      if (std::isfinite(v)) b.add(v);
  }
  s.hist = b.hist();
}

/// The step grid of the curve quantiles: every recorded step of the finest curve (every `grid`
/// steps up to `max_step`), thinned to kCurvePoints.
std::vector<long> curve_steps(long max_step, long grid) {
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
  return steps;
}

void read_curves(Database& db, Cell& c, std::vector<std::string>& warnings) {
  Curves& cv = c.curves;
  {
    Statement cnt(db, "SELECT COUNT(*) FROM curves WHERE cell_id = ?");
    cnt.bind(c.cell_id);
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
  st.bind(c.cell_id);
  st.bind(kMaxCurves);
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
  const std::vector<long> steps = curve_steps(max_step, grid);
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
}  // namespace

/// The most frequent key (the first in order on a tie); "" for none.
std::string modal(const std::map<std::string, long>& counts) {
  std::string best;
  long k = 0;
  for (const auto& [name, n] : counts)
    if (n > k) best = name, k = n;
  return best;
}

void read_verdicts(Database& db, Cell& c) {
  Statement st(db,
               "SELECT class, raw_class, escape_step, dynamics, certified, "
               "json_extract(details, '$.refined.class_before') FROM endpoints "
               "WHERE cell_id = ? AND class IS NOT NULL");
  st.bind(c.cell_id);
  Verdicts& v = c.verdicts;
  std::vector<double> steps;
  std::map<std::string, long> raw, refined;
  while (st.step()) {
    const std::string cls = st.text(0);
    if (const auto dyn = st.opt_text(3)) {
      ++v.with_dynamics;
      v.plateau += *dyn == "plateau";
      v.descending += *dyn == "descending";
    }
    if (const auto es = st.opt_integer(2)) steps.push_back(double(*es));
    if (const auto before = st.opt_text(5); before && !st.is_null(1)) {
      ++v.refined;
      ++raw[*before];
      ++refined[st.text(1)];
      v.refine_changed += *before != st.text(1);
    }
    const bool cert = st.opt_integer(4).value_or(0) != 0;
    if (cls == "global_minimum") ++v.global_minima, v.global_certified += cert;
    if (cls == "spurious_local_minimum") ++v.spurious_minima, v.spurious_certified += cert;
  }
  v.escaped = long(steps.size());
  if (!steps.empty()) {
    std::sort(steps.begin(), steps.end());
    v.escape_q10 = quantile_sorted(steps, 0.1);
    v.escape_median = quantile_sorted(steps, 0.5);
    v.escape_q90 = quantile_sorted(steps, 0.9);
  }
  v.raw_verdict = modal(raw);
  v.refined_verdict = modal(refined);
  v.verdict_flips = v.refined > 0 && v.raw_verdict != v.refined_verdict;
}

Report read_report(const std::string& db_path, long run_id) {
  check_is_file(db_path);
  Database db(db_path, OpenMode::read_only, 5000);
  check_results_schema(db);
  Transaction snapshot(db);  // one consistent snapshot while a writer may be running
  Report rep;
  rep.db_path = db_path;
  rep.run = read_run(db, run_id);
  Statement st(
      db,
      "SELECT cell_id, cell_index, label, family, dims, slope, n, x_rank, y_rank, "
      "y_kind, noise, optimizer, lr, precision, init_scale, networks, param_count, "
      "global_loss, global_loss_kind, loss_scale, grad_rtol, loss_rtol, eig_rtol, "
      "prediction, status, swept FROM cells WHERE run_id = ? ORDER BY cell_index, cell_id");
  st.bind(rep.run.run_id);
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
    c.prediction = read_prediction(st.opt_text(23));
    c.status = st.text(24);
    try {
      c.swept = parse_swept(st.text(25));
    } catch (const std::exception& e) {
      rep.warnings.push_back("cell " + std::to_string(c.cell_index) +
                             ": swept values are not valid (" + e.what() + "); none shown");
    }
    for (const auto& v : c.swept)
      if (std::find(rep.sweep.begin(), rep.sweep.end(), v.name) == rep.sweep.end())
        rep.sweep.push_back(v.name);
    rep.cells.push_back(std::move(c));
  }
  std::set<std::string> seen;
  for (Cell& c : rep.cells) {
    read_endpoints(db, c);
    read_spectra(db, c, rep.warnings);
    read_curves(db, c, rep.warnings);
    read_verdicts(db, c);
    read_slices(db, c, rep.warnings);
    for (const auto& [name, k] : c.counts)
      if (k > 0) seen.insert(name);
    if (c.prediction.form == Prediction::Form::invalid)
      rep.warnings.push_back("cell " + std::to_string(c.cell_index) +
                             ": prediction is not valid JSON (" + c.prediction.parse_error + ")");
    observe_single_claim(c);
  }
  snapshot.commit();
  for (const auto& name : kClassOrder)
    if (kAlwaysShown.count(name) || seen.count(name)) rep.classes.push_back(name);
  for (const auto& name : seen)  // classes this program does not know, after the known ones
    if (std::find(kClassOrder.begin(), kClassOrder.end(), name) == kClassOrder.end())
      rep.classes.push_back(name);
  return rep;
}

}  // namespace landscape::report
