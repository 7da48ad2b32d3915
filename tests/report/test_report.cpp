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
#include <sstream>
#include <string>
#include <vector>

#include "landscape/core/common.hpp"
#include "landscape/report/report.hpp"
#include "landscape/io/schema.hpp"
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
  EXPECT_NE(tex.find("two\\_layer, 50\\% \\& \\#1"), std::string::npos);
  EXPECT_NE(tex.find("deep\\_leaky \\{a\\}"), std::string::npos);
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
  EXPECT_NE(md.find("consistent"), std::string::npos);
}

TEST_F(ReportTest, DatabaseWithoutSlicesTableWritesAnEmptySlicesCsv) {
  // The fixture is written with kSchemaSql alone, like a database from before the table.
  const auto rows = read_csv(m_out / "slices.csv");
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(file("slices.csv").rfind("run_id,cell_id,cell_index,label,net_index,class,direction,t,loss", 0), 0u);
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
  EXPECT_EQ(count_of(s, "<path d=\"M"), 3u + 1u);  // error bars + axis frame
  Plot e("empty", x, y);
  e.set_empty_message("nothing here");
  EXPECT_NE(e.render().find("nothing here"), std::string::npos);
}
