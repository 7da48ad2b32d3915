// Every endpoint retrievable: the database stores each cell's X and Y and every endpoint's
// weights; `landscape point` writes an endpoint as POINT.json with its cell's settings, and
// `landscape classify` of that file reproduces the stored class, refined or not.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "landscape/cli/cli.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/config.hpp"
#include "landscape/io/sqlite.hpp"
#include "landscape/run/experiment.hpp"
#include "cli_run.hpp"
#include "temp_dir_test.hpp"

namespace {

using landscape::Database;
using landscape::OpenMode;
using landscape::Statement;
using landscape::cli_main;

using landscape::test::CliRun;
using landscape::test::run;

class Point : public landscape::test::TempDirTest {
 protected:
  Point() : TempDirTest("point") {}

  /// Runs `config` into db.sqlite; returns its path.
  std::string sample(const std::string& config) {
    const std::string db = path("db.sqlite");
    const CliRun r = run({"sample", write("c.toml", config), "--quiet", "--db", db, "--out", path("out")});
    EXPECT_EQ(r.code, 0) << r.err;
    return db;
  }
};

/// Two runs into one database: linear networks (closed-form L*) and non-pyramidal leaky-ReLU
/// networks (empirical L*), each from the usual and from a small initialization (saddles,
/// escape tests), every endpoint refined.
std::string sweep_config(const std::string& model) {
  return "[experiment]\nname = \"p\"\nnetworks = 5\nseed = 7\nbackend = \"cpu\"\n[model]\n" + model +
         "dims = [3, 4, 2]\n[data]\nn = 6\n[init]\nsmall = [false, true]\n[train]\nlr = 0.01\nsteps = 400\n"
         "[refine]\nenabled = true\nmax_iterations = 20\n"
         "[escape]\nrandom_directions = 8\nperturbed_runs = 2\nperturbed_steps = 200\n";
}

struct Stored {
  long run;
  int cell;
  long net;
  std::string cls, train_status;
};

std::vector<Stored> stored_classes(const std::string& db_path) {
  Database db(db_path, OpenMode::read_only);
  Statement q(db, "SELECT c.run_id, c.cell_index, e.net_index, e.class, e.train_status FROM endpoints e "
                  "JOIN cells c USING (cell_id) ORDER BY c.run_id, c.cell_index, e.net_index");
  std::vector<Stored> out;
  while (q.step()) out.push_back({long(q.int64(0)), int(q.int64(1)), long(q.int64(2)), q.text(3), q.text(4)});
  return out;
}

std::string classify_class(const std::string& point_path) {
  const CliRun r = run({"classify", point_path, "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  return r.code == 0 ? nlohmann::json::parse(r.out)["class"].get<std::string>() : "";
}

TEST_F(Point, ClassifyReproducesEveryStoredClassRawAndRefined) {
  const std::string db = sample(sweep_config("family = \"linear\"\n"));
  EXPECT_EQ(sample(sweep_config("family = \"leaky_relu\"\nslope = 0.2\n")), db);
  const std::vector<Stored> stored = stored_classes(db);
  ASSERT_EQ(stored.size(), 20u);
  std::set<std::string> kinds;
  {
    Database d(db, OpenMode::read_only);
    Statement q(d, "SELECT DISTINCT global_loss_kind FROM cells");
    while (q.step()) kinds.insert(q.text(0));
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"closed_form", "empirical"}));
  std::set<std::string> classes;
  int diverged = 0;
  for (const Stored& s : stored) {
    const std::string where =
        "run " + std::to_string(s.run) + " cell " + std::to_string(s.cell) + " net " + std::to_string(s.net);
    const std::string file = path("p.json");
    const std::vector<std::string> args = {"point", db, "--run", std::to_string(s.run), "--cell",
                                           std::to_string(s.cell), "--net", std::to_string(s.net), "--out", file};
    CliRun r = run(args);
    if (s.train_status == "diverged") {
      ++diverged;
      EXPECT_EQ(r.code, 1) << where;
      EXPECT_NE(r.err.find("diverged in training"), std::string::npos) << r.err;
      continue;
    }
    ASSERT_EQ(r.code, 0) << where << ": " << r.err;
    classes.insert(s.cls);
    EXPECT_EQ(classify_class(file), s.cls) << where << " (as trained, refined by classify)";
    std::vector<std::string> refined = args;
    refined.push_back("--refined");
    r = run(refined);
    ASSERT_EQ(r.code, 0) << where << ": " << r.err;
    const auto j = nlohmann::json::parse(landscape::read_file(file));
    EXPECT_FALSE(j["settings"]["refine"]["enabled"].get<bool>()) << where;
    EXPECT_EQ(classify_class(file), s.cls) << where << " (refined)";
  }
  EXPECT_LT(diverged, 20);
  // The sweep reaches more than one class, so the reproduction is not one verdict repeated.
  EXPECT_GE(classes.size(), 2u);
}

TEST_F(Point, StoresDataAndWeightsOfEveryEndpoint) {
  const std::string config = "[experiment]\nnetworks = 6\nseed = 3\nbackend = \"cpu\"\n"
                             "[model]\nfamily = \"linear\"\ndims = [3, 2, 2]\n[data]\nn = 5\n"
                             "[train]\nlr = 0.01\nsteps = 5000\n";
  const std::string db = sample(config);
  const landscape::ExperimentConfig cfg = landscape::parse_config(config, "c.toml");
  const landscape::CellContext ctx = landscape::make_cell_context(cfg);
  Database d(db, OpenMode::read_only);
  Statement data(d, "SELECT x, y FROM cell_data");
  ASSERT_TRUE(data.step());
  EXPECT_EQ(*data.doubles(0), ctx.data.X);
  EXPECT_EQ(*data.doubles(1), ctx.data.Y);
  Statement w(d, "SELECT COUNT(*), MIN(length(weights)), MAX(length(weights)) FROM weights");
  ASSERT_TRUE(w.step());
  EXPECT_EQ(w.int64(0), 6);
  EXPECT_EQ(w.int64(1), 8 * 10);  // P = 3·2 + 2·2 = 10 float64
  EXPECT_EQ(w.int64(2), 8 * 10);
  // Without refinement a candidate's weights are the stored endpoint's: kept once.
  Statement c(d, "SELECT COUNT(*), COALESCE(MAX(length(weights)), 0) FROM candidates");
  ASSERT_TRUE(c.step());
  EXPECT_GT(c.int64(0), 0);
  EXPECT_EQ(c.int64(1), 0);
  // The stored weights are the trained endpoint: its loss is the stored loss.
  const CliRun r = run({"point", db, "--cell", "0", "--net", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["X"].size(), 3u);
  EXPECT_FALSE(j.contains("global_loss"));  // closed form: classify computes it
  EXPECT_EQ(j["settings"]["classify"]["grad_tol"].get<double>(), cfg.decide.tol.grad);
}

TEST_F(Point, WeightsCanBeTurnedOff) {
  const std::string db = sample("[experiment]\nnetworks = 3\nbackend = \"cpu\"\n[model]\nfamily = "
                                "\"linear\"\ndims = [2, 2]\n[train]\nsteps = 50\n[output]\nweights = false\n");
  Database d(db, OpenMode::read_only);
  Statement w(d, "SELECT COUNT(*) FROM weights");
  ASSERT_TRUE(w.step());
  EXPECT_EQ(w.int64(0), 0);
  const CliRun r = run({"point", db, "--cell", "0", "--net", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no weights stored: the run had output.weights = false"), std::string::npos) << r.err;
}

TEST_F(Point, BadRequestsNameWhatIsMissing) {
  const std::string db = sample("[experiment]\nnetworks = 3\nbackend = \"cpu\"\n[model]\nfamily = "
                                "\"linear\"\ndims = [2, 2]\n[train]\nsteps = 50\n");
  CliRun r = run({"point", db, "--cell", "4", "--net", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(db + ": no cell 4 in any run"), std::string::npos) << r.err;
  r = run({"point", db, "--cell", "0", "--net", "3"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(db + ": no network 3 in cell 0 of run 1"), std::string::npos) << r.err;
  r = run({"point", db, "--cell", "0", "--net", "0", "--run", "2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(db + ": no run 2"), std::string::npos) << r.err;
  r = run({"point", db, "--cell", "0", "--net", "0", "--refined"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("the run did not refine its endpoints"), std::string::npos) << r.err;
  r = run({"point", path("none.db"), "--cell", "0", "--net", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("none.db: cannot read database"), std::string::npos) << r.err;
}

const char* kPointJson = R"({"model": {"family": "linear", "dims": [2, 1, 2]},
  "X": [[1, 0, 2], [0, 1, 1]],
  "Y": [[1, 2, 0], [0, 1, 1]],
  "weights": [[[0, 0]], [[0], [0]]])";

// `landscape slice DB --cell C --net I` slices the point `landscape point` writes: the same CSV
// bytes as `point` then `slice` on the POINT.json, and the stored class in slice.json.
TEST_F(Point, SliceOfAStoredEndpointEqualsPointThenSlice) {
  const std::string db = sample(sweep_config("family = \"linear\"\n"));
  const std::vector<Stored> stored = stored_classes(db);
  int compared = 0;
  for (const Stored& s : stored) {
    if (s.train_status == "diverged" || (s.net != 0 && s.net != 3)) continue;
    for (const bool refined : {false, true}) {
      const std::string where = "cell " + std::to_string(s.cell) + " net " + std::to_string(s.net) +
                                (refined ? " refined" : "");
      std::vector<std::string> which = {"--cell", std::to_string(s.cell), "--net", std::to_string(s.net)};
      if (refined) which.push_back("--refined");
      std::vector<std::string> point = {"point", db, "--out", path("q.json")};
      point.insert(point.end(), which.begin(), which.end());
      CliRun r = run(point);
      ASSERT_EQ(r.code, 0) << where << ": " << r.err;
      const std::vector<std::string> opts = {"--direction", "random", "--plane", "random", "--steps", "9",
                                             "--plane-steps", "5", "--seed", "3"};
      std::vector<std::string> from_json = {"slice", path("q.json"), "--out", path("sj")};
      from_json.insert(from_json.end(), opts.begin(), opts.end());
      r = run(from_json);
      ASSERT_EQ(r.code, 0) << where << ": " << r.err;
      std::vector<std::string> from_db = {"slice", db, "--out", path("sd")};
      from_db.insert(from_db.end(), which.begin(), which.end());
      from_db.insert(from_db.end(), opts.begin(), opts.end());
      r = run(from_db);
      ASSERT_EQ(r.code, 0) << where << ": " << r.err;
      for (const char* f : {"line.csv", "plane.csv"}) {
        const std::string a = landscape::read_file(path("sj") + "/" + f);
        EXPECT_EQ(a, landscape::read_file(path("sd") + "/" + f)) << where << ": " << f;
        EXPECT_GT(a.size(), 50u) << where << ": " << f;
      }
      const auto j = nlohmann::json::parse(landscape::read_file(path("sd") + "/slice.json"));
      EXPECT_EQ(j["class"], s.cls) << where;  // decided with the cell's settings
      EXPECT_EQ(j["point"], "db.sqlite cell" + std::to_string(s.cell) + "-net" + std::to_string(s.net) +
                                (refined ? "-refined" : ""));
      ++compared;
    }
  }
  EXPECT_GE(compared, 4);
  // Without an output folder it goes next to the database, named after the endpoint.
  CliRun r = run({"slice", db, "--cell", "1", "--net", "0", "--plane", "none", "--steps", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(path("db-cell1-net0-slice/line.csv"))) << r.out;
  // The options belong to one kind of argument each, and the kind is told from the file.
  r = run({"slice", db, "--cell", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(db + ": a results database: name the endpoint with --cell C --net I"), std::string::npos)
      << r.err;
  const std::string pt = write("pt.json", std::string(kPointJson) + "}");
  r = run({"slice", pt, "--net", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--net: only for a results database; " + pt + " is a POINT.json file"), std::string::npos)
      << r.err;
  r = run({"slice", write("t.txt", "cell,net\n0,1\n"), "--cell", "0", "--net", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("t.txt: neither a POINT.json file (a JSON object) nor a landscape results database"),
            std::string::npos)
      << r.err;
  r = run({"slice", db, "--cell", "9", "--net", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(db + ": no cell 9 in any run"), std::string::npos) << r.err;
  // A folder is named as one, not as a file of the wrong kind.
  std::filesystem::create_directories(path("somedir"));
  r = run({"slice", path("somedir"), "--cell", "0", "--net", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path("somedir") + ": is a directory"), std::string::npos) << r.err;
  // An eigenvector the plane asks for that does not exist is the plane's fault (P = 4 here).
  r = run({"slice", pt, "--plane", "eig:0,eig:20", "--out", path("sp")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--plane: eigenvector 20 does not exist: P = 4"), std::string::npos) << r.err;
  r = run({"slice", pt, "--direction", "eig:9", "--plane", "none", "--out", path("sp")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--direction: eigenvector 9 does not exist: P = 4"), std::string::npos) << r.err;
}


TEST_F(Point, ClassifyTakesThePointsSettingsUnderTheCommandLine) {
  // W = 0 is a strict saddle; a gradient tolerance is irrelevant there, but an eigenvalue
  // tolerance above every |λ| makes the Hessian "PSD to tolerance".
  const std::string plain = write("plain.json", std::string(kPointJson) + "}");
  EXPECT_EQ(classify_class(plain), "strict_saddle");
  const std::string loose =
      write("loose.json", std::string(kPointJson) + R"(, "settings": {"classify": {"eig_tol": 1e3}}})");
  EXPECT_NE(classify_class(loose), "strict_saddle");
  const CliRun r = run({"classify", loose, "--json", "--eig-tol", "1e-6"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["class"], "strict_saddle");  // the option wins
  // Bad settings are refused with the field.
  CliRun bad = run({"classify", write("b.json", std::string(kPointJson) +
                                                    R"(, "settings": {"classify": {"grad_tol": -1}}})")});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("b.json: settings.classify.grad_tol: must be > 0"), std::string::npos) << bad.err;
  bad = run({"classify", write("c.json", std::string(kPointJson) + R"(, "settings": {"escape": {"steps": 3}}})")});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("c.json: settings.escape.steps: unknown key"), std::string::npos) << bad.err;
  // An optimum is given only where no closed form applies.
  bad = run({"classify", write("d.json", std::string(kPointJson) + R"(, "global_loss": 0.5})")});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("d.json: global_loss: a closed-form optimum applies"), std::string::npos) << bad.err;
}

}  // namespace
