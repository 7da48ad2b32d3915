// The report's HTML page: report.html with its CSS and inline SVG figures, one section per cell.
#include "html.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <vector>

#include "format.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/schema.hpp"
#include "landscape/report/svg.hpp"

#ifndef LANDSCAPE_VERSION
#define LANDSCAPE_VERSION "unknown"
#endif

namespace landscape::report {
namespace {

/// Distributions that are not of a class are drawn in a neutral grey, so that no colour ever
/// reads as a class it is not (class colours: format.hpp's class_style).
constexpr const char* kNeutral = "#8c8c8c";
/// At most this many class-fraction figures against the swept variables.
constexpr int kMaxSweepFigures = 24;

std::string esc(const std::string& s) { return svg::xml_escape(s); }

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
                             const char* color, const std::string& note = "") {
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
  if (!note.empty()) p.add_note(note);
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
  if (!p.present()) return "";
  std::ostringstream os;
  if (p.is_list() && !p.items.empty()) {
    for (const auto& o : p.items) {
      const std::string text = item_text(p, o);
      os << "<p class=\"prediction\">"
         << esc(text.empty() ? o.claim.statement + " - " + item_verdict(p, o) : text) << "</p>\n";
    }
    return os.str();
  }
  os << "<p class=\"prediction\">";
  if (!p.parsed()) {
    os << "prediction present but not valid JSON: <code>" << esc(p.raw) << "</code></p>\n";
    return os.str();
  }
  const std::string source = prediction_source(p);
  os << "<strong>predicted:</strong> " << esc(prediction_statement(p));
  if (!source.empty()) os << " (" << esc(source) << ")";
  if (p.checks_classes()) {
    const Observation& o = p.items[0];
    os << " — observed " << o.count << " of " << o.in_scope << " (" << esc(forbids_text(p))
       << "; rate &lt; " << g3(o.ci.hi) << " at 95%) — <span class=\"verdict\">"
       << prediction_verdict(p) << "</span>";
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
  std::vector<svg::Style> styles;
  for (const auto& name : r.classes) styles.push_back(class_style(name));
  p.add_bars("fraction", styles, v, lo, hi);
  if (c.finished == 0) p.set_empty_message("no finished endpoints");
  return p.render();
}

/// The cell heading and its settings.
std::string cell_intro_html(const Cell& c) {
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
  return os.str();
}

/// The class table, the prediction and the class-fraction chart.
std::string cell_classes_html(const Report& r, const Cell& c) {
  std::ostringstream os;
  os << "<h3>Classes</h3>\n" << class_table_html(r, c) << prediction_html(c.prediction);

  // Figures.
  if (c.finished > 0)
    os << figure(class_bars_svg(r, c),
                 "Fraction of the " + std::to_string(c.finished) +
                     " finished endpoints in each class; error bars are 95% intervals (Wilson, "
                     "or exact Clopper–Pearson at 0 or n; at a count of 0 or n the interval is "
                     "one-sided, drawn dashed with one cap).");
  else
    os << "<p class=\"note\">No finished endpoints yet: no class fractions.</p>\n";
  return os.str();
}

/// Histogram of log10(L − L*), or why there is none.
std::string loss_gap_figure_html(const Cell& c) {
  std::ostringstream os;
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
    p.add_histogram(edges, heights, "", kNeutral);
    // Nearly equal gaps make one bar; the note says how close they are.
    const double spread = c.gap_hi - c.gap_lo;
    if (spread < 0.01)
      p.add_note(spread == 0 ? "all " + std::to_string(c.gap_n) + " gaps equal to " +
                                   fmt("%.4g", std::pow(10.0, c.gap_lo))
                             : "all " + std::to_string(c.gap_n) + " gaps within " + g3(spread) +
                                   " decades of " + fmt("%.4g", std::pow(10.0, c.gap_lo)));
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
  return os.str();
}

/// Histogram of λ_min on a signed-log axis, or a note.
std::string lambda_min_figure_html(const Cell& c) {
  std::ostringstream os;
  if (c.lmin_n > 0) {
    const double spread =
        svg::symlog(c.lmin_hi, c.lmin_linthresh) - svg::symlog(c.lmin_lo, c.lmin_linthresh);
    const std::string note = spread < 0.01
                                 ? "all " + std::to_string(c.lmin_n) + " values in [" +
                                       fmt("%.4g", c.lmin_lo) + ", " + fmt("%.4g", c.lmin_hi) + "]"
                                 : "";
    os << figure(
        symlog_histogram("Distribution of λ_min",
                         "smallest Hessian eigenvalue λ_min (signed log scale)",
                         "endpoints (count)", c.lmin_linthresh, c.lmin_hist, kNeutral, note),
        "Histogram of the smallest Hessian eigenvalue at " + std::to_string(c.lmin_n) +
            " finished endpoints. Signed-log axis sign(λ)·log<sub>10</sub>(1 + |λ|/c): "
            "linear for |λ| ≲ c = " +
            g3(c.lmin_linthresh) + " (eigenvalue tolerance × max(1, max|λ|)), logarithmic beyond.");
  } else {
    os << "<p class=\"note\">No λ_min values stored for this cell.</p>\n";
  }
  return os.str();
}

/// Bars of the number of negative eigenvalues per endpoint (none when not recorded).
std::string n_negative_figure_html(const Cell& c) {
  std::ostringstream os;
  if (!c.n_negative.empty()) {
    long total = 0;
    const std::string fig = integer_bars(c.n_negative, "Negative eigenvalues per endpoint",
                                         "number of negative Hessian eigenvalues", kNeutral, total);
    os << figure(fig, "Number of Hessian eigenvalues below −eig_tol·max(1, max|λ|), over " +
                          std::to_string(total) + " finished endpoints with a spectrum summary.");
  }
  return os.str();
}

/// Pooled Hessian spectral density, or a note.
std::string spectral_figure_html(const Cell& c) {
  std::ostringstream os;
  if (c.spectra.eigenvalues > 0) {
    const Spectra& s = c.spectra;
    os << figure(symlog_histogram("Pooled Hessian spectral density",
                                  "Hessian eigenvalue λ (signed log scale)", "eigenvalues (count)",
                                  s.linthresh, s.hist, kNeutral),
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
  return os.str();
}

/// Training-loss median and 10–90% band, or a note.
std::string curves_figure_html(const Cell& c) {
  std::ostringstream os;
  if (!c.curves.steps.empty()) {
    const Curves& cv = c.curves;
    svg::Axis x;
    x.label = "training step (optimizer iterations)";
    x.integer_ticks = true;
    svg::Axis y;
    y.label = "loss L (log scale)";
    y.scale = svg::Scale::log10;
    svg::Plot p("Training-loss curves", x, y);
    p.add_band(cv.steps, cv.q10, cv.q90, "10–90% of networks", kNeutral);
    p.add_line(cv.steps, cv.q50, "median", svg::kBlack);
    if (c.global_loss && *c.global_loss > 0)
      p.add_line({cv.steps.front(), cv.steps.back()}, {*c.global_loss, *c.global_loss},
                 "global optimum L*", svg::kGreen, true);
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
  return os.str();
}

/// Bars of the excess degeneracy at critical points (none when not recorded).
std::string excess_figure_html(const Cell& c) {
  std::ostringstream os;
  if (!c.excess_degeneracy.empty()) {
    long total = 0;
    const std::string fig = integer_bars(
        c.excess_degeneracy, "Excess degeneracy",
        "excess degeneracy (near-zero eigenvalues − known null dimension)", kNeutral, total);
    os << figure(fig, "Histogram of excess_degeneracy = n_near_zero − orbit_dim − data_null_dim over " +
                          std::to_string(total) +
                          " finished endpoints at a critical point (not_critical "
                          "and diverged ones left out).");
  }
  return os.str();
}

/// Class counts at tolerances ×0.1, nominal and ×10.
std::string tolerance_table_html(const Report& r, const Cell& c) {
  std::ostringstream os;
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
  return os.str();
}

/// The fraction of endpoints that are locally open, or a note.
std::string openness_html(const Cell& c) {
  std::ostringstream os;
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

/// The loss around the non-strict saddles (along the escape witness, which must show a drop)
/// and the spurious minima (along the λ_min eigenvector, which must not) of the cell: at most
/// kMaxSlicesShown per class, every one in slices.csv.
std::string slices_figure_html(const Cell& c) {
  if (c.slices.empty()) return "";
  constexpr long kMaxSlicesShown = 8;
  svg::Axis x;
  x.label = "t / range (each endpoint's own range, t = 0 the endpoint)";
  svg::Axis y;
  y.label = "L(w + t·d) − L(w) (loss units)";
  svg::Plot p("The loss along the escape witness (non-strict saddles) and the λ_min eigenvector "
              "(spurious minima)", x, y);
  std::map<std::string, long> shown, total;
  for (const EndpointSlice& s : c.slices) {
    const long k = total[s.cls]++;
    if (k >= kMaxSlicesShown) continue;
    ++shown[s.cls];
    const double range = std::max(std::abs(s.t.front()), std::abs(s.t.back()));
    const double l0 = s.loss[s.loss.size() / 2];
    std::vector<double> xs, ys;
    for (std::size_t i = 0; i < s.t.size(); ++i) {
      xs.push_back(range > 0 ? s.t[i] / range : 0.0);
      ys.push_back(s.loss[i] - l0);
    }
    const bool first = k == 0;
    p.add_line(xs, ys, first ? s.cls + " (" + s.direction + ")" : "", class_style(s.cls).colour,
               s.cls == "spurious_local_minimum");
  }
  std::string caption = "One line per endpoint: ";
  bool sep = false;
  for (const auto& [cls, n] : total) {
    caption += (sep ? "; " : "") + std::to_string(shown[cls]) + " of " + std::to_string(n) + " " + esc(cls);
    sep = true;
  }
  caption += ". The loss is L = ½‖F(W) − Y‖²; t runs over each endpoint's own range (the witness: "
             "twice the step at which the escape test found its drop; the eigenvector: 0.1·max(1, ‖w‖)). "
             "Every slice is in slices.csv.";
  return "<h3>The loss around non-strict saddles and spurious minima</h3>\n" + figure(p.render(), caption);
}

std::string cell_section_html(const Report& r, const Cell& c) {
  return cell_intro_html(c) + cell_classes_html(r, c) + loss_gap_figure_html(c) +
         lambda_min_figure_html(c) + n_negative_figure_html(c) + spectral_figure_html(c) +
         curves_figure_html(c) + excess_figure_html(c) + slices_figure_html(c) +
         tolerance_table_html(r, c) + openness_html(c);
}

/// The document head, title, conventions and warnings.
std::string html_head(const Report& r) {
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
  return os.str();
}

/// The run table and its configuration.
std::string run_html(const Report& r) {
  std::ostringstream os;
  const RunInfo& u = r.run;
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
  return os.str();
}

/// One row per cell: class fractions and the prediction's verdict.
std::string across_cells_table_html(const Report& r) {
  std::ostringstream os;
  os << "<h2 id=\"across\">Across cells</h2>\n<p class=\"note\">Fraction of finished endpoints "
        "in each class.</p>\n<div class=\"wide\"><table>\n<tr><th class=\"num\">cell</th>";
  if (r.sweep.empty()) os << "<th>label</th>";
  for (const auto& n : r.sweep) os << "<th>" << esc(n) << "</th>";
  os << "<th class=\"num\">networks</th><th class=\"num\">finished</th>"
        "<th class=\"num\">unfinished</th>";
  for (const auto& name : r.classes)
    os << "<th class=\"num\" title=\"" << esc(name) << "\">" << esc(human_class(name)) << "</th>";
  os << "<th>prediction</th></tr>\n";
  for (const Cell& c : r.cells) {
    os << "<tr><td class=\"num\"><a href=\"#cell-" << c.cell_index << "\">" << c.cell_index
       << "</a></td>";
    if (r.sweep.empty()) os << "<td>" << esc(c.label) << "</td>";
    for (const auto& n : r.sweep) os << "<td>" << esc(swept_text(c, n)) << "</td>";
    os << "<td class=\"num\">" << c.networks << "</td><td class=\"num\">" << c.finished
       << "</td><td class=\"num\">" << c.unfinished << "</td>";
    for (const auto& name : r.classes)
      os << "<td class=\"num\">" << frac_text(c.count(name), c.finished) << "</td>";
    const std::string verdict = prediction_verdict(c.prediction);
    os << "<td>" << (verdict.empty() ? "—" : verdict) << "</td></tr>\n";
  }
  os << "</table></div>\n";
  return os.str();
}

/// The category text of every cell in the cross-cell chart: its swept values, one per line
/// (their names go into `axis_label`), or, without swept values, its label split at spaces with
/// the words every cell shares left out (listed in `common`).
std::vector<std::string> cell_categories(const Report& r, std::string& axis_label,
                                         std::string& common) {
  std::vector<std::string> cats;
  axis_label = "cell";
  if (!r.sweep.empty()) {
    std::string names;
    for (const auto& n : r.sweep) names += (names.empty() ? "" : " / ") + n;
    axis_label = "cell (" + names + ")";
    for (const Cell& c : r.cells) {
      std::string text;
      for (const auto& n : r.sweep) {
        const std::string v = swept_text(c, n);
        text += (text.empty() ? "" : "\n") + (v.empty() ? "–" : v);
      }
      cats.push_back(text);
    }
    return cats;
  }
  std::vector<std::vector<std::string>> words;
  for (const Cell& c : r.cells) {
    std::vector<std::string> w;
    std::size_t start = 0;
    while (start <= c.label.size()) {
      const std::size_t sp = std::min(c.label.find(' ', start), c.label.size());
      if (sp > start) w.push_back(c.label.substr(start, sp - start));
      start = sp + 1;
    }
    words.push_back(std::move(w));
  }
  std::vector<std::string> shared;
  if (r.cells.size() > 1)
    for (const auto& w : words.front()) {
      bool all = true;
      for (const auto& other : words) all = all && std::count(other.begin(), other.end(), w) > 0;
      if (all) shared.push_back(w);
    }
  for (std::size_t i = 0; i < r.cells.size(); ++i) {
    std::string text;
    for (const auto& w : words[i])
      if (std::find(shared.begin(), shared.end(), w) == shared.end())
        text += (text.empty() ? "" : "\n") + w;
    cats.push_back(text.empty() ? "cell " + std::to_string(r.cells[i].cell_index) : text);
  }
  for (const auto& w : shared) common += (common.empty() ? "" : " ") + w;
  return cats;
}

/// Grouped bars of every class fraction in every cell.
std::string across_cells_figure_html(const Report& r) {
  if (r.cells.empty()) return "";
  std::ostringstream os;
  std::string common;
  svg::Axis x;
  const std::vector<std::string> cats = cell_categories(r, x.label, common);
  svg::Plot p("Class fractions by cell (95% intervals)", x, fraction_axis());
  p.set_size(
      std::clamp(200.0 + 60.0 * double(r.cells.size() * r.classes.size()) / 2.0, 560.0, 1150.0),
      400);
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
    p.add_bars(human_class(name), class_style(name), v, lo, hi);
  }
  os << "<figure style=\"width:auto\">\n"
     << p.render()
     << "\n<figcaption>Fraction of finished endpoints per class and cell; error bars are 95% "
        "intervals (one-sided and dashed at a count of 0 or n)."
     << (common.empty() ? "" : " Every cell: " + esc(common) + ".") << "</figcaption>\n</figure>\n";
  return os.str();
}

/// One row per cell: dynamics, refinement sensitivity, certified minima.
std::string verdicts_table_html(const Report& r) {
  std::ostringstream os;
  os << "<h2 id=\"verdicts\">Dynamics and verdict robustness</h2>\n<p class=\"note\">Endpoints still "
        "on their initial plateau or out of budget with a falling loss are not evidence about the "
        "landscape unless refined (docs/math.md &sect;7a); a flip means the most frequent class "
        "differs between the raw and the refined points.</p>\n<div class=\"wide\"><table>\n<tr>";
  const auto header = verdict_header();
  for (std::size_t i = 0; i < header.size(); ++i)
    os << "<th" << (i == 1 ? "" : " class=\"num\"") << ">" << esc(header[i]) << "</th>";
  os << "</tr>\n";
  for (const auto& row : verdict_rows(r)) {
    os << "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i)
      os << "<td" << (i == 1 ? "" : " class=\"num\"") << ">" << esc(row[i]) << "</td>";
    os << "</tr>\n";
  }
  os << "</table></div>\n";
  return os.str();
}

/// The numeric value of a swept variable (reals and integers), NaN otherwise.
double swept_number(const SweptValue* v) {
  if (!v) return std::nan("");
  if (v->kind == SweptValue::Kind::real) return v->real;
  if (v->kind == SweptValue::Kind::integer) return double(v->integer);
  return std::nan("");
}

/// One figure: the class fractions of `cells` (which differ only in `var`) against `var`.
std::string sweep_figure(const Report& r, const std::string& var, const std::string& fixed,
                         std::vector<const Cell*> cells) {
  bool numeric = true;
  for (const Cell* c : cells) numeric = numeric && std::isfinite(swept_number(c->swept_value(var)));
  if (numeric)
    std::stable_sort(cells.begin(), cells.end(), [&](const Cell* a, const Cell* b) {
      return swept_number(a->swept_value(var)) < swept_number(b->swept_value(var));
    });
  std::vector<std::string> shown;  // classes that occur in these cells
  for (const auto& name : r.classes) {
    long k = 0;
    for (const Cell* c : cells) k += c->count(name);
    if (k > 0) shown.push_back(name);
  }
  if (shown.empty()) return "";
  svg::Axis x;
  x.label = var;
  std::vector<double> xs;
  for (const Cell* c : cells) xs.push_back(swept_number(c->swept_value(var)));
  if (numeric) {
    x.integer_ticks = std::all_of(cells.begin(), cells.end(), [&](const Cell* c) {
      return c->swept_value(var)->kind == SweptValue::Kind::integer;
    });
    const auto [mn, mx] = std::minmax_element(xs.begin(), xs.end());
    if (*mn > 0 && *mx / *mn >= 20) {
      x.scale = svg::Scale::log10;
      x.label += " (log scale)";
    }
  }
  svg::Plot p("Class fractions against " + var + (fixed.empty() ? "" : " (" + fixed + ")"), x,
              fraction_axis());
  if (!numeric) {
    std::vector<std::string> cats;
    for (const Cell* c : cells) cats.push_back(swept_text(*c, var));
    p.set_categories(cats);
  }
  for (std::size_t k = 0; k < shown.size(); ++k) {
    std::vector<double> v, lo, hi;
    for (const Cell* c : cells) {
      const Interval iv = binomial_interval_95(c->count(shown[k]), c->finished);
      v.push_back(fraction(c->count(shown[k]), c->finished));
      lo.push_back(iv.lo);
      hi.push_back(iv.hi);
    }
    if (numeric)
      p.add_series(xs, v, lo, hi, human_class(shown[k]), class_style(shown[k]),
                   (double(k) - double(shown.size() - 1) / 2) * 4);
    else
      p.add_bars(human_class(shown[k]), class_style(shown[k]), v, lo, hi);
  }
  std::string list;
  for (const Cell* c : cells) list += (list.empty() ? "" : ", ") + std::to_string(c->cell_index);
  return figure(p.render(),
                "Fraction of finished endpoints in each class against " + esc(var) +
                    (fixed.empty() ? "" : ", at " + esc(fixed)) +
                    "; 95% intervals (one-sided and dashed at a count of 0 or n). Cells " + list +
                    "; classes that occur in none of them are left out.");
}

/// For every swept variable, the class fractions against it: one figure per combination of the
/// other swept variables.
std::string sweep_figures_html(const Report& r) {
  if (r.sweep.empty() || r.cells.size() < 2) return "";
  std::ostringstream os;
  os << "<h2 id=\"sweep\">Class fractions against the swept variables</h2>\n";
  int made = 0, left_out = 0;
  for (const auto& var : r.sweep) {
    // Cells with finished endpoints grouped by the values of the other swept variables.
    std::vector<std::pair<std::string, std::vector<const Cell*>>> groups;
    for (const Cell& c : r.cells) {
      if (c.finished == 0 || !c.swept_value(var)) continue;
      std::string fixed;
      for (const auto& other : r.sweep)
        if (other != var && c.swept_value(other))
          fixed += (fixed.empty() ? "" : " ") + other + "=" + swept_text(c, other);
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const auto& g) { return g.first == fixed; });
      if (it == groups.end())
        groups.push_back({fixed, {&c}});
      else
        it->second.push_back(&c);
    }
    for (const auto& [fixed, cells] : groups) {
      if (cells.size() < 2) continue;
      if (made == kMaxSweepFigures) {
        ++left_out;
        continue;
      }
      const std::string fig = sweep_figure(r, var, fixed, cells);
      if (!fig.empty()) ++made;
      os << fig;
    }
  }
  if (left_out)
    os << "<p class=\"note\">" << left_out << " further figure(s) of this kind left out; "
       << "classes.csv holds every class fraction with its swept values.</p>\n";
  return made ? os.str() : "";
}

}  // namespace

std::string report_html(const Report& r) {
  std::string html = html_head(r) + run_html(r) + across_cells_table_html(r) +
                     across_cells_figure_html(r) + sweep_figures_html(r) + verdicts_table_html(r);
  for (const Cell& c : r.cells) html += cell_section_html(r, c);
  return html + "</body>\n</html>\n";
}

}  // namespace landscape::report
