// The commands end to end, and every class of bad input: a clear error naming the file and
// field, a non-zero exit, and no output left looking complete.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "landscape/backends/simd.hpp"
#include "landscape/cli/cli.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/config.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/io/sqlite.hpp"
#include "landscape/io/store.hpp"
#include "landscape/run/sweep.hpp"
#include "cli_run.hpp"
#include "temp_dir_test.hpp"

namespace fs = std::filesystem;
using landscape::cli_main;

namespace {

using landscape::test::CliRun;
using landscape::test::run;

class Cli : public landscape::test::TempDirTest {
 protected:
  Cli() : TempDirTest("cli") {}
};

const char* kPoint = R"({"model": {"family": "linear", "dims": [2, 1, 2]},
  "X": [[1, 0, 2], [0, 1, 1]],
  "Y": [[1, 2, 0], [0, 1, 1]],
  "weights": [[[0, 0]], [[0], [0]]]})";

std::string config_text(const std::string& extra_model = "", const std::string& extra = "") {
  return "[experiment]\nname = \"t\"\nnetworks = 4\nseed = 3\nbackend = \"cpu\"\n"
         "[model]\nfamily = \"linear\"\ndims = [3, 2, 2]\n" + extra_model +
         "[data]\nn = 5\n[train]\nlr = 0.005\nsteps = 2000\n" + extra;
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

void expect_error(const CliRun& r, const std::string& needle1, const std::string& needle2 = "") {
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(needle1), std::string::npos) << "missing '" << needle1 << "' in: " << r.err;
  if (!needle2.empty())
    EXPECT_NE(r.err.find(needle2), std::string::npos) << "missing '" << needle2 << "' in: " << r.err;
}

TEST_F(Cli, ClassifyPointJson) {
  const std::string p = write("p.json", kPoint);
  const CliRun r = run({"classify", p, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["class"], "strict_saddle");  // W = 0 of a two-layer net with YXᵀ ≠ 0
  EXPECT_EQ(j["global_loss_kind"], "closed_form");
  EXPECT_EQ(j["eigenvalues"].size(), 4u);
  EXPECT_GT(j["negative_eigenvalues"].get<int>(), 0);
  EXPECT_TRUE(j["tolerances"].contains("eig_rtol"));
  for (const char* k : {"loss", "global_loss", "grad_norm"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_TRUE(j["certificate"].is_null());  // a saddle: no certificate of a minimum
  EXPECT_TRUE(j["dynamics"].is_null());     // a given point has no training history
  const CliRun text = run({"classify", p});
  ASSERT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("strict_saddle"), std::string::npos);
}

TEST_F(Cli, ClassifyBadInputs) {
  expect_error(run({"classify", path("missing.json")}), "missing.json", "cannot read");
  expect_error(run({"classify", write("a.json", "{\"model\": ")}), "a.json:1:", "malformed JSON");
  std::string s = kPoint;
  expect_error(run({"classify", write("b.json", std::string(kPoint).replace(1, 0, "\"extra\": 1, "))}),
               "b.json: extra", "unknown key");
  s = std::string(kPoint);
  s.replace(s.find("[2, 1, 2]"), 9, "[3, 1, 2]");
  expect_error(run({"classify", write("c.json", s)}), "c.json: X", "expected 3 rows");
  s = std::string(kPoint);
  s.replace(s.find("[[0], [0]]"), 10, "[[0], [0], [0]]");
  expect_error(run({"classify", write("d.json", s)}), "weights[1]", "expected 2 rows");
  s = std::string(kPoint);
  s.replace(s.find("[[0, 0]]"), 8, "[[0, 1e999]]");
  expect_error(run({"classify", write("e.json", s)}), "e.json", "non-finite number");
  s = std::string(kPoint);
  s.replace(s.find("[[0, 0]]"), 8, "[[0, NaN]]");  // what Python's json.dump writes for nan
  expect_error(run({"classify", write("e1.json", s)}), "e1.json:4:", "NaN or Infinity is not JSON");
  s = std::string(kPoint);
  s.replace(s.find("[[0, 0]]"), 8, "[[0, -Infinity]]");
  expect_error(run({"classify", write("e2.json", s)}), "e2.json:4:", "NaN or Infinity is not JSON");
  // A syntax error next to the word NaN in a string is a syntax error.
  expect_error(run({"classify", write("e3.json", "{\"model\": \"NaN\" \"x\"}")}), "e3.json:1:",
               "malformed JSON");
  s = std::string(kPoint);
  s.replace(s.find("[[0, 0]]"), 8, "[[0, \"a\"]]");
  expect_error(run({"classify", write("e2.json", s)}), "weights[0][0][1]", "expected a number");
  s = std::string(kPoint);
  s.replace(s.find("[2, 1, 2]"), 9, "[2, 0, 2]");
  expect_error(run({"classify", write("f.json", s)}), "dims[1]", "positive");
  s = std::string(kPoint);
  s.replace(s.find("\"linear\""), 8, "\"leaky_relu\"");
  expect_error(run({"classify", write("g.json", s)}), "model.slope", "missing");
  s = std::string(kPoint);
  s.replace(s.find("[[1, 2, 0], [0, 1, 1]]"), 22, "[[1, 2], [0, 1]]");
  expect_error(run({"classify", write("h.json", s)}), "Y[0]", "expected 3 numbers");
  s = std::string(kPoint);
  s.replace(s.find("\"linear\""), 8, "\"relu\"");
  expect_error(run({"classify", write("i.json", s)}), "model.family", "unknown family");
  EXPECT_EQ(run({"classify"}).code, 2);  // usage error
}

TEST_F(Cli, SampleWritesSummaryAndCsv) {
  const std::string cfg = write("c.toml", config_text());
  const CliRun r = run({"sample", cfg, "--out", path("out"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("global_minimum"), std::string::npos);
  EXPECT_NE(r.out.find("95% interval"), std::string::npos);
  const auto all = nlohmann::json::parse(landscape::read_file(path("out/summary.json")));
  ASSERT_EQ(all["cells"].size(), 1u);
  const auto& j = all["cells"][0];
  long total = 0;
  for (auto& [k, v] : j["classes"].items()) total += v["count"].get<long>();
  EXPECT_EQ(total, 4);
  EXPECT_EQ(j["global_loss_kind"], "closed_form");
  EXPECT_TRUE(fs::exists(path("out/results.db")));
  std::ifstream csv(path("out/endpoints.csv"));
  std::string line;
  int lines = 0;
  while (std::getline(csv, line)) ++lines;
  EXPECT_EQ(lines, 5);  // header + 4 endpoints
}

TEST_F(Cli, PlateauEndpointsAreFlaggedCountedAndStored) {
  // A three-layer network from a tiny initialization with a short budget never leaves the
  // plateau around W = 0: the endpoints are flagged, counted per class and stored as such.
  const std::string cfg = write("p.toml", "[experiment]\nname = \"p\"\nnetworks = 4\nseed = 3\n"
                                          "backend = \"cpu\"\n[model]\nfamily = \"linear\"\n"
                                          "dims = [3, 2, 2, 3]\n[data]\nn = 6\n[init]\nscale = 1e-3\n"
                                          "[train]\nlr = 0.005\nsteps = 200\n");
  const CliRun r = run({"sample", cfg, "--out", path("p"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("still on the initial plateau   4 of 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("none left the plateau"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(landscape::read_file(path("p/summary.json")))["cells"][0];
  EXPECT_EQ(j["dynamics"]["on_plateau"]["count"], 4);
  long classed = 0;
  for (auto& [k, v] : j["dynamics"]["on_plateau"]["classes"].items()) classed += v.get<long>();
  EXPECT_EQ(classed, 4);
  EXPECT_EQ(j["dynamics"]["stopped"]["budget"], 4);
  EXPECT_EQ(j["dynamics"]["escape_step"]["count"], 0);
  EXPECT_TRUE(j.contains("refinement_sensitivity"));
  EXPECT_TRUE(j.contains("certified_minima"));
  landscape::Database db(path("p/results.db"), landscape::OpenMode::read_only);
  landscape::Statement q(db, "SELECT COUNT(*) FROM endpoints WHERE dynamics = 'plateau' AND escape_step IS NULL "
                             "AND loss_drop IS NOT NULL AND json_extract(details, '$.dynamics.on_plateau') = 1");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int64(0), 4);
  const std::string csv = landscape::read_file(path("p/endpoints.csv"));
  EXPECT_NE(csv.find(",escape_step,loss_drop,dynamics,certified,certificate_margin"), std::string::npos);
  EXPECT_NE(csv.find(",plateau,"), std::string::npos);

  // Given the budget to escape, they leave the plateau and the escape steps are reported.
  const std::string cfg2 = write("q.toml", "[experiment]\nname = \"q\"\nnetworks = 4\nseed = 3\n"
                                           "backend = \"cpu\"\n[model]\nfamily = \"linear\"\n"
                                           "dims = [3, 2, 2, 3]\n[data]\nn = 6\n[init]\nscale = 0.3\n"
                                           "[train]\nlr = 0.01\nsteps = 3000\n");
  const CliRun r2 = run({"sample", cfg2, "--out", path("q"), "--quiet"});
  ASSERT_EQ(r2.code, 0) << r2.err;
  const auto j2 = nlohmann::json::parse(landscape::read_file(path("q/summary.json")))["cells"][0];
  EXPECT_EQ(j2["dynamics"]["on_plateau"]["count"], 0);
  EXPECT_EQ(j2["dynamics"]["escape_step"]["count"], 4);
  EXPECT_GT(j2["dynamics"]["escape_step"]["median"].get<double>(), 0.0);
}

TEST_F(Cli, SweepEndsWithACompactTableAndListsClaimsOnlyWhenVerbose) {
  const std::string cfg =
      write("s.toml", config_text("", "[init]\nscale = [0.1, 0.30000000000000004]\n"));
  const CliRun quiet = run({"sample", cfg, "--out", path("a"), "--quiet"});
  ASSERT_EQ(quiet.code, 0) << quiet.err;
  EXPECT_NE(quiet.out.find("=== cell 1/2: scale=0.1 ==="), std::string::npos) << quiet.out;
  EXPECT_NE(quiet.out.find("=== cell 2/2: scale=0.30000000000000004 ==="), std::string::npos);
  EXPECT_NE(quiet.out.find("sweep of 2 cells"), std::string::npos) << quiet.out;
  EXPECT_NE(quiet.out.find("  0.1  "), std::string::npos) << quiet.out;  // the swept value
  EXPECT_EQ(quiet.out.find("\n  theory:\n"), std::string::npos) << quiet.out;
  const CliRun verbose = run({"sample", cfg, "--out", path("b"), "--quiet", "--verbose"});
  ASSERT_EQ(verbose.code, 0) << verbose.err;
  EXPECT_EQ(count(verbose.out, "\n  theory:\n  - "), 2u) << verbose.out;
  EXPECT_NE(verbose.out.find("sweep of 2 cells"), std::string::npos);
  // One experiment lists its claims without being asked, and prints no sweep table.
  const CliRun one = run({"sample", write("one.toml", config_text()), "--out", path("c"), "--quiet"});
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_NE(one.out.find("\n  theory:\n  - "), std::string::npos) << one.out;
  EXPECT_EQ(one.out.find("sweep of"), std::string::npos);
}

TEST_F(Cli, SampleFromCsvData) {
  write("x.csv", "# features x samples\n1,0,2,1\n0,1,1,3\n2,2,0,1\n");
  write("y.csv", "1,2,0,1\n0,1,1,0\n");
  const std::string cfg = write(
      "c.toml", "[experiment]\nnetworks = 2\nbackend = \"cpu\"\n[model]\nfamily = \"linear\"\n"
                "dims = [3, 2, 2]\n[data]\nx = \"csv\"\ny = \"csv\"\nx_file = \"x.csv\"\n"
                "y_file = \"y.csv\"\n[train]\nlr = 0.01\nsteps = 5000\n");
  const CliRun r = run({"sample", cfg, "--out", path("out"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(landscape::read_file(path("out/summary.json")));
  EXPECT_EQ(j["cells"][0]["data"]["n"], 4);
}

TEST_F(Cli, SampleBadInputsLeaveNoCompleteOutput) {
  struct Bad {
    std::string text, needle1, needle2;
  };
  const std::vector<Bad> bads = {
      {"[model\nfamily = 1", "bad0.toml:1", "TOML syntax error"},
      {config_text("", "lrr = 3\n"), "train.lrr", "unknown key"},
      {config_text() + "[nonsense]\n", "nonsense", "unknown key"},
      {"[model]\nfamily = \"linear\"\ndims = [3, 0, 2]\n", "model.dims", "positive width"},
      {"[model]\nfamily = \"linear\"\ndims = [3]\n", "model.dims", "at least two"},
      {"[model]\nfamily = \"linear\"\n", "model.dims", "missing"},
      {config_text("", "steps = 0\n").replace(config_text().find("steps = 2000\n"), 13, ""),
       "train.steps", ">= 1"},
      {config_text().replace(config_text().find("lr = 0.005"), 10, "lr = -1.0"), "train.lr", "> 0"},
      {config_text().replace(config_text().find("lr = 0.005"), 10, "lr = nan"), "train.lr", "finite"},
      {config_text().replace(config_text().find("lr = 0.005"), 10, "lr = \"x\""), "train.lr", "expected a number"},
      {config_text().replace(config_text().find("networks = 4"), 12, "networks = 0"), "experiment.networks", ">= 1"},
      {config_text().replace(config_text().find("n = 5"), 5, "n = -2"), "data.n", ">= 1"},
      {config_text("slope = 0.1\n"), "model.slope", "only leaky_relu"},
      {"[model]\nfamily = \"leaky_relu\"\nslope = 1.0\ndims = [3, 2]\n", "model.slope", "!= 1"},
      {"[model]\nfamily = \"leaky_relu\"\nslope = -0.5\ndims = [3, 2]\n", "model.slope", "> 0"},
      {config_text("", "precision = \"float16\"\n"), "train.precision", "float32"},
      {config_text().replace(config_text().find("[data]\nn = 5"), 12, "[data]\nx = \"csv\"\nx_file = \"nope.csv\""),
       "nope.csv", "cannot read"},
      {config_text().replace(config_text().find("[data]\nn = 5"), 12, "[data]\nx = \"csv\"\nx_file = \"bad.csv\""),
       "bad.csv:2: column 2", "not a number"},
      {config_text().replace(config_text().find("[data]\nn = 5"), 12, "[data]\nx = \"csv\"\nx_file = \"short.csv\""),
       "short.csv", "rows but dims[0] = 3"},
      // Field errors carry the line, in sweeps too (each cell is a copy of the parsed file).
      {config_text().replace(config_text().find("lr = 0.005"), 10, "lr = -1.0"), "train.lr (line 12)", "> 0"},
      {config_text().replace(config_text().find("lr = 0.005"), 10, "lr = [0.005, -1.0]"),
       "[cell 1: lr=-1.0]: train.lr (line 12)", "> 0"},
      {config_text().replace(config_text().find("networks = 4"), 12, "networks = [4, 8]"),
       "experiment.networks (line 3)", "cannot be swept (keys that can: model.family"},
      // Settings that would be silently ignored or cannot be honoured.
      {config_text().replace(config_text().find("n = 5"), 5, "n = 5\nx_rank = 4"), "data.x_rank (line 11)",
       "must be <= min(dims[0], n) = 3"},
      {config_text().replace(config_text().find("n = 5"), 5, "n = 5\ny_rank = 3"), "data.y_rank (line 11)",
       "must be <= min(dims[h], n) = 2"},
      {config_text().replace(config_text().find("n = 5"), 5, "n = 5\nx_file = \"x.csv\""), "data.x_file (line 11)",
       "set x = \"csv\""},
      {config_text().replace(config_text().find("n = 5"), 5, "n = 5\ny_file = \"y.csv\""), "data.y_file (line 11)",
       "set y = \"csv\""},
      // Too large for any machine's memory: refused before anything is allocated.
      {config_text().replace(config_text().find("dims = [3, 2, 2]"), 16, "dims = [3, 1000000, 2]"), "model.dims",
       "5000000 parameters"},
      {config_text().replace(config_text().find("networks = 4"), 12, "networks = 100000000000000"),
       "experiment.networks", "held in memory"},
  };
  write("bad.csv", "1,2,3\n4,x,6\n7,8,9\n");
  write("short.csv", "1,2,3\n4,5,6\n");
  for (std::size_t i = 0; i < bads.size(); ++i) {
    const std::string cfg = write("bad" + std::to_string(i) + ".toml", bads[i].text);
    const std::string out = path("out" + std::to_string(i));
    const CliRun r = run({"sample", cfg, "--out", out, "--quiet"});
    SCOPED_TRACE("case " + std::to_string(i) + ": " + bads[i].text);
    expect_error(r, bads[i].needle1, bads[i].needle2);
    EXPECT_NE(r.err.find("bad" + std::to_string(i) + ".toml"), std::string::npos ||
              bads[i].needle1.find(".csv") != std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out + "/summary.json"));
    EXPECT_FALSE(fs::exists(out + "/endpoints.csv"));
  }
  expect_error(run({"sample", path("absent.toml")}), "absent.toml", "cannot read");
}

TEST_F(Cli, StaleSummaryIsRemovedWhenARunFailsToWrite) {
  // A complete earlier run, then a run whose output cannot be written: the old summary must not
  // be left next to it looking like the result of the new run.
  const std::string cfg = write("c.toml", config_text());
  ASSERT_EQ(run({"sample", cfg, "--out", path("o"), "--quiet"}).code, 0);
  ASSERT_TRUE(fs::exists(path("o/summary.json")));
  fs::remove(path("o/endpoints.csv"));
  fs::create_directory(path("o/endpoints.csv"));  // rename onto a directory fails
  const CliRun r = run({"sample", cfg, "--out", path("o"), "--quiet"});
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(fs::exists(path("o/summary.json")));
}

TEST_F(Cli, BadInputLeavesNoRunAndAFailedRunIsMarkedAndResumable) {
  const std::string cfg = write("c.toml", config_text());
  const std::string db = path("o/results.db");
  ASSERT_EQ(run({"sample", cfg, "--out", path("o"), "--quiet"}).code, 0);
  // Input errors are found before the database is opened: still one run, complete.
  const std::string bad = write("b.toml", config_text().replace(config_text().find("n = 5"), 5, "n = 5\nx_rank = 9"));
  expect_error(run({"sample", bad, "--out", path("o"), "--quiet"}), "data.x_rank");
  {
    landscape::Store store(db);
    const auto last = store.latest_run();
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->run_id, 1);
    EXPECT_EQ(last->status, "complete");
  }
  // An error after the run started (its outputs cannot be written) marks it failed, not complete;
  // once the cause is gone --resume completes it and writes the outputs.
  fs::create_directories(path("p/endpoints.csv"));
  expect_error(run({"sample", cfg, "--out", path("p"), "--quiet"}), "endpoints.csv");
  {
    landscape::Store store(path("p/results.db"));
    const auto last = store.latest_run();
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->run_id, 1);
    EXPECT_EQ(last->status, "failed");
  }
  fs::remove_all(path("p/endpoints.csv"));
  ASSERT_EQ(run({"sample", cfg, "--out", path("p"), "--quiet", "--resume"}).code, 0);
  {
    landscape::Store store(path("p/results.db"));
    EXPECT_EQ(store.latest_run()->status, "complete");
  }
  EXPECT_TRUE(fs::exists(path("p/summary.json")));
  // Resuming a complete run only rewrites its outputs; if that fails, its data stay complete.
  fs::remove(path("p/endpoints.csv"));
  fs::create_directories(path("p/endpoints.csv"));
  expect_error(run({"sample", cfg, "--out", path("p"), "--quiet", "--resume"}), "endpoints.csv");
  {
    landscape::Store store(path("p/results.db"));
    EXPECT_EQ(store.latest_run()->status, "complete");
  }
  // --resume where there is no database creates none.
  expect_error(run({"sample", cfg, "--out", path("none"), "--quiet", "--resume"}), "nothing to resume");
  EXPECT_FALSE(fs::exists(path("none")));
  // A negative thread count is refused like the file's threads = -1.
  const CliRun neg = run({"sample", cfg, "--threads", "-3", "--quiet"});
  EXPECT_NE(neg.code, 0);
  EXPECT_NE(neg.err.find("--threads"), std::string::npos) << neg.err;
}

TEST_F(Cli, RankLimitsUseTheSampleCountOfCsvData) {
  // X from a file with 3 samples: the config's n (default 16) is not the sample count.
  write("x.csv", "1,2,3\n4,5,6\n7,8,10\n");
  const std::string cfg = "[experiment]\nnetworks = 2\n[model]\nfamily = \"linear\"\ndims = [3, 2, 4]\n"
                          "[data]\nx = \"csv\"\nx_file = \"x.csv\"\ny_rank = ";
  expect_error(run({"sample", write("r4.toml", cfg + "4\n"), "--out", path("r4"), "--quiet"}), "data.y_rank",
               "min(dims[h], n) = 3");
  EXPECT_EQ(run({"sample", write("r3.toml", cfg + "3\n[train]\nsteps = 5\n"), "--out", path("r3"), "--quiet"}).code, 0);
}

TEST_F(Cli, SweepMemoryIsCheckedForAllCellsTogether) {
  const double memory = landscape::physical_memory_bytes();
  if (memory <= 0) GTEST_SKIP() << "physical memory unknown here";
  // Two cells, each holding about half the machine's memory in results: each fits alone, the
  // sweep (which keeps every cell's results until it ends) does not.
  landscape::ExperimentConfig one = landscape::parse_config(config_text(), "one.toml");
  one.networks = 1;
  const double per_network = landscape::estimate_memory(one, 1).results;
  const long networks = long(0.5 * memory / per_network) + 1;
  std::string text = config_text("", "[output]\n");
  text.replace(text.find("networks = 4"), 12, "networks = " + std::to_string(networks));
  text.replace(text.find("lr = 0.005"), 10, "lr = [0.005, 0.01]");
  const CliRun r = run({"sample", write("sw.toml", text), "--out", path("sw"), "--quiet", "--threads", "1"});
  expect_error(r, "experiment.networks", "the sweep's 2 cells");
  EXPECT_FALSE(fs::exists(path("sw/results.db")));
}

TEST_F(Cli, ResumeCommandLocatesTheDatabase) {
  landscape::SweepOptions opt;
  opt.config_path = "exp.toml";
  EXPECT_EQ(landscape::resume_command(opt), "landscape sample exp.toml --resume");
  opt.out_dir = "runs/a b";
  opt.db_path = "it's.db";
  opt.backend = "cpu";
  opt.threads = 4;
  EXPECT_EQ(landscape::resume_command(opt),
            "landscape sample exp.toml --resume --out 'runs/a b' --db 'it'\\''s.db' --backend cpu --threads 4");
}

TEST_F(Cli, TheoryOptionsAreCheckedAndNamed) {
  const CliRun ok = run({"theory", "--dims", "3,2,3", "--n", "8"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("linear dims [3, 2, 3], n = 8"), std::string::npos) << ok.out;
  expect_error(run({"theory", "--dims", "5,0,3"}), "--dims[1]", "width must be a positive integer, got 0");
  expect_error(run({"theory", "--dims", "3,2,3", "--n", "0"}), "--n", "positive");
  expect_error(run({"theory", "--dims", "3,2,3", "--slope", "0.5"}), "--slope", "only leaky_relu");
  expect_error(run({"theory", "--dims", "3,2,3", "--x-rank", "4"}), "--x-rank", "must be <= min(dims[0], n) = 3");
  // A file brings its own architecture: options that would be ignored are refused.
  const CliRun both = run({"theory", write("c.toml", config_text()), "--dims", "3,2,3"});
  EXPECT_NE(both.code, 0);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
}

TEST_F(Cli, VersionAndUsage) {
  const CliRun v = run({"version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("landscape"), std::string::npos);
  EXPECT_NE(v.out.find("cpu simd: " + landscape::simd_target() + " (available: "), std::string::npos) << v.out;
  EXPECT_EQ(run({}).code, 2);
  EXPECT_EQ(run({"frobnicate"}).code, 2);
}

}  // namespace
