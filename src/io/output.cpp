// Tables, JSON and CSV for experiments and single points.
#include "landscape/io/output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "landscape/analysis/verdicts.hpp"
#include "landscape/core/common.hpp"
#include "landscape/core/stats.hpp"
#include "landscape/io/codec.hpp"

namespace landscape {
namespace {

using json = nlohmann::json;

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

json tolerances_json(const Tolerances& t, double loss_scale) {
  return {{"grad_rtol", t.grad},
          {"loss_rtol", t.loss},
          {"eig_rtol", t.eig},
          {"kink_rtol", t.kink},
          {"loss_scale", loss_scale},
          {"grad_abs", t.grad * loss_scale},
          {"loss_abs", t.loss * loss_scale},
          {"note", "grad and loss tolerances are relative to loss_scale = max(1, 0.5*||Y||_F^2); "
                   "eigenvalue tolerance is relative to max(1, max|lambda|) of each endpoint"}};
}

std::string opt_bool(const std::optional<bool>& b) { return b ? (*b ? "1" : "0") : ""; }

/// "strict_saddle 45, not_critical 5" (nonzero counts only; "none" when all are zero).
std::string class_counts_text(const std::array<long, kNumClasses>& counts) {
  std::string s;
  for (int c = 0; c < kNumClasses; ++c)
    if (counts[std::size_t(c)] > 0)
      s += (s.empty() ? "" : ", ") + to_string(PointClass(c)) + " " + std::to_string(counts[std::size_t(c)]);
  return s.empty() ? "none" : s;
}

json class_counts_json(const std::array<long, kNumClasses>& counts) {
  json j = json::object();
  for (int c = 0; c < kNumClasses; ++c)
    if (counts[std::size_t(c)] > 0) j[to_string(PointClass(c))] = counts[std::size_t(c)];
  return j;
}

json distribution_json(const Distribution& d) {
  return {{"count", d.count}, {"min", number_to_json(d.min)}, {"q10", number_to_json(d.q10)},
          {"median", number_to_json(d.median)}, {"q90", number_to_json(d.q90)}, {"max", number_to_json(d.max)}};
}

/// The dynamics, refinement-sensitivity and certificate lines of a cell's table.
void format_verdict_lines(const VerdictSummary& v, long n, std::ostream& os) {
  if (v.with_dynamics > 0) {
    os << "\n  dynamics (stopped: " << v.stopped[0] << " converged, " << v.stopped[1] << " out of budget, "
       << v.stopped[2] << " diverged):\n";
    os << "  still on the initial plateau   " << v.on_plateau << " of " << n;
    if (v.on_plateau > 0) os << "  (classed " << class_counts_text(v.plateau_classes) << ")";
    os << "\n  out of budget, still falling   " << v.still_descending << " of " << n;
    long desc = 0;
    for (long k : v.descending_classes) desc += k;
    if (desc > 0) os << "  (classed " << class_counts_text(v.descending_classes) << ")";
    os << "\n  escape step                    ";
    if (v.escape_step.count > 0)
      os << "median " << fmt("%.6g", v.escape_step.median) << ", 10-90% " << fmt("%.6g", v.escape_step.q10)
         << " to " << fmt("%.6g", v.escape_step.q90) << " (" << v.escape_step.count << " left the plateau)\n";
    else
      os << "none left the plateau\n";
  }
  if (v.refined > 0) {
    os << "\n  refinement sensitivity: " << v.refine_changed << " of " << v.refined
       << " endpoints change second-order class between the raw and the refined point (raw: "
       << class_counts_text(v.raw_classes) << "; refined: " << class_counts_text(v.refined_classes) << ")";
    if (v.verdict_flips)
      os << "\n  VERDICT FLIPS: most endpoints are " << to_string(v.raw_verdict) << " raw, "
         << to_string(v.refined_verdict) << " refined";
    os << "\n";
  }
  if (v.global_minima + v.spurious_minima > 0)
    os << "\n  certified minima (second order, excess degeneracy 0): global_minimum " << v.global_certified << " of "
       << v.global_minima << ", spurious_local_minimum " << v.spurious_certified << " of " << v.spurious_minima
       << "\n";
}

/// "2 consistent, 1 inconclusive": the verdicts of a cell's claims, most serious first.
std::string verdict_counts(const std::vector<Observation>& theory) {
  std::string s;
  for (Verdict v : {Verdict::inconsistent, Verdict::consistent, Verdict::inconclusive, Verdict::no_prediction,
                    Verdict::not_applicable}) {
    long k = 0;
    for (const auto& o : theory) k += o.verdict == v;
    if (k) s += (s.empty() ? "" : ", ") + std::to_string(k) + " " + to_string(v);
  }
  return s.empty() ? "-" : s;
}

/// The union of the cells' swept-variable names, in order of first appearance.
std::vector<std::string> swept_names(const std::vector<SampleResult>& cells) {
  std::vector<std::string> names;
  for (const auto& r : cells)
    for (const auto& v : r.swept)
      if (std::find(names.begin(), names.end(), v.name) == names.end()) names.push_back(v.name);
  return names;
}

/// The text of swept variable `name` in `r`, or "" when the cell did not sweep it.
std::string swept_text(const SampleResult& r, const std::string& name) {
  for (const auto& v : r.swept)
    if (v.name == name) return v.text;
  return "";
}

}  // namespace

std::string format_sample_table(const SampleResult& r, bool theory) {
  std::ostringstream os;
  const long n = long(r.endpoints.size());
  os << "experiment '" << r.config.name << "': " << to_string(r.config.model.family) << " dims [";
  for (std::size_t i = 0; i < r.config.model.dims.size(); ++i)
    os << (i ? ", " : "") << r.config.model.dims[i];
  os << "], n = " << r.data.n << ", " << n << " networks, " << r.config.train.optimizer << " "
     << to_string(r.config.train.precision) << ", backend " << r.backend << " (" << r.device << ")\n";
  os << "loss L = 0.5*||F(W) - Y||_F^2; global optimum L* = " << fmt("%.10g", r.optimum.value)
     << " (" << r.optimum.kind << ")\n\n";
  os << "  class                     count   fraction   95% interval\n";
  os << "  ----------------------  --------  ---------  -----------------------\n";
  for (int c = 0; c < kNumClasses; ++c) {
    const long k = r.counts[std::size_t(c)];
    if (PointClass(c) == PointClass::degenerate && k == 0) continue;  // never a final class
    const Interval iv = binomial_interval_95(k, n);
    char line[160];
    std::snprintf(line, sizeof line, "  %-22s  %8ld  %9.4f  [%.3g, %.3g]%s\n",
                  to_string(PointClass(c)).c_str(), k, n ? double(k) / double(n) : 0.0, iv.lo, iv.hi,
                  iv.method == "clopper-pearson" ? " (exact)" : "");
    os << line;
  }
  std::array<std::array<long, kNumClasses>, 3> by_tol{};
  for (const auto& e : r.endpoints)
    for (int l = 0; l < 3; ++l) ++by_tol[std::size_t(l)][std::size_t(e.cls_by_tol[std::size_t(l)])];
  bool moved = false;
  for (int c = 0; c < kNumClasses; ++c)
    moved = moved || by_tol[0][std::size_t(c)] != by_tol[1][std::size_t(c)] ||
            by_tol[2][std::size_t(c)] != by_tol[1][std::size_t(c)];
  if (moved) {
    os << "\n  tolerance sensitivity (counts at tolerances x0.1 / x1 / x10):\n";
    for (int c = 0; c < kNumClasses; ++c) {
      if (by_tol[0][std::size_t(c)] + by_tol[1][std::size_t(c)] + by_tol[2][std::size_t(c)] == 0) continue;
      char line[160];
      std::snprintf(line, sizeof line, "  %-22s %7ld / %7ld / %7ld\n", to_string(PointClass(c)).c_str(),
                    by_tol[0][std::size_t(c)], by_tol[1][std::size_t(c)], by_tol[2][std::size_t(c)]);
      os << line;
    }
  } else {
    os << "\n  classes unchanged with every tolerance x0.1 and x10\n";
  }
  format_verdict_lines(summarize_verdicts(r.endpoints), n, os);
  if (!r.theory_lines.empty() && theory) {
    os << "\n  theory:\n";
    for (const auto& t : r.theory_lines) os << "  - " << t << "\n";
  } else if (!r.theory.empty()) {
    os << "\n  theory: " << r.theory.size() << " claim(s): " << verdict_counts(r.theory)
       << " (each claim with --verbose, and in the report)\n";
  }
  os << "\ntolerances: grad " << r.config.decide.tol.grad << ", loss " << r.config.decide.tol.loss
     << " (x loss scale " << fmt("%.6g", r.loss_scale) << "), eig " << r.config.decide.tol.eig
     << " (x max(1, max|lambda|))\n";
  os << "time: " << fmt("%.2f", r.seconds_total) << " s total, train " << fmt("%.2f", r.seconds_train)
     << " s, Hessian+eigen " << fmt("%.2f", r.seconds_analyze) << " s\n";
  for (const auto& w : r.warnings) os << "warning: " << w << "\n";
  return os.str();
}

std::string format_sweep_table(const std::vector<SampleResult>& cells) {
  const std::vector<std::string> names = swept_names(cells);
  // Classes that occur somewhere, and spurious minima always (the question most sweeps ask).
  std::vector<int> classes;
  for (int c = 0; c < kNumClasses; ++c) {
    bool any = PointClass(c) == PointClass::spurious_local_minimum;
    for (const auto& r : cells) any = any || r.counts[std::size_t(c)] > 0;
    if (any) classes.push_back(c);
  }
  std::vector<std::string> header = {"cell"};
  for (const auto& n : names) header.push_back(n);
  header.push_back("networks");
  for (int c : classes) header.push_back(to_string(PointClass(c)));
  header.push_back("global fraction [95%]");
  header.push_back("theory");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const SampleResult& r = cells[i];
    const long n = long(r.endpoints.size());
    std::vector<std::string> row = {std::to_string(i)};
    for (const auto& name : names) row.push_back(swept_text(r, name));
    row.push_back(std::to_string(n));
    for (int c : classes) row.push_back(std::to_string(r.counts[std::size_t(c)]));
    const long g = r.counts[std::size_t(PointClass::global_minimum)];
    const Interval iv = binomial_interval_95(g, n);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.3f [%.3g, %.3g]", n ? double(g) / double(n) : 0.0, iv.lo, iv.hi);
    row.push_back(n ? buf : "-");
    row.push_back(verdict_counts(r.theory));
    rows.push_back(std::move(row));
  }
  // Text columns (swept values, the interval, the verdicts) left-aligned, counts right-aligned.
  const std::size_t first_count = 1 + names.size(), last_count = first_count + classes.size();
  std::vector<std::size_t> width(header.size());
  for (std::size_t k = 0; k < header.size(); ++k) {
    width[k] = header[k].size();
    for (const auto& row : rows) width[k] = std::max(width[k], row[k].size());
  }
  std::ostringstream os;
  os << "sweep of " << cells.size() << " cells: endpoints per class, the fraction of global minima "
     << "with its 95% interval, and the theory's verdicts\n";
  const auto line = [&](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t k = 0; k < row.size(); ++k) {
      const bool right = k == 0 || (k >= first_count && k <= last_count);
      const std::string pad(width[k] - row[k].size(), ' ');
      out += "  " + (right ? pad + row[k] : row[k] + (k + 1 < row.size() ? pad : ""));
    }
    os << out << "\n";
  };
  line(header);
  std::vector<std::string> rule;
  for (std::size_t w : width) rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : rows) line(row);
  return os.str();
}

/// The JSON summary of one cell (see output.hpp's write_sample_outputs).
static json sample_summary_json(const SampleResult& r) {
  const long n = long(r.endpoints.size());
  json j;
  j["experiment"] = {{"name", r.config.name}, {"config_file", r.config.source},
                     {"networks", n}, {"seed", r.config.seed}};
  j["swept"] = swept_to_json(r.swept);
  j["model"] = {{"family", to_string(r.config.model.family)}, {"dims", r.config.model.dims},
                {"param_count", r.config.model.param_count()}};
  if (r.config.model.family == Family::leaky_relu) j["model"]["slope"] = r.config.model.slope;
  const DataSpec& ds = r.config.data;
  j["data"] = {{"n", r.data.n},
               {"d0", r.data.d0},
               {"dh", r.data.dh},
               {"seed", data_seed(r.config)},
               {"x", to_string(ds.x)},
               {"y", to_string(ds.y)},
               {"x_rank", ds.x_rank},
               {"y_rank", ds.y_rank},
               {"noise", ds.noise},
               {"x_file", ds.x == InputKind::csv ? json(ds.x_file) : json(nullptr)},
               {"y_file", ds.y == TargetKind::csv ? json(ds.y_file) : json(nullptr)}};
  j["train"] = {{"optimizer", r.config.train.optimizer}, {"lr", r.config.train.lr},
                {"steps", r.config.train.steps}, {"precision", to_string(r.config.train.precision)},
                {"grad_tol_rtol", r.config.train.grad_tol}, {"init_scale", r.config.init.effective_scale()},
                {"compress", r.config.train.compress}};
  j["loss"] = "0.5*||F(W)-Y||_F^2 (square loss, no 1/n)";
  j["global_loss"] = number_to_json(r.optimum.value);
  j["global_loss_kind"] = r.optimum.kind;
  j["tolerances"] = tolerances_json(r.config.decide.tol, r.loss_scale);
  j["backend"] = r.backend;
  j["device"] = r.device;
  json classes = json::object();
  for (int c = 0; c < kNumClasses; ++c) {
    const long k = r.counts[std::size_t(c)];
    const Interval iv = binomial_interval_95(k, n);
    classes[to_string(PointClass(c))] = {{"count", k}, {"fraction", n ? double(k) / double(n) : 0.0},
                                         {"ci95", {iv.lo, iv.hi}}, {"ci_method", iv.method}};
  }
  j["classes"] = classes;
  json sens = json::object();
  for (int l = 0; l < 3; ++l) {
    json counts = json::object();
    std::array<long, kNumClasses> cnt{};
    for (const auto& e : r.endpoints) ++cnt[std::size_t(e.cls_by_tol[std::size_t(l)])];
    for (int c = 0; c < kNumClasses; ++c) counts[to_string(PointClass(c))] = cnt[std::size_t(c)];
    sens[l == 0 ? "x0.1" : l == 1 ? "x1" : "x10"] = counts;
  }
  j["tolerance_sensitivity"] = sens;
  long escaped = 0, tested = 0, refined = 0, opened = 0, open_known = 0;
  for (const auto& e : r.endpoints) {
    if (e.escape) ++tested, escaped += e.escape->escaped;
    if (e.refined) ++refined;
    if (e.openness && e.openness->locally_open) ++open_known, opened += *e.openness->locally_open;
  }
  j["escape_tests"] = {{"run", tested}, {"escaped", escaped}};
  j["refined_endpoints"] = refined;
  j["locally_open"] = {{"known", open_known}, {"open", opened}};
  const VerdictSummary v = summarize_verdicts(r.endpoints);
  j["dynamics"] = {
      {"rule", "left the initial plateau at the first step t with L(0) - L(t) >= 0.1 (L(0) - L_floor), "
               "L_floor = L* where a closed form gives it, else 0; still descending: out of budget and the "
               "loss fell by more than loss_tol*loss_scale over the last tenth of the budget"},
      {"stopped", {{"converged", v.stopped[0]}, {"budget", v.stopped[1]}, {"diverged", v.stopped[2]}}},
      {"on_plateau", {{"count", v.on_plateau}, {"classes", class_counts_json(v.plateau_classes)}}},
      {"still_descending", {{"count", v.still_descending}, {"classes", class_counts_json(v.descending_classes)}}},
      {"escape_step", distribution_json(v.escape_step)},
      {"loss_drop", distribution_json(v.loss_drop)}};
  j["refinement_sensitivity"] = {{"refined", v.refined},
                                 {"changed", v.refine_changed},
                                 {"raw", class_counts_json(v.raw_classes)},
                                 {"refined_classes", class_counts_json(v.refined_classes)},
                                 {"raw_verdict", v.refined ? json(to_string(v.raw_verdict)) : json(nullptr)},
                                 {"refined_verdict", v.refined ? json(to_string(v.refined_verdict)) : json(nullptr)},
                                 {"verdict_flips", v.verdict_flips}};
  j["certified_minima"] = {{"global_minimum", {{"count", v.global_minima}, {"certified", v.global_certified}}},
                           {"spurious_local_minimum",
                            {{"count", v.spurious_minima}, {"certified", v.spurious_certified}}}};
  j["timing_seconds"] = {{"total", r.seconds_total}, {"train", r.seconds_train},
                         {"analyze", r.seconds_analyze}, {"decide", r.seconds_decide}};
  j["warnings"] = r.warnings;
  j["theory"] = json(r.theory);
  return j;
}

std::string endpoints_csv(const std::vector<SampleResult>& cells, const std::vector<std::string>& labels) {
  std::ostringstream os;
  os.precision(17);
  const std::vector<std::string> names = swept_names(cells);
  os << "cell,label";
  for (const auto& name : names) os << ",sweep_" << name;
  os << ",index,class,raw_class,class_tol_lo,class_tol_hi,loss,global_loss,loss_gap,grad_norm,"
        "lambda_min,lambda_max,n_negative,n_near_zero,eig_threshold,steps,train_status,"
        "kink_distance,near_kink,orbit_dim,data_null_dim,excess_degeneracy,non_degenerate,locally_open,"
        "escape_drop,"
        "refine_distance,refine_grad_norm_before,escape_step,loss_drop,dynamics,certified,certificate_margin";
  // Spectrum columns only when every cell stores spectra of one size.
  std::size_t P = cells.empty() ? 0 : cells[0].config.model.param_count();
  bool spectra = !cells.empty();
  for (const auto& r : cells)
    spectra = spectra && r.config.output.spectrum && r.config.model.param_count() == P;
  if (spectra)
    for (std::size_t k = 0; k < P; ++k) os << ",eig_" << k;
  os << "\n";
  for (std::size_t ci = 0; ci < cells.size(); ++ci) {
  const SampleResult& r = cells[ci];
  std::string label = csv_field(labels[ci]);
  for (const auto& name : names) label += "," + csv_field(swept_text(r, name));
  for (const auto& e : r.endpoints) {
    os << ci << "," << label << "," << e.index << "," << to_string(e.cls) << "," << to_string(e.raw_class) << ","
       << to_string(e.cls_by_tol[kTolLo]) << "," << to_string(e.cls_by_tol[kTolHi]) << ",";
    if (e.finite)
      os << e.loss << "," << r.optimum.value << "," << e.loss - r.optimum.value << "," << e.grad_norm << ",";
    else
      os << "," << r.optimum.value << ",,,";
    const SpectrumSummary& sp = e.nominal_spectrum();
    if (e.finite)
      os << sp.lambda_min << "," << sp.lambda_max << "," << sp.n_negative << "," << sp.n_near_zero
         << "," << sp.eig_threshold;
    else
      os << ",,,,";
    os << "," << e.steps << "," << to_string(e.train_status) << ",";
    // Both empty where there is no kink distance (linear networks, diverged ones), as in the
    // database.
    if (e.finite && std::isfinite(e.kink_distance)) os << e.kink_distance << "," << (e.near_kink ? 1 : 0);
    else os << ",";
    os << ",";
    if (e.symmetry)
      os << e.symmetry->orbit_dim << "," << e.symmetry->data_null_dim << "," << e.symmetry->excess;
    else
      os << ",,";
    os << "," << (e.openness ? opt_bool(e.openness->non_degenerate) : "") << ","
       << (e.openness ? opt_bool(e.openness->locally_open) : "") << ",";
    if (e.escape) os << e.escape->loss_drop;
    os << ",";
    if (e.refined) os << e.refined->distance << "," << e.refined->grad_norm_before;
    else os << ",";
    os << ",";
    if (e.dynamics && e.dynamics->escape_step >= 0) os << e.dynamics->escape_step;
    os << ",";
    if (e.dynamics && std::isfinite(e.dynamics->loss_drop)) os << e.dynamics->loss_drop;
    os << "," << (e.dynamics ? e.dynamics->label() : "") << ",";
    if (e.minimum) os << (e.minimum->certified() ? 1 : 0);
    os << ",";
    if (e.minimum && std::isfinite(e.minimum->margin)) os << e.minimum->margin;
    if (spectra) {
      for (std::size_t k = 0; k < P; ++k) {
        os << ",";
        if (k < e.eigenvalues.size() && std::isfinite(e.eigenvalues[k])) os << e.eigenvalues[k];
      }
    }
    os << "\n";
  }
  }
  return os.str();
}

void write_sample_outputs(const std::vector<SampleResult>& cells, const std::vector<std::string>& labels,
                          const RunInfo& run, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  require(!ec, dir, "cannot create output directory: " + ec.message());
  // A summary.json from an earlier run must not vouch for a new, unfinished endpoints.csv.
  std::filesystem::remove(dir + "/summary.json", ec);
  write_file_atomic(dir + "/endpoints.csv", endpoints_csv(cells, labels));
  json j;
  j["program"] = {{"name", "landscape"}, {"version", LANDSCAPE_VERSION}};
  j["run"] = run;
  j["cells"] = json::array();
  for (std::size_t i = 0; i < cells.size(); ++i) {
    json c = sample_summary_json(cells[i]);
    c["cell"] = i;
    c["label"] = labels[i];
    j["cells"].push_back(std::move(c));
  }
  write_file_atomic(dir + "/summary.json", j.dump(2) + "\n");
}

std::string point_report_json(const PointReport& r) {
  const EndpointRecord& e = r.endpoint;
  const SpectrumSummary& sp = e.nominal_spectrum();
  json j;
  j["class"] = to_string(e.cls);
  j["raw_class"] = to_string(e.raw_class);
  j["class_tol_lo"] = to_string(e.cls_by_tol[kTolLo]);
  j["class_tol_hi"] = to_string(e.cls_by_tol[kTolHi]);
  j["loss"] = number_to_json(e.loss);
  j["global_loss"] = number_to_json(r.optimum.value);
  j["global_loss_kind"] = r.optimum.kind;
  j["loss_gap"] = number_to_json(e.loss - r.optimum.value);
  j["grad_norm"] = number_to_json(e.grad_norm);
  json ev = json::array();
  for (double x : r.eigenvalues) ev.push_back(number_to_json(x));
  j["eigenvalues"] = ev;
  j["negative_eigenvalues"] = sp.n_negative;
  j["near_zero_eigenvalues"] = sp.n_near_zero;
  j["lambda_min"] = number_to_json(sp.lambda_min);
  j["lambda_max"] = number_to_json(sp.lambda_max);
  j["eig_threshold"] = sp.eig_threshold;
  j["kink_distance"] = number_to_json(e.kink_distance);
  j["near_kink"] = e.finite && e.kink_distance < r.settings.tol.kink;
  j["tolerances"] = tolerances_json(r.settings.tol, r.loss_scale);
  j["tolerances"]["rank_rtol"] = r.settings.rank_tol;
  if (r.optimum.kind == "empirical") j["empirical_restarts"] = r.restarts;
  j["loss_definition"] = "0.5*||F(W)-Y||_F^2";
  j["spectrum"] = r.spectrum;
  j["dense_hessian_bytes"] = r.dense_bytes;
  if (r.spectrum == "partial") {
    json hi = json::array();
    for (double x : r.eigenvalues_largest) hi.push_back(number_to_json(x));
    j["eigenvalues_largest"] = hi;
    j["spectrum_k"] = r.spectrum_k;
    j["hessian_vector_products"] = r.hessian_vector_products;
    j["spectrum_note"] =
        "partial spectrum (Lanczos on exact Hessian-vector products): eigenvalues holds the " +
        std::to_string(r.spectrum_k) + " smallest and eigenvalues_largest the " +
        std::to_string(r.spectrum_k) + " largest; lambda_min, lambda_max and eig_threshold are "
        "converged Ritz values, negative_eigenvalues and near_zero_eigenvalues count only those "
        "found, and Lanczos may count a repeated eigenvalue once (lower bounds). "
        "lambda_min < -eig_threshold still proves a strict saddle; a PSD verdict means no "
        "negative eigenvalue among the " +
        std::to_string(r.spectrum_k) + " smallest, and holds with high probability: Lanczos "
        "finds the extreme eigenvalues from a random start, which a start orthogonal to their "
        "eigenvectors would miss; the escape test probes the near-null vectors among them, and "
        "the symmetry orbit is not computed";
  }
  if (r.vectors) {
    json v = json::array();
    for (int i = 0; i < r.vectors->count; ++i) {
      json vi = json::array();
      for (int k = 0; k < r.vectors->P; ++k) vi.push_back(number_to_json(r.vectors->vector(i)[k]));
      v.push_back({{"eigenvalue", number_to_json(r.vectors->values[std::size_t(i)])}, {"vector", vi}});
    }
    j["vectors"] = v;
  }
  if (r.blocks) {
    const HessianBlocks& b = *r.blocks;
    json fro = json::array(), diag = json::array();
    for (int i = 0; i < b.layers; ++i) {
      json row = json::array();
      for (int k = 0; k < b.layers; ++k) row.push_back(number_to_json(b.frobenius[std::size_t(i * b.layers + k)]));
      fro.push_back(row);
      diag.push_back({{"layer", i + 1},
                      {"lambda_min", number_to_json(b.lambda_min[std::size_t(i)])},
                      {"lambda_max", number_to_json(b.lambda_max[std::size_t(i)])}});
    }
    j["blocks"] = {{"frobenius", fro}, {"diagonal", diag},
                   {"note", "block (i, j) is d2L/dW_i dW_j; frobenius[i][j] its Frobenius norm, "
                            "diagonal[i] the extreme eigenvalues of block (i, i)"}};
  } else {
    j["blocks"] = nullptr;
  }
  j.update(details_to_json(e, true));
  if (e.escape && !e.escape->escaped)
    j["escape"]["budget"] = {{"random_directions", r.settings.escape.random_directions},
                             {"null_directions", r.settings.escape.null_directions},
                             {"null_combinations", r.settings.escape.null_combinations},
                             {"perturbed_runs", r.settings.escape.perturbed_runs},
                             {"perturbed_steps", r.settings.escape.perturbed_steps},
                             {"step_max_relative", r.settings.escape.step_max}};
  return j.dump(2) + "\n";
}

std::string format_point_report(const PointReport& r) {
  const EndpointRecord& e = r.endpoint;
  const SpectrumSummary& sp = e.nominal_spectrum();
  std::ostringstream os;
  os << "class:       " << to_string(e.cls);
  if (e.raw_class != e.cls) os << "  (second-order verdict: " << to_string(e.raw_class) << ")";
  os << "\n";
  os << "loss:        " << fmt("%.12g", e.loss) << "  (L = 0.5*||F(W) - Y||_F^2)\n";
  os << "global loss: " << fmt("%.12g", r.optimum.value) << "  (" << r.optimum.kind;
  if (r.optimum.kind == "empirical") os << ", best of the point and " << r.restarts << " restarts";
  os << ")\n";
  os << "grad norm:   " << fmt("%.3e", e.grad_norm) << "  (tolerance "
     << fmt("%.3e", r.settings.tol.grad * r.loss_scale) << ")\n";
  if (r.spectrum == "partial")
    os << "Hessian:     partial spectrum (Lanczos, the " << r.spectrum_k << " smallest and largest of "
       << r.eigenvalues.size() + r.eigenvalues_largest.size() << " found), lambda_min "
       << fmt("%.6g", sp.lambda_min) << ", lambda_max " << fmt("%.6g", sp.lambda_max) << ", "
       << sp.n_negative << (sp.n_negative >= r.spectrum_k ? " or more" : "") << " negative, "
       << sp.n_near_zero << " near zero among those found (|lambda| <= " << fmt("%.3e", sp.eig_threshold)
       << ")\n";
  else
    os << "Hessian:     P = " << r.eigenvalues.size() << ", lambda_min " << fmt("%.6g", sp.lambda_min)
       << ", lambda_max " << fmt("%.6g", sp.lambda_max) << ", " << sp.n_negative << " negative, "
       << sp.n_near_zero << " near zero (|lambda| <= " << fmt("%.3e", sp.eig_threshold) << ")\n";
  if (r.blocks) {
    os << "blocks:      per layer lambda_min/lambda_max of d2L/dW_i^2:";
    for (int i = 0; i < r.blocks->layers; ++i)
      os << " W_" << i + 1 << " " << fmt("%.4g", r.blocks->lambda_min[std::size_t(i)]) << "/"
         << fmt("%.4g", r.blocks->lambda_max[std::size_t(i)]);
    os << "\n";
  }
  if (e.symmetry)
    os << "symmetry:    orbit dimension " << e.symmetry->orbit_dim << " (max " << e.symmetry->orbit_dim_max
       << "), data null directions " << e.symmetry->data_null_dim << ", excess degeneracy "
       << e.symmetry->excess << "\n";
  if (e.openness) {
    os << "ranks:       W_i";
    for (int rk : e.openness->layer_ranks) os << " " << rk;
    os << ", product " << e.openness->product_rank << " (min width " << e.openness->min_width << ")";
    if (e.openness->non_degenerate) os << (*e.openness->non_degenerate ? ", non-degenerate" : ", degenerate");
    if (e.openness->locally_open) os << (*e.openness->locally_open ? ", locally open" : ", not locally open");
    if (e.openness->all_full_row_rank)
      os << (*e.openness->all_full_row_rank ? ", all W_i full row rank" : ", some W_i not full row rank");
    os << "\n";
  }
  if (e.refined)
    os << "refined:     moved " << fmt("%.3e", e.refined->distance) << " in " << e.refined->iterations
       << " steps, grad norm " << fmt("%.3e", e.refined->grad_norm_before) << " -> "
       << fmt("%.3e", e.refined->grad_norm_after) << ", class before " << to_string(e.refined->class_before)
       << "\n";
  if (e.escape) {
    if (e.escape->escaped)
      os << "escape:      loss drops by " << fmt("%.3e", e.escape->loss_drop) << " along a "
         << e.escape->method << " direction at distance " << fmt("%.3e", e.escape->step) << "\n";
    else
      os << "escape:      none found in " << e.escape->probes << " probes and " << e.escape->descent_steps
         << " descent steps (best drop " << fmt("%.3e", e.escape->loss_drop) << ")\n";
  }
  if (e.minimum) {
    os << "minimum:     " << e.minimum->status;
    if (std::isfinite(e.minimum->margin))
      os << " (margin " << fmt("%.3e", e.minimum->margin) << " on the orbit's normal space, spectrum error bound "
         << fmt("%.3e", e.minimum->error_bound) << ")";
    os << "\n";
  }
  if (std::isfinite(e.kink_distance) && e.kink_distance < r.settings.tol.kink)
    os << "warning:     a pre-activation sits at the leaky-ReLU kink (relative distance "
       << fmt("%.3e", e.kink_distance) << "); the Hessian is not trustworthy there\n";
  return os.str();
}

}  // namespace landscape
