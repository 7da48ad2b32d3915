// The reproduction suite end to end (small scale), and contradictions exported as POINT.json
// files that `classify` accepts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "landscape/backends/backend.hpp"
#include "landscape/core/common.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/io/point.hpp"
#include "landscape/run/suite.hpp"

namespace fs = std::filesystem;
using namespace landscape;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("landscape_suite_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(Suite, RunsEveryClaimEndToEndAtSmallScale) {
  const fs::path out = fresh_dir("e2e");
  SuiteOptions opt;
  opt.dir = std::string(LANDSCAPE_SOURCE_DIR) + "/examples/suite";
  opt.out = out.string();
  opt.scale = 0.1;
  opt.quiet = true;
  std::ostringstream o, e;
  ASSERT_EQ(run_suite(opt, o, e), 0) << e.str();
  for (const char* f : {"suite.md", "suite.html", "suite.json", "suite.csv"}) EXPECT_TRUE(fs::exists(out / f)) << f;
  const auto rows = nlohmann::json::parse(read_file((out / "suite.json").string()));
  std::set<std::string> claims, experiments;
  for (const auto& r : rows) {
    claims.insert(r["claim"].get<std::string>().substr(0, r["claim"].get<std::string>().find(':')));
    experiments.insert(r["experiment"].get<std::string>());
    // Deterministic runs of true theorems: a contradiction here is a bug.
    EXPECT_NE(r["verdict"], "inconsistent") << r.dump();
  }
  for (const char* c : {"N&R Thm 5", "N&R Lemma 7", "N&R Thm 8", "K Thm 2.3", "K Cor 2.4", "N&R Lemma 3 + Obs 1", "-"})
    EXPECT_TRUE(claims.count(c)) << c;
  EXPECT_EQ(experiments.size(), 5u);
  for (const auto& x : experiments) EXPECT_TRUE(fs::exists(out / x / "report" / "report.html")) << x;
  // The table's first line is the documented header.
  const std::string md = read_file((out / "suite.md").string());
  EXPECT_NE(md.find("| claim | setting | prediction | observation | verdict |"), std::string::npos);
  // Rank-1 targets leave N&R Lemma 7 nothing to speak about: listed as not applicable, with the
  // reason, after the table instead of "0 of 0 inconclusive" rows.
  EXPECT_NE(md.find("## Not applicable"), std::string::npos);
  long not_applicable = 0;
  for (const auto& r : rows)
    if (r["verdict"] == "not applicable") {
      ++not_applicable;
      EXPECT_EQ(r["observation"].get<std::string>().find(" of "), std::string::npos) << r.dump();
      EXPECT_EQ(md.find("| " + r["claim"].get<std::string>() + " | " + r["experiment"].get<std::string>()),
                std::string::npos);
    }
  EXPECT_GT(not_applicable, 0);
  // K Cor 2.4 for h >= 3: small inits reach the non-strict saddle at W = 0.
  bool bad_saddles_seen = false;
  for (const auto& r : rows)
    if (r["claim"].get<std::string>().rfind("K Cor 2.4: h >= 3", 0) == 0) bad_saddles_seen = r["verdict"] == "consistent";
  EXPECT_TRUE(bad_saddles_seen);
}

TEST(Suite, ContradictionsAreExportedAsClassifiablePoints) {
  // A deliberately wrong tolerance turns the strict saddles next to W = 0 of a two-layer net into
  // "non-strict saddles", contradicting Kawaguchi's Corollary 2.4; the exported points let anyone
  // check, and classify with sane tolerances calls them strict saddles.
  const fs::path dir = fresh_dir("contra_in");
  const fs::path out = fresh_dir("contra_out");
  std::ofstream(dir / "bad.toml") << "[experiment]\nnetworks = 3\nseed = 3\n[model]\nfamily = \"linear\"\n"
                                     "dims = [4, 3, 3]\n[data]\nn = 12\n[init]\nsmall = true\nsmall_factor = 1e-3\n"
                                     "[train]\nlr = 0.001\nsteps = 5\n[refine]\nenabled = true\n"
                                     "[classify]\neig_tol = 100.0\n";
  SuiteOptions opt;
  opt.dir = dir.string();
  opt.out = out.string();
  opt.quiet = true;
  std::ostringstream o, e;
  ASSERT_EQ(run_suite(opt, o, e), 0) << e.str();
  const auto rows = nlohmann::json::parse(read_file((out / "suite.json").string()));
  std::set<std::string> exported;
  for (const auto& r : rows) {
    if (r["verdict"] != "inconsistent") continue;
    for (const auto& p : r["contradicting_points"]) {
      exported.insert(p.get<std::string>());
      const Point pt = load_point((out / p.get<std::string>()).string());
      auto cpu = make_cpu_backend(1);
      const PointReport rep = classify_single(pt, DecideSettings{}, RestartSpec{}, *cpu);
      EXPECT_EQ(rep.endpoint.cls, PointClass::strict_saddle);
    }
  }
  EXPECT_EQ(exported.size(), 3u);  // one file per endpoint, whichever claims it contradicts
  EXPECT_NE(read_file((out / "suite.md").string()).find("## Contradictions"), std::string::npos);
}

}  // namespace
