// The report's data files: classes.csv, cells.csv, tolerance_sensitivity.csv, histograms.csv,
// integer_counts.csv, spectral_density.csv, curves.csv and report.json (data_files.hpp).
#include "data_files.hpp"

#include <cmath>
#include <cstdint>
#include <sstream>

#include "format.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/schema.hpp"

#ifndef LANDSCAPE_VERSION
#define LANDSCAPE_VERSION "unknown"
#endif

namespace landscape::report {
namespace {

using json = nlohmann::json;

/// The columns every data file starts with: the cell, its label and one sweep_<name> column
/// per swept variable (empty where a cell did not sweep it).
std::string prefix(const Report& r, const Cell& c) {
  std::string p = std::to_string(r.run.run_id) + "," + std::to_string(c.cell_id) + "," +
                  std::to_string(c.cell_index) + "," + csv_field(c.label);
  for (const auto& name : r.sweep) p += "," + csv_field(swept_text(c, name));
  return p;
}
std::string prefix_header(const Report& r) {
  std::string h = "run_id,cell_id,cell_index,label";
  for (const auto& name : r.sweep) h += ",sweep_" + name;
  return h;
}

void hist_rows(std::ostringstream& os, const std::string& pre, const std::string& quantity,
               const Hist& hh) {
  for (std::size_t i = 0; i < hh.counts.size(); ++i)
    os << pre << "," << quantity << "," << full(hh.edges[i]) << "," << full(hh.edges[i + 1]) << ","
       << hh.counts[i] << "\n";
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

json run_json(const RunInfo& u) {
  return {{"run_id", u.run_id},
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
}

/// The cell's settings and endpoint totals, as stored.
json cell_settings_json(const Cell& c) {
  json cj;
  cj["cell_id"] = c.cell_id;
  cj["cell_index"] = c.cell_index;
  cj["label"] = c.label;
  cj["swept"] = swept_to_json(c.swept);
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
  return cj;
}

json classes_json(const Report& r, const Cell& c) {
  json classes = json::object();
  for (const auto& name : r.classes) {
    const long k = c.count(name);
    classes[name] = {
        {"count", k},
        {"fraction", c.finished ? json(fraction(k, c.finished)) : json(nullptr)},
        {"ci95", c.finished ? interval_json(binomial_interval_95(k, c.finished)) : json(nullptr)}};
  }
  return classes;
}

json tolerance_json(const Report& r, const Cell& c) {
  json tol = json::object();
  for (const auto& name : tolerance_classes(r, c))
    tol[name] = {{"tol_x0.1", get(c.counts_lo, name)},
                 {"nominal", c.count(name)},
                 {"tol_x10", get(c.counts_hi, name)}};
  return {{"counts", tol},
          {"not_recorded_x0.1", c.tol_lo_missing},
          {"not_recorded_x10", c.tol_hi_missing}};
}

json prediction_json(const Prediction& p) {
  if (!p.present()) return nullptr;
  json pj = {{"raw", p.raw},
             {"parsed", p.parsed()},
             {"statement", prediction_statement(p)},
             {"source", prediction_source(p)},
             {"forbids", prediction_forbids(p)},
             {"text", prediction_text(p)}};
  if (p.is_list() && !p.items.empty()) {
    pj["verdict"] = prediction_verdict(p);
    pj["items"] = json::array();
    for (const auto& o : p.items)
      pj["items"].push_back({{"statement", o.claim.statement},
                             {"source", o.claim.source},
                             {"forbids", claim_forbids(o.claim)},
                             {"observed", o.count},
                             {"n", o.in_scope},
                             {"ci95", interval_json(o.ci)},
                             {"verdict", item_verdict(p, o)},
                             {"text", item_text(p, o)}});
  }
  if (p.checks_classes()) {
    const Observation& o = p.items[0];
    pj["observed"] = o.count;
    pj["n"] = o.in_scope;
    pj["ci95"] = interval_json(o.ci);
    pj["rate_upper95"] = o.ci.hi;
    pj["verdict"] = prediction_verdict(p);
  }
  return pj;
}

/// Loss gaps, λ_min, negative-eigenvalue and excess-degeneracy counts, local openness.
void add_distributions_json(const Cell& c, json& cj) {
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
}

json spectra_json(const Spectra& s) {
  return {{"networks", s.networks},
          {"eigenvalues", s.eigenvalues},
          {"nonfinite_skipped", s.nonfinite},
          {"malformed_skipped", s.malformed},
          {"min", s.eigenvalues ? json(s.min) : json(nullptr)},
          {"max", s.eigenvalues ? json(s.max) : json(nullptr)},
          {"symlog_linthresh", s.linthresh},
          {"histogram", hist_json(s.hist)}};
}

json curves_json(const Curves& cv) {
  json q10 = json::array(), q50 = json::array(), q90 = json::array();
  for (std::size_t i = 0; i < cv.steps.size(); ++i) {
    q10.push_back(num_or_null(cv.q10[i]));
    q50.push_back(num_or_null(cv.q50[i]));
    q90.push_back(num_or_null(cv.q90[i]));
  }
  return {{"total", cv.total},
          {"used", cv.used},
          {"malformed", cv.malformed},
          {"curves_with_nonpositive_loss_clamped", cv.clamped},
          {"clamp_floor", cv.floor},
          {"steps", cv.steps},
          {"n_curves", cv.n_at},
          {"q10", q10},
          {"median", q50},
          {"q90", q90}};
}

json verdicts_json(const Verdicts& v) {
  return {{"with_dynamics", v.with_dynamics},
          {"on_plateau", v.plateau},
          {"still_descending", v.descending},
          {"escape_step", {{"count", v.escaped},
                           {"q10", num_or_null(v.escape_q10)},
                           {"median", num_or_null(v.escape_median)},
                           {"q90", num_or_null(v.escape_q90)}}},
          {"refinement", {{"refined", v.refined},
                          {"changed", v.refine_changed},
                          {"raw_verdict", v.refined ? json(v.raw_verdict) : json(nullptr)},
                          {"refined_verdict", v.refined ? json(v.refined_verdict) : json(nullptr)},
                          {"verdict_flips", v.verdict_flips}}},
          {"certified", {{"global_minimum", v.global_certified},
                         {"global_minimum_n", v.global_minima},
                         {"spurious_local_minimum", v.spurious_certified},
                         {"spurious_local_minimum_n", v.spurious_minima}}}};
}

json cell_json(const Report& r, const Cell& c) {
  json cj = cell_settings_json(c);
  cj["classes"] = classes_json(r, c);
  cj["tolerance_sensitivity"] = tolerance_json(r, c);
  cj["prediction"] = prediction_json(c.prediction);
  add_distributions_json(c, cj);
  cj["spectra"] = spectra_json(c.spectra);
  cj["curves"] = curves_json(c.curves);
  cj["verdicts"] = verdicts_json(c.verdicts);
  return cj;
}

}  // namespace

std::string classes_csv(const Report& r) {
  std::ostringstream os;
  os << prefix_header(r) << ",class,count,n,fraction,ci95_lo,ci95_hi,ci_method\n";
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
  os << prefix_header(r)
     << ",family,dims,networks,endpoints,finished,unfinished,global_loss,global_loss_kind,"
        "locally_open_yes,locally_open_n,locally_open_fraction,locally_open_ci95_lo,"
        "locally_open_ci95_hi,prediction_statement,prediction_source,prediction_forbids,"
        "forbidden_count,forbidden_rate_upper95,verdict,loss_gaps,loss_gaps_clamped,"
        "loss_gap_floor,spectra_networks,spectra_eigenvalues,curves_total,curves_used\n";
  for (const Cell& c : r.cells) {
    const Interval lo = binomial_interval_95(c.open_yes, c.open_n);
    const Prediction& p = c.prediction;
    const bool pf = p.checks_classes();
    os << prefix(r, c) << "," << csv_field(c.family) << "," << csv_field(c.dims) << ","
       << c.networks << "," << c.endpoints << "," << c.finished << "," << c.unfinished << ","
       << (c.global_loss ? full(*c.global_loss) : "") << ","
       << csv_field(c.global_loss_kind.value_or("")) << "," << c.open_yes << "," << c.open_n << ","
       << (c.open_n ? full(fraction(c.open_yes, c.open_n)) : "") << ","
       << (c.open_n ? full(lo.lo) : "") << "," << (c.open_n ? full(lo.hi) : "") << ","
       << csv_field(prediction_statement(p)) << "," << csv_field(prediction_source(p)) << ","
       << csv_field(forbids_text(p)) << "," << (pf ? std::to_string(p.items[0].count) : "") << ","
       << (pf ? full(p.items[0].ci.hi) : "") << "," << prediction_verdict(p) << "," << c.gap_n << "," << c.gap_clamped << "," << full(kGapFloor) << ","
       << c.spectra.networks << "," << c.spectra.eigenvalues << "," << c.curves.total << ","
       << c.curves.used << "\n";
  }
  return os.str();
}

std::string tolerance_csv(const Report& r) {
  std::ostringstream os;
  os << prefix_header(r) << ",class,count_tol_x0.1,count_nominal,count_tol_x10\n";
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

std::string histograms_csv(const Report& r) {
  std::ostringstream os;
  os << prefix_header(r) << ",quantity,bin_lo,bin_hi,count\n";
  for (const Cell& c : r.cells) {
    hist_rows(os, prefix(r, c), "log10_loss_gap", c.gap_hist);
    hist_rows(os, prefix(r, c), "lambda_min", c.lmin_hist);
  }
  return os.str();
}

std::string integer_counts_csv(const Report& r) {
  std::ostringstream os;
  os << prefix_header(r) << ",quantity,value,count\n";
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
  os << prefix_header(r) << ",linthresh,bin_lo,bin_hi,count\n";
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
  os << prefix_header(r) << ",step,n_curves,loss_q10,loss_median,loss_q90\n";
  for (const Cell& c : r.cells) {
    const Curves& cv = c.curves;
    for (std::size_t i = 0; i < cv.steps.size(); ++i)
      os << prefix(r, c) << "," << std::int64_t(cv.steps[i]) << "," << cv.n_at[i] << ","
         << full(cv.q10[i]) << "," << full(cv.q50[i]) << "," << full(cv.q90[i]) << "\n";
  }
  return os.str();
}

std::string slices_csv(const Report& r) {
  std::ostringstream os;
  os << prefix_header(r) << ",net_index,class,direction,t,loss\n";
  for (const Cell& c : r.cells)
    for (const EndpointSlice& s : c.slices)
      for (std::size_t i = 0; i < s.t.size(); ++i)
        os << prefix(r, c) << "," << s.net_index << "," << s.cls << "," << s.direction << ","
           << full(s.t[i]) << "," << full(s.loss[i]) << "\n";
  return os.str();
}

json report_json(const Report& r) {
  json j;
  j["program"] = {{"name", "landscape"}, {"version", LANDSCAPE_VERSION}};
  j["database"] = r.db_path;
  j["schema_version"] = kSchemaVersion;
  j["run"] = run_json(r.run);
  j["classes_shown"] = r.classes;
  j["swept_variables"] = r.sweep;
  j["loss_gap_floor"] = kGapFloor;
  j["max_curves_per_cell"] = kMaxCurves;
  j["warnings"] = r.warnings;
  json cells = json::array();
  for (const Cell& c : r.cells) cells.push_back(cell_json(r, c));
  j["cells"] = cells;
  return j;
}

}  // namespace landscape::report
