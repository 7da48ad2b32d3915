// Reproduction suite: every claim's experiment file, one summary table, contradictions exported.
#include "landscape/run/suite.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "landscape/core/common.hpp"
#include "landscape/io/point.hpp"
#include "landscape/report/report.hpp"
#include "landscape/report/svg.hpp"
#include "landscape/run/mpi.hpp"
#include "landscape/run/sweep.hpp"
#include "landscape/analysis/theory.hpp"

namespace landscape {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Row {
  std::string file, label, claim, setting, prediction, observation, verdict;
  std::vector<std::string> points;  ///< exported POINT.json files for contradictions
};

std::string html_escape(const std::string& s) { return svg::xml_escape(s); }

std::string g2(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2g", x);
  return b;
}

std::string setting_text(const SampleResult& r, const DataFacts& f) {
  std::ostringstream os;
  os << to_string(r.config.model.family) << " [";
  for (std::size_t i = 0; i < r.config.model.dims.size(); ++i) os << (i ? "," : "") << r.config.model.dims[i];
  os << "], n = " << f.n << ", rank X = " << f.rank_x << ", rank Y = " << f.rank_y;
  if (r.config.model.family == Family::leaky_relu) os << ", slope " << r.config.model.slope;
  os << ", init scale " << r.config.init.effective_scale() << ", " << r.endpoints.size() << " networks";
  // Claims speak of critical points: say how many endpoints training did not bring to one.
  const long off = r.counts[std::size_t(PointClass::not_critical)] + r.counts[std::size_t(PointClass::diverged)];
  if (off > 0) os << " (" << off << " not at a critical point)";
  return os.str();
}

std::string prediction_text(const Claim& c) {
  std::string classes;
  for (std::size_t i = 0; i < c.classes.size(); ++i) classes += (i ? " / " : "") + c.classes[i];
  if (c.kind == ClaimKind::forbids)
    return "no " + classes + (c.scope == ClaimScope::all ? "" : " among " + to_string(c.scope) + " endpoints");
  if (c.kind == ClaimKind::exists) return classes + " can occur";
  if (c.kind == ClaimKind::not_applicable) return "none (not applicable here)";
  return "none (no theorem applies)";
}

std::string observation_text(const Observation& o) {
  if (o.claim.kind == ClaimKind::not_applicable) return o.claim.why;
  std::string s = std::to_string(o.count) + " of " + std::to_string(o.in_scope);
  if (o.claim.kind == ClaimKind::none && !o.claim.classes.empty()) return s + " " + o.claim.classes.front();
  if (o.in_scope > 0 && o.claim.kind == ClaimKind::forbids)
    s += o.count == 0 ? " (rate < " + g2(o.ci.hi) + " at 95%)"
                      : " (rate " + g2(o.ci.lo) + " to " + g2(o.ci.hi) + " at 95%)";
  return s;
}

/// The *.toml experiment files in `dir`, sorted: the order every rank runs them in.
std::vector<fs::path> experiment_files(const std::string& dir) {
  std::error_code ec;
  require(fs::is_directory(dir, ec), dir, "not a folder of experiment files");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

/// The suite's experiment files (sorted), after checking the options; the output folder is
/// created and cleared of an earlier suite's tables and contradictions.
std::vector<fs::path> suite_files(const SuiteOptions& opt) {
  std::error_code ec;
  const std::vector<fs::path> files = experiment_files(opt.dir);
  require(!files.empty(), opt.dir, "holds no *.toml experiment files");
  require(opt.scale > 0, "--scale", "must be > 0");
  fs::create_directories(opt.out, ec);
  require(!ec, opt.out, "cannot create output directory: " + ec.message());
  // A suite starts fresh: earlier outputs must not mix with this run's.
  fs::remove(fs::path(opt.out) / "suite.md", ec);
  fs::remove(fs::path(opt.out) / "suite.html", ec);
  fs::remove_all(fs::path(opt.out) / "contradictions", ec);
  return files;
}

/// The sweep of one experiment file into `dir` (its own database), quiet on standard output.
SweepOptions sweep_options(const SuiteOptions& opt, const fs::path& file, const fs::path& dir) {
  SweepOptions so;
  so.config_path = file.string();
  so.out_dir = dir.string();
  so.db_path = (dir / "results.db").string();
  so.backend = opt.backend;
  so.quiet = opt.quiet;
  so.interactive = opt.interactive;
  so.networks_scale = opt.scale;
  so.print_tables = false;
  std::ostringstream again;
  again << "the suite starts afresh; run `landscape suite " << opt.dir << " --out " << opt.out;
  if (opt.scale != 1.0) again << " --scale " << opt.scale;
  so.resume_hint = again.str() + "` again";
  return so;
}

/// One row per claim and cell of a finished experiment; every contradicting endpoint is
/// exported as POINT.json under contradictions/. Returns how many were.
long add_rows(const SuiteOptions& opt, const std::string& stem, const SweepOutcome& oc,
              std::vector<Row>& rows) {
  std::error_code ec;
  long contradictions = 0;
  for (std::size_t ci = 0; ci < oc.results.size(); ++ci) {
    const SampleResult& r = oc.results[ci];
    const DataFacts facts = data_facts(r.data);
    const std::vector<Observation> obs = check_claims(theory_claims(r.config.model, facts), r.endpoints);
    for (const Observation& o : obs) {
      Row row;
      row.file = stem;
      row.label = oc.labels[ci];
      row.claim = o.claim.source + ": " + o.claim.statement;
      row.setting = setting_text(r, facts);
      row.prediction = prediction_text(o.claim);
      row.observation = observation_text(o);
      row.verdict = to_string(o.verdict);
      for (long idx : o.offending) {
        const auto it = r.candidate_weights.find(idx);
        if (it == r.candidate_weights.end()) continue;
        const fs::path cdir = fs::path(opt.out) / "contradictions";
        fs::create_directories(cdir, ec);
        const std::string name = stem + "-cell" + std::to_string(ci) + "-net" + std::to_string(idx) + ".json";
        // The candidate's weights are as refined: the settings say so (refinement off), and
        // carry the cell's tolerances and empirical L*, so classify reproduces the class.
        Point p{r.config.model, r.data, it->second, name, r.config.decide, std::nullopt};
        p.settings->refine.enabled = false;
        if (r.optimum.kind == "empirical") p.global_loss = r.optimum.value;
        write_file_atomic((cdir / name).string(), point_to_json(p));
        row.points.push_back("contradictions/" + name);
        ++contradictions;
      }
      rows.push_back(std::move(row));
    }
  }
  return contradictions;
}

/// The table as Markdown, with the list of contradicting points when there are any.
std::string suite_markdown(const std::vector<Row>& rows, long contradictions) {
  std::ostringstream md;
  md << "| claim | setting | prediction | observation | verdict |\n|---|---|---|---|---|\n";
  std::string not_applicable;
  for (const Row& r : rows)
    if (r.verdict == to_string(Verdict::not_applicable))
      not_applicable += "- " + md_escape(r.claim) + " (" + md_escape(r.file + " / " + r.label) + "): " +
                        md_escape(r.observation) + "\n";
  for (const Row& r : rows)
    if (r.verdict != to_string(Verdict::not_applicable))
      md << "| " << md_escape(r.claim) << " | " << md_escape(r.file + " / " + r.label + ": " + r.setting) << " | "
         << md_escape(r.prediction) << " | " << md_escape(r.observation) << " | **" << r.verdict << "** |\n";
  std::string md_text = "# Reproduction suite\n\nEvery claim of docs/math.md section 4 next to what gradient descent "
                        "finds. Loss L = 0.5*||F(W) - Y||_F^2; intervals are 95% (Clopper-Pearson at 0).\n\n" +
                        md.str();
  if (!not_applicable.empty())
    md_text += "\n## Not applicable\n\nTheorems whose hypotheses fail on this data, or whose scope holds no "
               "critical point by construction; nothing is judged against them:\n\n" + not_applicable;
  if (contradictions > 0) {
    md_text += "\n## Contradictions\n\nEndpoints that contradict a prediction, exported as POINT.json "
               "(check any of them with `landscape classify FILE --json`):\n\n";
    for (const Row& r : rows)
      for (const auto& p : r.points) md_text += "- `" + p + "` (" + r.claim + ")\n";
  }
  return md_text;
}

/// The table as CSV, one line per row.
std::string suite_csv(const std::vector<Row>& rows) {
  std::ostringstream csv;
  csv << "experiment,cell,claim,setting,prediction,observation,verdict,contradicting_points\n";
  for (const Row& r : rows) {
    std::string pts;
    for (const auto& p : r.points) pts += (pts.empty() ? "" : " ") + p;
    csv << csv_field(r.file) << "," << csv_field(r.label) << "," << csv_field(r.claim) << "," << csv_field(r.setting)
        << "," << csv_field(r.prediction) << "," << csv_field(r.observation) << "," << r.verdict << ","
        << csv_field(pts) << "\n";
  }
  return csv.str();
}

/// The table as a JSON array of objects.
json suite_json(const std::vector<Row>& rows) {
  json js = json::array();
  for (const Row& r : rows)
    js.push_back({{"experiment", r.file}, {"cell", r.label}, {"claim", r.claim}, {"setting", r.setting},
                  {"prediction", r.prediction}, {"observation", r.observation}, {"verdict", r.verdict},
                  {"contradicting_points", r.points}});
  return js;
}

/// The table as one HTML page, linking every experiment's report and contradicting point.
std::string suite_html(const std::vector<Row>& rows) {
  std::ostringstream html;
  html << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>landscape reproduction suite</title><style>"
          "body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#000}table{border-collapse:"
          "collapse}td,th{border-bottom:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}"
          ".consistent{color:#006d2c}.inconsistent{color:#b30000;font-weight:bold}</style></head><body>"
          "<h1>Reproduction suite</h1><p>Every claim of docs/math.md &sect;4 next to what gradient descent finds. "
          "Loss L = &frac12;&#8214;F(W) &minus; Y&#8214;&sup2;<sub>F</sub>; intervals are 95%.</p><table><tr><th>claim</th>"
          "<th>setting</th><th>prediction</th><th>observation</th><th>verdict</th></tr>";
  for (const Row& r : rows) {
    html << "<tr><td>" << html_escape(r.claim) << "</td><td><a href=\"" << html_escape(r.file)
         << "/report/report.html\">" << html_escape(r.file) << "</a> / " << html_escape(r.label) << ": "
         << html_escape(r.setting) << "</td><td>" << html_escape(r.prediction) << "</td><td>"
         << html_escape(r.observation) << "</td><td class=\"" << html_escape(r.verdict) << "\">"
         << html_escape(r.verdict);
    for (const auto& p : r.points) html << "<br><a href=\"" << html_escape(p) << "\">" << html_escape(p) << "</a>";
    html << "</td></tr>";
  }
  html << "</table></body></html>\n";
  return html.str();
}

/// The same table as plain text on the terminal (the Markdown is in suite.md).
void print_suite(const SuiteOptions& opt, const std::vector<Row>& rows, std::ostream& out) {
  out << "Reproduction suite: every claim of docs/math.md section 4 next to what gradient descent finds "
         "(loss L = 0.5*||F(W) - Y||_F^2, 95% intervals).\n\n";
  for (const Row& r : rows) {
    out << "[" << r.verdict << "] " << r.claim << "\n    " << r.file << " / " << r.label << ": " << r.setting
        << "\n    predicted: " << r.prediction << "; observed: " << r.observation << "\n";
    for (const auto& p : r.points) out << "    contradicting point: " << opt.out << "/" << p << "\n";
  }
  out << "\nwrote " << opt.out << "/suite.{md,html,json,csv} and a full report per experiment under "
      << opt.out << "/\n";
}

/// A worker rank under MPI: the same experiments in the same order, computing what rank 0
/// hands out; rank 0 alone writes files.
int run_suite_worker(const SuiteOptions& opt, std::ostream& err) {
  for (const fs::path& f : experiment_files(opt.dir)) {
    std::ostringstream sink;
    const int code = run_sweep(sweep_options(opt, f, fs::path(opt.out) / f.stem()), sink, err);
    if (code != 0) return code;
  }
  return 0;
}

}  // namespace

int run_suite(const SuiteOptions& opt, std::ostream& out, std::ostream& err) {
  if (mpi_world().active && mpi_world().rank != 0) return run_suite_worker(opt, err);
  const std::vector<fs::path> files = suite_files(opt);
  std::vector<Row> rows;
  long contradictions = 0;
  for (const fs::path& f : files) {
    const std::string stem = f.stem().string();
    const fs::path dir = fs::path(opt.out) / stem;
    std::error_code ec;
    fs::remove_all(dir, ec);
    const SweepOptions so = sweep_options(opt, f, dir);
    if (!opt.quiet) err << "suite: " << stem << "\n";
    std::ostringstream sink;
    SweepOutcome oc;
    const int code = run_sweep(so, sink, err, &oc);
    if (code != 0) return code;
    write_report({oc.db_path, (dir / "report").string()});
    contradictions += add_rows(opt, stem, oc, rows);
  }

  // Markdown, CSV and JSON carry the same table; HTML adds links to every experiment's report.
  write_file_atomic(opt.out + "/suite.csv", suite_csv(rows));
  write_file_atomic(opt.out + "/suite.json", suite_json(rows).dump(2) + "\n");
  write_file_atomic(opt.out + "/suite.md", suite_markdown(rows, contradictions));
  write_file_atomic(opt.out + "/suite.html", suite_html(rows));
  print_suite(opt, rows, out);
  return 0;
}

}  // namespace landscape
