// The report generator against a fixture database: files, self-containment, numbers checked
// against direct SQL counts, escaping, and every class of bad input.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "landscape/core/common.hpp"
#include "landscape/report/report.hpp"
#include "landscape/io/schema.hpp"
#include "landscape/io/sqlite.hpp"
#include "landscape/core/stats.hpp"
#include "landscape/report/svg.hpp"
#include "report_fixture.hpp"

namespace fs = std::filesystem;
using landscape::Error;
using landscape::ReportOptions;
using landscape::write_report;

namespace {

/// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    m_path = fs::temp_directory_path() /
             ("landscape-report-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(m_path);
    fs::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  fs::path operator/(const std::string& s) const { return m_path / s; }
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

/// Parses CSV with quoted fields ("" inside quotes is a quote).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
      any = true;
    } else if (c == '\n') {
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any) {
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

/// CSV rows as maps from header to value.
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& p) {
  const auto rows = parse_csv(landscape::read_file(p.string()));
  std::vector<std::map<std::string, std::string>> out;
  if (rows.empty()) return out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].size(), rows[0].size()) << p << " row " << r;
    std::map<std::string, std::string> m;
    for (std::size_t c = 0; c < rows[0].size() && c < rows[r].size(); ++c)
      m[rows[0][c]] = rows[r][c];
    out.push_back(m);
  }
  return out;
}

/// Runs a query returning (text key, integer count) pairs, read-only.
std::map<std::string, long> sql_counts(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  std::map<std::string, long> out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* k = sqlite3_column_text(st, 0);
    out[k ? reinterpret_cast<const char*>(k) : "NULL"] = long(sqlite3_column_int64(st, 1));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

/// The inline <svg> elements of a page with their <title>s, in page order.
std::vector<std::pair<std::string, std::string>> svg_figures(const std::string& html) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) {
    const std::size_t e = html.find("</svg>", p);
    if (e == std::string::npos) break;
    const std::string s = html.substr(p, e + 6 - p);
    std::smatch m;
    std::regex_search(s, m, std::regex("<title>([^<]*)</title>"));
    out.emplace_back(m.size() > 1 ? m[1].str() : "", s);
  }
  return out;
}

/// The figure titled `title` (the n-th of that title), or "".
std::string svg_titled(const std::string& html, const std::string& title, int n = 0) {
  for (const auto& [t, s] : svg_figures(html))
    if (t == title && n-- == 0) return s;
  return "";
}

/// The texts of the <text class="…"> elements of `svg` (inner tags removed).
std::vector<std::string> texts_of_class(const std::string& svg, const std::string& cls) {
  std::vector<std::string> out;
  const std::regex re("<text class=\"" + cls + "\"[^>]*>(.*?)</text>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back(std::regex_replace((*it)[1].str(), std::regex("<[^>]*>"), ""));
  return out;
}

/// Every opening tag `<name …>` of `svg`.
std::vector<std::string> tags(const std::string& svg, const std::string& name) {
  std::vector<std::string> out;
  const std::regex re("<" + name + "[ >][^>]*>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back(it->str());
  return out;
}

/// The value of attribute `name` in `tag`, or "".
std::string attr(const std::string& tag, const std::string& name) {
  std::smatch m;
  if (std::regex_search(tag, m, std::regex(" " + name + "=\"([^\"]*)\""))) return m[1];
  return "";
}

std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

const std::vector<std::string> kFiles = {"report.html",
                                         "summary.md",
                                         "table.tex",
                                         "report.json",
                                         "classes.csv",
                                         "cells.csv",
                                         "tolerance_sensitivity.csv",
                                         "histograms.csv",
                                         "curves.csv",
                                         "spectral_density.csv",
                                         "integer_counts.csv",
                                         "slices.csv"};

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_db = m_tmp / "results.db";
    m_out = m_tmp / "report";
    landscape::testing::make_report_fixture_db(m_db.string());
    write_report({m_db.string(), m_out.string()});
  }
  std::string file(const std::string& name) {
    return landscape::read_file((m_out / name).string());
  }

  TempDir m_tmp;
  fs::path m_db, m_out;
};

}  // namespace

TEST_F(ReportTest, WritesEveryFileAndNoTemporaries) {
  for (const auto& f : kFiles) {
    EXPECT_TRUE(fs::exists(m_out / f)) << f;
    EXPECT_GT(fs::file_size(m_out / f), 0u) << f;
  }
  for (const auto& e : fs::directory_iterator(m_out))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}

TEST_F(ReportTest, HtmlIsSelfContained) {
  const std::string html = file("report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // The only URL allowed is the SVG namespace (an identifier, never fetched).
  std::string stripped = html;
  const std::string xmlns = "http://www.w3.org/2000/svg";
  for (std::size_t p = stripped.find(xmlns); p != std::string::npos; p = stripped.find(xmlns, p))
    stripped.erase(p, xmlns.size());
  EXPECT_EQ(stripped.find("http://"), std::string::npos);
  EXPECT_EQ(stripped.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // Figures: across-cells chart; cell 2: classes, gap, lambda_min, n_negative, spectra, curves,
  // excess degeneracy; cell 3: classes, gap, lambda_min, n_negative, curves.
  EXPECT_GE(count_of(html, "<svg"), 13u);
  EXPECT_EQ(count_of(html, "<svg"), count_of(html, "</svg>"));
}

TEST_F(ReportTest, HtmlShowsRunMetadataEscaped) {
  const std::string html = file("report.html");
  EXPECT_NE(html.find("abc123def4567890"), std::string::npos);  // newest run with endpoints
  EXPECT_EQ(html.find("0000old0000hash"), std::string::npos);   // older run
  EXPECT_EQ(html.find("ffffnewest"), std::string::npos);        // newer run without endpoints
  EXPECT_NE(html.find("name = &quot;a&lt;b&gt;&amp;c&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<tag>"), std::string::npos);
  EXPECT_NE(html.find("<pre>"), std::string::npos);
  EXPECT_NE(html.find("two_layer, 50% &amp; #1"), std::string::npos);
  EXPECT_NE(html.find("CPU, 2 threads"), std::string::npos);
  // 40 + 36 endpoints in 150 + 50 seconds.
  EXPECT_NE(html.find("0.38 networks/s"), std::string::npos);
  EXPECT_NE(html.find("no spectra stored"), std::string::npos);  // cell 3
}

TEST_F(ReportTest, PredictionsAndVerdicts) {
  const std::string html = file("report.html");
  const auto iv0 = landscape::binomial_interval_95(0, 38);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", iv0.hi);
  EXPECT_NE(html.find("every local minimum is global (N&amp;R Thm 5) — observed 0 of 38"),
            std::string::npos);
  EXPECT_NE(html.find(std::string("rate &lt; ") + buf + " at 95%"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"verdict\">consistent</span>"), std::string::npos);
  EXPECT_NE(html.find("observed 5 of 36"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"verdict\">inconsistent</span>"), std::string::npos);

  const auto j = nlohmann::json::parse(file("report.json"));
  EXPECT_EQ(j["run"]["run_id"], 2);
  EXPECT_EQ(j["run"]["endpoints"], 76);
  ASSERT_EQ(j["cells"].size(), 3u);  // the third has no endpoints yet
  EXPECT_EQ(j["cells"][2]["endpoints"], 0);
  EXPECT_TRUE(j["cells"][2]["classes"]["global_minimum"]["fraction"].is_null());
  const auto& p0 = j["cells"][0]["prediction"];
  EXPECT_EQ(p0["verdict"], "consistent");
  EXPECT_EQ(p0["observed"], 0);
  EXPECT_DOUBLE_EQ(p0["rate_upper95"].get<double>(), iv0.hi);
  EXPECT_EQ(j["cells"][1]["prediction"]["verdict"], "inconsistent");
  EXPECT_EQ(j["cells"][1]["prediction"]["observed"], 5);
  EXPECT_EQ(j["cells"][0]["unfinished"], 2);
  EXPECT_EQ(j["cells"][0]["finished"], 38);
  EXPECT_EQ(j["cells"][1]["spectra"]["networks"], 0);
}

TEST_F(ReportTest, ClassCsvMatchesDatabase) {
  const auto db = sql_counts(m_db,
                             "SELECT cell_id || '/' || class, COUNT(*) FROM endpoints "
                             "WHERE class IS NOT NULL AND cell_id IN (2, 3) GROUP BY 1");
  const auto finished = sql_counts(m_db,
                                   "SELECT cell_id, COUNT(*) FROM endpoints WHERE class IS NOT "
                                   "NULL AND cell_id IN (2, 3) GROUP BY 1");
  const auto rows = read_csv(m_out / "classes.csv");
  ASSERT_FALSE(rows.empty());
  std::map<std::string, long> seen;
  for (const auto& r : rows) {
    EXPECT_EQ(r.at("run_id"), "2");
    const std::string key = r.at("cell_id") + "/" + r.at("class");
    const long k = std::stol(r.at("count")), n = std::stol(r.at("n"));
    const auto it = db.find(key);
    EXPECT_EQ(k, it == db.end() ? 0 : it->second) << key;
    if (r.at("cell_id") == "5") {  // no endpoints: nothing to estimate
      EXPECT_EQ(n, 0);
      EXPECT_EQ(r.at("fraction"), "");
      continue;
    }
    EXPECT_EQ(n, finished.at(r.at("cell_id"))) << key;
    const auto iv = landscape::binomial_interval_95(k, n);
    EXPECT_NEAR(std::stod(r.at("fraction")), double(k) / double(n), 1e-9);
    EXPECT_NEAR(std::stod(r.at("ci95_lo")), iv.lo, 1e-9);
    EXPECT_NEAR(std::stod(r.at("ci95_hi")), iv.hi, 1e-9);
    seen[key] = k;
  }
  for (const auto& [key, k] : db) EXPECT_EQ(seen.count(key), 1u) << "class missing: " << key;
  // Always-shown classes appear even with zero count (cell 2 has no spurious minima).
  EXPECT_EQ(seen.at("2/spurious_local_minimum"), 0);
  EXPECT_EQ(seen.at("2/non_strict_saddle"), 0);
  EXPECT_EQ(rows[0].at("label"), "two_layer, 50% & #1");  // CSV quoting round-trips
}

TEST_F(ReportTest, ToleranceCsvMatchesDatabase) {
  const auto nominal = sql_counts(m_db,
                                  "SELECT cell_id || '/' || class, COUNT(*) FROM endpoints "
                                  "WHERE class IS NOT NULL GROUP BY 1");
  const auto lo = sql_counts(m_db,
                             "SELECT cell_id || '/' || class_tol_lo, COUNT(*) FROM "
                             "endpoints WHERE class IS NOT NULL GROUP BY 1");
  const auto hi = sql_counts(m_db,
                             "SELECT cell_id || '/' || class_tol_hi, COUNT(*) FROM "
                             "endpoints WHERE class IS NOT NULL GROUP BY 1");
  auto get = [](const std::map<std::string, long>& m, const std::string& k) {
    const auto it = m.find(k);
    return it == m.end() ? 0L : it->second;
  };
  const auto rows = read_csv(m_out / "tolerance_sensitivity.csv");
  ASSERT_FALSE(rows.empty());
  long total_lo = 0;
  for (const auto& r : rows) {
    const std::string key = r.at("cell_id") + "/" + r.at("class");
    EXPECT_EQ(std::stol(r.at("count_nominal")), get(nominal, key)) << key;
    EXPECT_EQ(std::stol(r.at("count_tol_x0.1")), get(lo, key)) << key;
    EXPECT_EQ(std::stol(r.at("count_tol_x10")), get(hi, key)) << key;
    total_lo += std::stol(r.at("count_tol_x0.1"));
  }
  EXPECT_EQ(total_lo, 38 + 36);
}

TEST_F(ReportTest, DistributionCsvsMatchDatabase) {
  // n_negative bar chart.
  const auto nneg = sql_counts(m_db,
                               "SELECT cell_id || '/' || n_negative, COUNT(*) FROM "
                               "endpoints WHERE class IS NOT NULL AND n_negative IS NOT "
                               "NULL AND cell_id IN (2, 3) GROUP BY 1");
  std::map<std::string, long> csv_nneg;
  for (const auto& r : read_csv(m_out / "integer_counts.csv"))
    if (r.at("quantity") == "n_negative")
      csv_nneg[r.at("cell_id") + "/" + r.at("value")] = std::stol(r.at("count"));
  EXPECT_EQ(csv_nneg, nneg);

  // Histogram totals: loss gaps (finite loss, known L*) and lambda_min.
  const auto gaps = sql_counts(m_db,
                               "SELECT e.cell_id, COUNT(*) FROM endpoints e JOIN cells c "
                               "ON e.cell_id = c.cell_id WHERE e.class IS NOT NULL AND "
                               "e.loss IS NOT NULL AND c.global_loss IS NOT NULL AND "
                               "c.run_id = 2 GROUP BY 1");
  const auto lmins = sql_counts(m_db,
                                "SELECT cell_id, COUNT(*) FROM endpoints WHERE class IS "
                                "NOT NULL AND lambda_min IS NOT NULL AND cell_id IN (2, 3) "
                                "GROUP BY 1");
  std::map<std::string, long> csv_gap, csv_lmin;
  for (const auto& r : read_csv(m_out / "histograms.csv")) {
    EXPECT_LT(std::stod(r.at("bin_lo")), std::stod(r.at("bin_hi")));
    if (r.at("quantity") == "log10_loss_gap") csv_gap[r.at("cell_id")] += std::stol(r.at("count"));
    if (r.at("quantity") == "lambda_min") csv_lmin[r.at("cell_id")] += std::stol(r.at("count"));
  }
  EXPECT_EQ(csv_gap, gaps);
  EXPECT_EQ(csv_lmin, lmins);
  // Two gaps (0 and −1e-17) fall at or below the floor.
  const auto j = nlohmann::json::parse(file("report.json"));
  EXPECT_EQ(j["cells"][0]["loss_gap"]["clamped_to_floor"], 2);
  EXPECT_EQ(j["cells"][0]["locally_open"]["yes"], 20);
  EXPECT_EQ(j["cells"][0]["locally_open"]["n"], 28);
  // Excess degeneracy at critical points only: the not_critical endpoints' −3 is left out.
  EXPECT_EQ(j["cells"][0]["excess_degeneracy"], (nlohmann::json{{"0", 26}, {"1", 1}, {"2", 1}}));
  // Dynamics and certificates against SQL on the database.
  {
    landscape::Database db(m_db.string(), landscape::OpenMode::read_only);
    const auto count = [&](const std::string& where) {
      landscape::Statement q(db, "SELECT COUNT(*) FROM endpoints WHERE cell_id = 2 AND class IS NOT NULL AND " + where);
      q.step();
      return long(q.int64(0));
    };
    const auto& v = j["cells"][0]["verdicts"];
    EXPECT_EQ(v["on_plateau"], count("dynamics = 'plateau'"));
    EXPECT_EQ(v["on_plateau"], 4);
    EXPECT_EQ(v["still_descending"], 1);
    EXPECT_EQ(v["escape_step"]["count"], count("escape_step IS NOT NULL"));
    landscape::Statement med(db, "SELECT escape_step FROM endpoints WHERE cell_id = 2 AND class IS NOT NULL "
                                 "AND escape_step IS NOT NULL ORDER BY escape_step");
    std::vector<double> steps;
    while (med.step()) steps.push_back(double(med.int64(0)));
    ASSERT_FALSE(steps.empty());
    const double h = 0.5 * double(steps.size() - 1);
    const std::size_t lo = std::size_t(h);
    const double median = steps[lo] + (h - double(lo)) * (steps[std::min(lo + 1, steps.size() - 1)] - steps[lo]);
    EXPECT_DOUBLE_EQ(v["escape_step"]["median"].get<double>(), median);
    EXPECT_EQ(v["certified"]["global_minimum"], count("certified = 1"));
    EXPECT_EQ(v["certified"]["global_minimum_n"], count("class = 'global_minimum'"));
    const std::string md = file("summary.md");
    EXPECT_NE(md.find("## Dynamics and verdict robustness"), std::string::npos);
    EXPECT_NE(file("report.html").find("Dynamics and verdict robustness"), std::string::npos);
  }

  // Spectral density: every stored eigenvalue counted once (8 spectra of 10).
  long eig = 0;
  for (const auto& r : read_csv(m_out / "spectral_density.csv")) {
    EXPECT_EQ(r.at("cell_id"), "2");
    eig += std::stol(r.at("count"));
  }
  EXPECT_EQ(eig, 80);

  // Curves: quantiles ordered, steps = k·every, counts never above the curves stored.
  std::map<std::string, long> max_n;
  for (const auto& r : read_csv(m_out / "curves.csv")) {
    const double q10 = std::stod(r.at("loss_q10")), q50 = std::stod(r.at("loss_median")),
                 q90 = std::stod(r.at("loss_q90"));
    EXPECT_LE(q10, q50);
    EXPECT_LE(q50, q90);
    const long step = std::stol(r.at("step"));
    EXPECT_EQ(step % (r.at("cell_id") == "2" ? 10 : 5), 0);
    max_n[r.at("cell_id")] = std::max(max_n[r.at("cell_id")], std::stol(r.at("n_curves")));
  }
  EXPECT_EQ(max_n["2"], 12);
  EXPECT_EQ(max_n["3"], 10);
}

TEST_F(ReportTest, LatexAndMarkdown) {
  const std::string tex = file("table.tex");
  EXPECT_NE(tex.find("\\toprule"), std::string::npos);
  EXPECT_NE(tex.find("\\midrule"), std::string::npos);
  EXPECT_NE(tex.find("\\bottomrule"), std::string::npos);
  // One column per swept variable (here data_seed) instead of the label; a row per cell.
  EXPECT_NE(tex.find("\\begin{tabular}{lr"), std::string::npos) << tex;
  EXPECT_NE(tex.find("\ndata\\_seed & $n$ & diverged"), std::string::npos) << tex;
  EXPECT_NE(tex.find("\n1 & 38 & "), std::string::npos) << tex;
  EXPECT_NE(tex.find("\n2 & 36 & "), std::string::npos) << tex;
  EXPECT_EQ(tex.find("two\\_layer"), std::string::npos) << tex;
  // An unescaped % starts a comment: outside comment lines every % must be escaped.
  std::istringstream lines(tex);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind('%', 0) == 0) continue;
    for (std::size_t p = line.find('%'); p != std::string::npos; p = line.find('%', p + 1))
      EXPECT_TRUE(p == 0 || line[p - 1] == '\\') << line;
  }
  const std::string md = file("summary.md");
  EXPECT_NE(md.find("abc123def4567890"), std::string::npos);
  EXPECT_NE(md.find("| `global_minimum` | 26 |"), std::string::npos);
  EXPECT_NE(md.find("| cell | data\\_seed | networks |"), std::string::npos) << md;
  EXPECT_NE(md.find("consistent"), std::string::npos);
}

TEST_F(ReportTest, EveryFigureHasTickLabelsOnBothAxes) {
  const auto figs = svg_figures(file("report.html"));
  ASSERT_GE(figs.size(), 10u);
  for (const auto& [title, svg] : figs) {
    const auto x = texts_of_class(svg, "tick-x"), y = texts_of_class(svg, "tick-y");
    EXPECT_GE(x.size(), 2u) << title;
    EXPECT_GE(y.size(), 2u) << title;
    for (const auto& t : x) EXPECT_FALSE(t.empty()) << title;
    for (const auto& t : y) EXPECT_FALSE(t.empty()) << title;
  }
}

TEST_F(ReportTest, EachClassHasOneColourInEveryChart) {
  // data-key names the class of every bar, marker and legend box; its fill must be one colour
  // everywhere, and no two classes may share one.
  std::map<std::string, std::set<std::string>> fills;
  std::size_t charts_with_keys = 0;
  for (const auto& [title, svg] : svg_figures(file("report.html"))) {
    bool any = false;
    for (const char* name : {"rect", "circle", "path"})
      for (const auto& t : tags(svg, name)) {
        const std::string key = attr(t, "data-key"), fill = attr(t, "fill");
        if (key.empty() || fill.empty() || fill == "none") continue;
        fills[key].insert(fill);
        any = true;
      }
    charts_with_keys += any;
  }
  EXPECT_GE(charts_with_keys, 4u);  // two per-cell charts, the cross-cell one, the sweep figure
  EXPECT_EQ(fills.size(), 7u);
  std::set<std::string> all;
  for (const auto& [key, colours] : fills) {
    EXPECT_EQ(colours.size(), 1u) << key;
    all.insert(colours.begin(), colours.end());
  }
  EXPECT_EQ(all.size(), fills.size());
  // The per-cell class chart draws each class in its own colour, not one colour for all.
  std::set<std::string> cell_chart;
  for (const auto& t : tags(svg_titled(file("report.html"), "Class fractions with 95% intervals"), "rect"))
    if (!attr(t, "data-key").empty()) cell_chart.insert(attr(t, "fill"));
  EXPECT_GE(cell_chart.size(), 6u);
}

TEST_F(ReportTest, ZeroCountsHaveOnlyAnUpperErrorBar) {
  std::size_t upper = 0, two = 0;
  for (const auto& [title, svg] : svg_figures(file("report.html"))) {
    std::map<std::string, double> height;  // bar title -> height in pixels
    const std::regex bar("<rect ([^>]*)><title>([^<]*)</title>");
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar); it != std::sregex_iterator(); ++it)
      height[(*it)[2]] = std::stod(attr(" " + (*it)[1].str(), "height"));
    for (const auto& t : tags(svg, "path")) {
      if (attr(t, "class") != "errorbar") continue;
      const std::string sided = attr(t, "data-sided"), target = attr(t, "data-for");
      upper += sided == "upper";
      two += sided == "two";
      if (target.empty()) continue;  // a series' point, checked in Svg.OneSidedIntervals
      ASSERT_TRUE(height.count(target)) << title << ": " << target;
      if (height[target] == 0) {
        EXPECT_EQ(sided, "upper") << title << ": " << target;
        EXPECT_NE(t.find("stroke-dasharray"), std::string::npos) << t;
      }
    }
  }
  EXPECT_GE(upper, 5u);  // e.g. cell 0's non-strict saddles and spurious minima
  EXPECT_GE(two, 5u);
}

TEST_F(ReportTest, ZeroSpikeSitsOnTheZeroTick) {
  // Cell 0: 26 λ_min within 1e-10 of 0 and 8 strict saddles near −1: the tallest bar is the
  // spike at zero, and the tick labelled 0 lies within it.
  const std::string svg = svg_titled(file("report.html"), "Distribution of λ_min");
  ASSERT_FALSE(svg.empty());
  double zero_x = NAN;
  const std::regex tick("<text class=\"tick-x\" x=\"([0-9.]+)\"[^>]*>0</text>");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, tick)) << svg;
  zero_x = std::stod(m[1]);
  double best = -1, x0 = 0, x1 = 0;
  for (const auto& t : tags(svg, "rect")) {
    if (attr(t, "fill") != "#8c8c8c") continue;
    const double h = std::stod(attr(t, "height"));
    if (h > best) {
      best = h;
      x0 = std::stod(attr(t, "x"));
      x1 = x0 + std::stod(attr(t, "width"));
    }
  }
  EXPECT_GT(best, 0);
  EXPECT_GE(zero_x, x0);
  EXPECT_LE(zero_x, x1);
  EXPECT_LT(std::abs(zero_x - (x0 + x1) / 2), 0.1 * (x1 - x0) + 1);  // centred on the spike
}

TEST_F(ReportTest, ClassFractionsAgainstTheSweptVariable) {
  const std::string html = file("report.html");
  const std::string svg = svg_titled(html, "Class fractions against data_seed");
  ASSERT_FALSE(svg.empty());
  const auto x = texts_of_class(svg, "tick-x");
  EXPECT_NE(std::find(x.begin(), x.end(), "1"), x.end());
  EXPECT_NE(std::find(x.begin(), x.end(), "2"), x.end());
  for (const char* cls : {"global_minimum", "strict_saddle", "spurious_local_minimum"})
    EXPECT_NE(svg.find("data-key=\"" + std::string(cls) + "\""), std::string::npos) << cls;
  EXPECT_GE(count_of(svg, "class=\"errorbar\""), 10u);  // an interval at every point
  // The cross-cell chart keeps the swept values as its labels.
  const std::string across = svg_titled(html, "Class fractions by cell (95% intervals)");
  EXPECT_NE(across.find(">cell (data_seed)<"), std::string::npos);
  const auto cats = texts_of_class(across, "tick-x");
  EXPECT_EQ(cats, (std::vector<std::string>{"1", "2", "3"}));
  // Every data file has the swept variable as a column.
  for (const char* f : {"classes.csv", "cells.csv", "histograms.csv"}) {
    const auto rows = read_csv(m_out / f);
    ASSERT_FALSE(rows.empty()) << f;
    EXPECT_EQ(rows.front().at("sweep_data_seed"), "1") << f;
  }
  const auto j = nlohmann::json::parse(file("report.json"));
  EXPECT_EQ(j["swept_variables"], (std::vector<std::string>{"data_seed"}));
  EXPECT_EQ(j["cells"][1]["swept"]["data_seed"], 2);
}

TEST(ReportFigures, NearlyEqualValuesMakeOneLabelledBar) {
  // 20 strict saddles whose gaps differ by 1e-9 relative (decades 4e-10 wide) and whose λ_min
  // differ by 1e-12: histograms with one visible bar, a note, and labelled x ticks.
  TempDir tmp;
  const std::string db_path = (tmp / "equal.db").string();
  landscape::testing::make_empty_results_db(db_path, std::to_string(landscape::kSchemaVersion));
  {
    landscape::testing::FixtureDb db(db_path);
    using V = landscape::testing::FixtureDb::Value;
    landscape::testing::insert_run(db, 1, "equalhash", "# equal\n");
    landscape::testing::insert_cell(db, 1, 1, 0, "gaps_equal 50% & #1", "linear", "[3, 2, 2]", V(),
                                    V(1.5), V(), 20);
    for (int i = 0; i < 20; ++i)
      db.run("INSERT INTO endpoints(cell_id, net_index, seed, class, class_tol_lo, class_tol_hi, "
             "loss, lambda_min, lambda_max, n_negative, steps, train_status, wall_time) VALUES "
             "(1, ?, 1, 'strict_saddle', 'strict_saddle', 'strict_saddle', ?, ?, 4.0, 1, 100, "
             "'converged', 0.01)",
             {i, 1.5 + 3.2e-4 * (1 + 1e-9 * i), -0.03 * (1 + 1e-12 * i)});
  }
  write_report({db_path, (tmp / "rep").string()});
  const std::string html = landscape::read_file((tmp / "rep" / "report.html").string());
  for (const char* title : {"Distance to the global optimum", "Distribution of λ_min"}) {
    const std::string svg = svg_titled(html, title);
    ASSERT_FALSE(svg.empty()) << title;
    std::size_t bars = 0;
    for (const auto& t : tags(svg, "rect")) {
      if (attr(t, "fill") != "#8c8c8c") continue;
      ++bars;
      EXPECT_GE(std::stod(attr(t, "width")), 3.0) << title;
      EXPECT_GT(std::stod(attr(t, "height")), 100.0) << title;  // all 20 in one bar
    }
    EXPECT_EQ(bars, 1u) << title;
    EXPECT_GE(texts_of_class(svg, "tick-x").size(), 2u) << title;
    EXPECT_EQ(texts_of_class(svg, "note").size(), 1u) << title;
  }
  EXPECT_NE(html.find("all 20 gaps within"), std::string::npos);
  EXPECT_NE(html.find("all 20 values in [-0.03, -0.03]"), std::string::npos);
  // Without swept variables table.tex keeps the label column, escaped.
  const std::string tex = landscape::read_file((tmp / "rep" / "table.tex").string());
  EXPECT_NE(tex.find("Cell & $n$"), std::string::npos) << tex;
  EXPECT_NE(tex.find("gaps\\_equal 50\\% \\& \\#1"), std::string::npos) << tex;
}

TEST(Svg, OneSidedIntervalsAtZeroAndOne) {
  using namespace landscape::svg;
  Axis x, y;
  Plot p("bars", x, y);
  p.set_categories({"none", "half", "all"});
  p.add_bars("s", kGreen, {0.0, 0.5, 1.0}, {0.0, 0.4, 0.9}, {0.3, 0.6, 1.0});
  const std::string s = p.render();
  EXPECT_EQ(count_of(s, "data-sided=\"upper\""), 1u);
  EXPECT_EQ(count_of(s, "data-sided=\"two\""), 1u);
  EXPECT_EQ(count_of(s, "data-sided=\"lower\""), 1u);
  EXPECT_EQ(count_of(s, "stroke-dasharray"), 2u);  // the one-sided ones
  // A series draws the same rule at its points.
  Plot q("series", x, y);
  Style st;
  st.marker = Marker::circle;
  st.key = "k";
  q.add_series({1, 2}, {0.0, 0.4}, {0.0, 0.3}, {0.2, 0.5}, "k", st);
  const std::string t = q.render();
  EXPECT_EQ(count_of(t, "data-sided=\"upper\""), 1u);
  EXPECT_EQ(count_of(t, "data-sided=\"two\""), 1u);
  EXPECT_EQ(count_of(t, "<circle"), 3u);  // two points and the legend
}

TEST(Svg, MultiLineCategoriesKeepEveryValueAndStylesCarryTheirKey) {
  using namespace landscape::svg;
  Axis x, y;
  Plot p("cells", x, y);
  p.set_categories({"[6,1,4,6]\n0.001", "[6,4,4,6]\n0.001", "[6,1,4,6]\n1.0", "[6,4,4,6]\n1.0"});
  Style st;
  st.colour = kOrange;
  st.hatch = Hatch::cross;
  st.key = "non_strict_saddle";
  p.add_bars("a", st, {0.1, 0.2, 0.3, 0.4});
  p.add_bars("b", kBlue, {0.4, 0.3, 0.2, 0.1});
  const std::string s = p.render();
  for (const char* v : {">[6,1,4,6]</tspan>", ">0.001</tspan>", ">1.0</tspan>"})
    EXPECT_NE(s.find(v), std::string::npos) << v;
  EXPECT_EQ(s.find("\xE2\x80\xA6"), std::string::npos);  // nothing cut short
  // Bars, hatches and the legend box of the keyed series all carry the key.
  EXPECT_EQ(count_of(s, "<rect x=") - 1, 8u + 2u);  // bars and legend boxes, not the background
  EXPECT_EQ(count_of(s, "data-key=\"non_strict_saddle\""), 4u * 2 + 2u);
}

TEST(Svg, NarrowSymlogRangesStillHaveTickLabels) {
  using namespace landscape::svg;
  Axis x, y;
  x.scale = Scale::symlog;
  x.linthresh = 1e-6;
  Plot p("narrow", x, y);
  p.add_histogram({-0.0301, -0.0300, -0.0299}, {3, 5}, "", kGrey);
  const std::string s = p.render();
  EXPECT_GE(texts_of_class(s, "tick-x").size(), 2u) << s;
}

TEST_F(ReportTest, DatabaseWithoutSlicesTableWritesAnEmptySlicesCsv) {
  // The fixture is written with kSchemaSql alone, like a database from before the table.
  const auto rows = read_csv(m_out / "slices.csv");
  EXPECT_TRUE(rows.empty());
  const std::string header = file("slices.csv").substr(0, file("slices.csv").find('\n'));
  EXPECT_EQ(header.rfind("run_id,cell_id,cell_index,label,", 0), 0u) << header;
  EXPECT_NE(header.find(",net_index,class,direction,t,loss"), std::string::npos) << header;
  EXPECT_EQ(file("report.html").find("The loss around non-strict saddles"), std::string::npos);
}

TEST_F(ReportTest, StoredSlicesAreDrawnAndWritten) {
  // A slice of a non-strict saddle of cell 3 (the fixture's cell with such endpoints), and a
  // malformed one (a losses blob that is not whole float64s).
  const auto nss = sql_counts(m_db, "SELECT class, MIN(net_index) FROM endpoints WHERE cell_id = 3 "
                                    "AND class IN ('non_strict_saddle', 'spurious_local_minimum') GROUP BY class");
  ASSERT_EQ(nss.count("non_strict_saddle"), 1u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(m_db.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, landscape::kAdditiveSchemaSql, nullptr, nullptr, nullptr), SQLITE_OK);
  const std::vector<double> t{-0.5, 0.0, 0.5}, l{2.0, 1.0, 0.25};
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO slices VALUES (3, ?, ?, ?, ?, x'')", -1, &st, nullptr), SQLITE_OK);
  auto put = [&](long net, const char* dir, const void* tb, int tn, const void* lb, int ln) {
    sqlite3_bind_int64(st, 1, net);
    sqlite3_bind_text(st, 2, dir, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, tb, tn, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 4, lb, ln, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_reset(st);
  };
  put(nss.at("non_strict_saddle"), "witness", t.data(), 24, l.data(), 24);
  put(nss.at("non_strict_saddle"), "min-eig", t.data(), 24, l.data(), 20);  // malformed: skipped
  sqlite3_finalize(st);
  sqlite3_close(db);
  write_report({m_db.string(), m_out.string()});
  const auto rows = read_csv(m_out / "slices.csv");
  ASSERT_EQ(rows.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rows[i].at("cell_id"), "3");
    EXPECT_EQ(std::stol(rows[i].at("net_index")), nss.at("non_strict_saddle"));
    EXPECT_EQ(rows[i].at("class"), "non_strict_saddle");
    EXPECT_EQ(rows[i].at("direction"), "witness");
    EXPECT_EQ(std::stod(rows[i].at("t")), t[i]);
    EXPECT_EQ(std::stod(rows[i].at("loss")), l[i]);
  }
  const std::string html = file("report.html");
  EXPECT_NE(html.find("The loss around non-strict saddles"), std::string::npos);
  EXPECT_NE(html.find("1 of 1 non_strict_saddle"), std::string::npos);
  EXPECT_NE(file("report.json").find("malformed blobs were skipped"), std::string::npos);
}

TEST(ReportErrors, MissingDatabaseIsAnErrorAndCreatesNothing) {
  TempDir tmp;
  const fs::path db = tmp / "nope.db", out = tmp / "out";
  try {
    write_report({db.string(), out.string()});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(db.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(db));
  EXPECT_FALSE(fs::exists(out));
}

TEST(ReportErrors, SchemaVersionMismatch) {
  TempDir tmp;
  const fs::path db = tmp / "v.db";
  landscape::testing::make_empty_results_db(db.string(),
                                            std::to_string(landscape::kSchemaVersion + 1));
  try {
    write_report({db.string(), (tmp / "out").string()});
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(db.string()), std::string::npos) << what;
    EXPECT_NE(what.find("schema version"), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(tmp / "out"));
}

TEST(ReportErrors, NotALandscapeDatabase) {
  TempDir tmp;
  const fs::path text = tmp / "notes.txt";
  landscape::write_file_atomic(text.string(), "this is not a database\n");
  EXPECT_THROW(
      {
        try {
          write_report({text.string(), (tmp / "out").string()});
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find(text.string()), std::string::npos);
          throw;
        }
      },
      Error);
  // A valid SQLite file without the landscape tables.
  const fs::path other = tmp / "other.db";
  {
    landscape::testing::FixtureDb db(other.string());
    db.exec("CREATE TABLE t(x)");
  }
  try {
    write_report({other.string(), (tmp / "out").string()});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a landscape results database"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(tmp / "out"));
}

TEST(ReportErrors, NoRuns) {
  TempDir tmp;
  const fs::path db = tmp / "empty.db";
  landscape::testing::make_empty_results_db(db.string(), std::to_string(landscape::kSchemaVersion));
  try {
    write_report({db.string(), (tmp / "out").string()});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no runs"), std::string::npos) << e.what();
  }
}

TEST(Svg, SymlogRoundTripsAndIsOdd) {
  for (double x : {-1e6, -3.0, -1e-9, 0.0, 2e-12, 0.5, 7.0, 1e8}) {
    const double t = landscape::svg::symlog(x, 1e-6);
    EXPECT_NEAR(landscape::svg::symlog_inverse(t, 1e-6), x, 1e-9 * std::max(1.0, std::abs(x)));
    EXPECT_DOUBLE_EQ(landscape::svg::symlog(-x, 1e-6), -t);
  }
}

TEST(Svg, PlotRendersAxesLegendAndEscapes) {
  using namespace landscape::svg;
  Axis x;
  x.label = "step (iterations)";
  Axis y;
  y.label = "loss <L>";
  y.scale = Scale::log10;
  Plot p("A & B", x, y);
  p.add_band({0, 1, 2}, {1, 0.1, 0.01}, {10, 1, 0.1}, "band", kSkyBlue);
  p.add_line({0, 1, 2}, {3, 0.3, 0.03}, "median", kBlue);
  const std::string s = p.render();
  EXPECT_EQ(s.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(s.find("<title>A &amp; B</title>"), std::string::npos);
  EXPECT_NE(s.find("loss &lt;L&gt;"), std::string::npos);
  EXPECT_NE(s.find(">median</text>"), std::string::npos);
  EXPECT_NE(s.find("<polygon"), std::string::npos);
  EXPECT_NE(s.find("10<tspan"), std::string::npos);  // decade tick labels
  // No font smaller than 11px.
  std::regex fs_re("font-size=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), fs_re); it != std::sregex_iterator();
       ++it)
    EXPECT_GE(std::stod((*it)[1]), 11.0);
}

TEST(Svg, BarsWithErrorBarsAndEmptyPlot) {
  using namespace landscape::svg;
  Axis x, y;
  x.label = "class";
  y.label = "fraction";
  Plot p("bars", x, y);
  p.set_categories({"a", "b", "c"});
  p.add_bars("s", kGreen, {0.2, 0.5, 0.3}, {0.1, 0.4, 0.2}, {0.3, 0.6, 0.4});
  const std::string s = p.render();
  EXPECT_EQ(count_of(s, "<rect"), 1u + 3u);        // background + bars
  EXPECT_EQ(count_of(s, "<path d=\"M"), 1u);       // axis frame
  EXPECT_EQ(count_of(s, "class=\"errorbar\" data-sided=\"two\""), 3u);
  Plot e("empty", x, y);
  e.set_empty_message("nothing here");
  EXPECT_NE(e.render().find("nothing here"), std::string::npos);
}
