// The geometry commands and the CLI conventions end to end: `slice` outputs checked against
// direct loss evaluation, classify's eigenvectors, blocks and partial spectrum (large P without
// a dense allocation), version, suggestions for typos, transposed weights, runs kept apart in
// one database and `report --run`, and where `suite` finds its experiments.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "landscape/analysis/hessian.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/cli/cli.hpp"
#include "landscape/core/common.hpp"
#include "landscape/core/linalg.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/config.hpp"
#include "landscape/io/point.hpp"
#include "landscape/io/sqlite.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/run/slice.hpp"
#include "process_util.hpp"
#include "cli_run.hpp"
#include "temp_dir_test.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace landscape;
using json = nlohmann::json;

namespace {

using landscape::test::CliRun;
using landscape::test::run;

class GeometryCli : public test::TempDirTest {
 protected:
  GeometryCli() : TempDirTest("geometry-cli") {}
};

/// A point of a three-layer linear net away from any critical point, and W = 0 of it (a
/// non-strict saddle: the Hessian vanishes, the escape test finds the cubic descent).
Point make_point(bool zero, std::vector<int> dims = {3, 3, 3, 2}, int n = 6) {
  Point p;
  p.model = landscape::testing::make_model(Family::linear, std::move(dims));
  p.data = landscape::testing::gaussian_data(p.model, n, 4);
  p.weights = zero ? std::vector<double>(p.model.param_count(), 0.0)
                   : landscape::testing::random_weights(p.model, 3);
  return p;
}

std::vector<std::vector<double>> read_csv(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);  // header
  std::vector<std::vector<double>> rows;
  while (std::getline(f, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

double loss_plus(const Point& p, const std::vector<double>& dir, double t) {
  std::vector<double> x = p.weights;
  for (std::size_t k = 0; k < x.size(); ++k) x[k] = p.weights[k] + t * dir[k];
  return landscape::testing::loss_at(p.model, p.data, x);
}

TEST_F(GeometryCli, SliceAlongTheMinEigenvectorMatchesDirectEvaluation) {
  const Point p = make_point(false);
  const std::string pt = write("p.json", point_to_json(p));
  const CliRun c = run({"classify", pt, "--json", "--vectors", "2"});
  ASSERT_EQ(c.code, 0) << c.err;
  const json j = json::parse(c.out);
  ASSERT_EQ(j["vectors"].size(), 2u);
  const auto v = j["vectors"][0]["vector"].get<std::vector<double>>();
  ASSERT_EQ(v.size(), p.model.param_count());
  EXPECT_DOUBLE_EQ(j["vectors"][0]["eigenvalue"].get<double>(), j["lambda_min"].get<double>());
  // H v = λ v for the reported pair, against the dense Hessian.
  const HessianResult h = exact_hessian(p.model, p.data, p.weights.data());
  const std::size_t P = v.size();
  const double lam = j["lambda_min"].get<double>();
  for (std::size_t i = 0; i < P; ++i) {
    double hv = 0;
    for (std::size_t k = 0; k < P; ++k) hv += h.H[i * P + k] * v[k];
    EXPECT_NEAR(hv, lam * v[i], 1e-9 * std::max(1.0, std::abs(j["lambda_max"].get<double>())));
  }
  EXPECT_EQ(j["blocks"]["frobenius"].size(), 3u);
  EXPECT_EQ(j["blocks"]["diagonal"].size(), 3u);
  EXPECT_EQ(j["spectrum"], "full");

  const std::string out = path("s");
  const CliRun s = run({"slice", pt, "--direction", "min-eig", "--range", "0.5", "--steps", "11",
                        "--plane-steps", "5", "--out", out});
  ASSERT_EQ(s.code, 0) << s.err;
  for (const char* f :
       {"line.csv", "plane.csv", "blocks.csv", "line.svg", "plane.svg", "slice.json", "slice.html"})
    EXPECT_TRUE(fs::exists(fs::path(out) / f)) << f;
  const auto line = read_csv(out + "/line.csv");
  ASSERT_EQ(line.size(), 11u);
  EXPECT_EQ(line[5][0], 0.0);
  for (const auto& row : line)
    EXPECT_NEAR(row[1], loss_plus(p, v, row[0]), 1e-12 * std::max(1.0, row[1]));
  const auto plane = read_csv(out + "/plane.csv");
  ASSERT_EQ(plane.size(), 25u);
  EXPECT_DOUBLE_EQ(plane[12][2],
                   landscape::testing::loss_at(p.model, p.data, p.weights));  // the centre
  const json sj = json::parse(read_file(out + "/slice.json"));
  EXPECT_EQ(sj["line"]["direction"], "eig:0");
  EXPECT_EQ(sj["line"]["vector"].get<std::vector<double>>(), v);
  EXPECT_EQ(sj["plane"]["direction1"], "random 1");
  const std::string html = read_file(out + "/slice.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg\" role") == std::string::npos, false);
}

TEST_F(GeometryCli, SliceAlongAUserDirectionAndTheWitness) {
  const Point p = make_point(false);
  const std::string pt = write("p.json", point_to_json(p));
  std::vector<double> dir(p.model.param_count());
  for (std::size_t k = 0; k < dir.size(); ++k) dir[k] = std::sin(double(k) + 1.0);
  const std::string df = write("d.json", json({{"direction", dir}}).dump());
  const CliRun s =
      run({"slice", pt, "--direction", df, "--plane", "none", "--steps", "7", "--out", path("u")});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_FALSE(fs::exists(path("u") + "/plane.csv"));
  for (const auto& row : read_csv(path("u") + "/line.csv"))
    EXPECT_DOUBLE_EQ(row[1], loss_plus(p, dir, row[0]));
  // A wrong-sized direction names the file.
  const std::string bad = write("bad.json", "[1, 2, 3]");
  const CliRun b = run({"slice", pt, "--direction", bad, "--out", path("b")});
  EXPECT_EQ(b.code, 1);
  EXPECT_NE(b.err.find("bad.json"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("expected P = 24 numbers"), std::string::npos) << b.err;
  // A strict saddle or a non-critical point has no witness: the message says what to use.
  const CliRun nw = run({"slice", pt, "--direction", "witness", "--out", path("w0")});
  EXPECT_EQ(nw.code, 1);
  EXPECT_NE(nw.err.find("no escape witness"), std::string::npos) << nw.err;
  // W = 0 of a three-layer net: a non-strict saddle with a witness; the loss drops along it.
  const Point z = make_point(true);
  const std::string zt = write("z.json", point_to_json(z));
  const CliRun w = run({"slice", zt, "--out", path("w")});
  ASSERT_EQ(w.code, 0) << w.err;
  const json sj = json::parse(read_file(path("w") + "/slice.json"));
  EXPECT_EQ(sj["class"], "non_strict_saddle");
  EXPECT_EQ(sj["line"]["direction"], "witness");
  EXPECT_EQ(sj["plane"]["direction1"], "eig:0");  // W = 0: no filter-normalised plane
  const auto loss = sj["line"]["loss"].get<std::vector<double>>();
  const double centre = loss[loss.size() / 2];
  EXPECT_LT(*std::min_element(loss.begin(), loss.end()), centre);
}

TEST_F(GeometryCli, PartialSpectrumAgreesWithTheDenseOne) {
  // P = 8·8 + 8·6 + 6·5 = 142: both paths run; --max-dense-mb 0.01 forces Lanczos.
  const Point p = make_point(false, {8, 8, 6, 5}, 12);
  const std::string pt = write("p.json", point_to_json(p));
  const CliRun d = run({"classify", pt, "--json"});
  const CliRun l = run(
      {"classify", pt, "--json", "--max-dense-mb", "0.01", "--lanczos-k", "5", "--vectors", "1"});
  ASSERT_EQ(d.code, 0) << d.err;
  ASSERT_EQ(l.code, 0) << l.err;
  const json jd = json::parse(d.out), jl = json::parse(l.out);
  EXPECT_EQ(jl["spectrum"], "partial");
  EXPECT_EQ(jl["spectrum_k"], 5);
  EXPECT_NE(l.err.find("spectrum is partial"), std::string::npos) << l.err;
  EXPECT_EQ(jl["class"], jd["class"]);
  const auto ev = jd["eigenvalues"].get<std::vector<double>>();
  const double scale = std::max(std::abs(ev.front()), std::abs(ev.back()));
  const auto lo = jl["eigenvalues"].get<std::vector<double>>();
  const auto hi = jl["eigenvalues_largest"].get<std::vector<double>>();
  ASSERT_EQ(lo.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(lo[i], ev[i], 1e-8 * scale);
    EXPECT_NEAR(hi[i], ev[ev.size() - 5 + i], 1e-8 * scale);
  }
  EXPECT_TRUE(jl["blocks"].is_null());
  EXPECT_TRUE(jl["symmetry"].is_null());
  EXPECT_EQ(jl["vectors"].size(), 1u);
  // Refinement needs the dense Hessian: refused with the option to change.
  const CliRun r = run({"classify", pt, "--max-dense-mb", "0.01", "--refine"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--max-dense-mb"), std::string::npos) << r.err;
}

TEST_F(GeometryCli, LargePointIsClassifiedWithoutTheDenseHessian) {
  // [128, 128, 128, 10], P = 34,048: the dense path would hold about 35 GiB. Under a 3 GB
  // address-space limit the partial path runs through (k = 4 keeps it short).
  Point p = make_point(false, {128, 128, 128, 10}, 12);
  const std::string pt = write("big.json", point_to_json(p));
  // Two threads and two malloc arenas, so that the limit measures the algorithm's memory and
  // not per-thread stack and arena reservations, which grow with the machine's core count.
  const test::Proc r = test::run_binary("classify " + pt + " --json --lanczos-k 4", m_dir,
                                        "ulimit -v 3000000; OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2");
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["spectrum"], "partial");
  EXPECT_GT(j["dense_hessian_bytes"].get<double>(), 30e9);
  EXPECT_EQ(j["eigenvalues"].size(), 4u);
  EXPECT_NE(r.err.find("34048 parameters"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("34.5 GiB"), std::string::npos) << r.err;
  // The control: forced onto the dense path, the same point fails at once (refused by the
  // memory check, or its 9 GB Hessian refused by the limit), never runs.
  const test::Proc dense =
      test::run_binary("classify " + pt + " --json --max-dense-mb 100000", m_dir,
                       "ulimit -v 3000000; OMP_NUM_THREADS=2 MALLOC_ARENA_MAX=2");
  EXPECT_EQ(dense.code, 1) << dense.err;
  EXPECT_TRUE(dense.err.find("this machine has") != std::string::npos ||
              dense.err.find("out of host memory") != std::string::npos)
      << dense.err;
}

TEST_F(GeometryCli, SweepStoresSlicesOfNonStrictSaddlesCheckedAgainstDirectEvaluation) {
  // Kawaguchi's bad saddles (the suite's third experiment, smaller): three-layer nets from a
  // small initialization, refined to W = 0, a non-strict saddle with an escape witness.
  const std::string cfg =
      write("k.toml",
            "[experiment]\nname = \"k\"\nnetworks = 4\nseed = 13\nbackend = \"cpu\"\n"
            "[model]\nfamily = \"linear\"\ndims = [4, 3, 3, 3]\n[data]\nn = 12\n"
            "[init]\nsmall = true\nsmall_factor = 1e-3\n"
            "[train]\noptimizer = \"gd\"\nlr = 0.001\nsteps = 5\n[refine]\nenabled = true\n");
  ASSERT_EQ(run({"sample", cfg, "--out", path("o"), "--quiet"}).code, 0);
  const auto cells = expand_sweep(read_file(cfg), cfg);
  const CellContext ctx = make_cell_context(cells.at(0).config);
  const Model& m = ctx.cfg.model;
  Database db(path("o") + "/results.db", OpenMode::read_only);
  Statement q(
      db,
      "SELECT e.net_index, e.class, e.details, s.direction, s.t, s.losses, c.weights, s.vector "
      "FROM endpoints e LEFT JOIN slices s USING (cell_id, net_index) "
      "LEFT JOIN candidates c USING (cell_id, net_index) ORDER BY e.net_index");
  int checked = 0;
  while (q.step()) {
    ASSERT_EQ(q.text(1), "non_strict_saddle") << q.integer(0);
    ASSERT_EQ(q.text(3), "witness");
    EndpointRecord e;
    parse_details(q.text(2), e);
    ASSERT_TRUE(e.escape && e.escape->escaped);
    const auto t = *q.doubles(4), losses = *q.doubles(5), w = *q.doubles(6), d = *q.doubles(7);
    ASSERT_EQ(d.size(), m.param_count());
    double dn = 0;
    for (double x : d) dn += x * x;
    EXPECT_NEAR(dn, 1.0, 1e-12);  // the unit witness
    ASSERT_EQ(t.size(), 41u);
    ASSERT_EQ(w.size(), m.param_count());
    Point p{m, ctx.data, w, ""};
    for (std::size_t i = 0; i < t.size(); ++i) EXPECT_EQ(losses[i], loss_plus(p, d, t[i])) << i;
    // The drop the escape test found lies inside the slice: the loss falls below L(w).
    EXPECT_LT(*std::min_element(losses.begin(), losses.end()),
              losses[20] - e.escape->loss_drop * 0.5);
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

TEST(EndpointSlices, SpuriousMinimaAlongTheirLambdaMinEigenvectorOthersNone) {
  // endpoint_slices picks the direction by class: the λ_min eigenvector for a spurious minimum
  // (range 0.1·max(1, ‖w‖)), nothing for classes the report does not list, nothing without
  // weights. The record's class is all it reads besides the weights.
  const Point p = make_point(false);
  const std::size_t P = p.model.param_count();
  std::vector<EndpointRecord> es(3);
  es[0].index = 0;
  es[0].cls = PointClass::spurious_local_minimum;
  es[1].index = 1;
  es[1].cls = PointClass::strict_saddle;
  es[2].index = 2;
  es[2].cls = PointClass::spurious_local_minimum;  // no weights stored
  const std::map<long, std::vector<double>> weights{{0, p.weights}, {1, p.weights}};
  const auto slices = endpoint_slices(p.model, p.data, es, weights);
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0].first, 0);
  const LineSlice& s = slices[0].second;
  EXPECT_EQ(s.direction, "min-eig");
  ASSERT_EQ(s.vector.size(), P);
  const Eigenpairs e = smallest_eigenpairs(p.model, p.data, p.weights.data(), 1);
  EXPECT_DOUBLE_EQ(s.eigenvalue, e.values[0]);
  double wn = 0;
  for (double x : p.weights) wn += x * x;
  EXPECT_DOUBLE_EQ(s.t.back(), 0.1 * std::max(1.0, std::sqrt(wn)));
  for (std::size_t i = 0; i < s.t.size(); ++i) EXPECT_EQ(s.loss[i], loss_plus(p, s.vector, s.t[i]));
}

/// The CPU backend with training made slow by a fixed wait: a stage that takes a known wall
/// time without using the processor, whatever the machine.
class SlowTrainingBackend : public Backend {
 public:
  explicit SlowTrainingBackend(double seconds) : m_cpu(make_cpu_backend(1)), m_seconds(seconds) {}
  std::string name() const override { return m_cpu->name(); }
  std::string device() const override { return m_cpu->device(); }
  long preferred_chunk(const Model& m) const override { return m_cpu->preferred_chunk(m); }
  void train_batch(const Model& m, const Dataset& d, const TrainSettings& settings, std::size_t count,
             double* weights, math::TrainOutcome* outcomes, double* curves) override {
    std::this_thread::sleep_for(std::chrono::duration<double>(m_seconds));
    m_cpu->train(m, d, settings, count, weights, outcomes, curves);
  }
  void analyze_batch(const Model& m, const Dataset& d, std::size_t count, const double* weights,
               EndpointAnalysis* out, double* eigenvalues) override {
    m_cpu->analyze(m, d, count, weights, out, eigenvalues);
  }

 private:
  std::unique_ptr<Backend> m_cpu;
  double m_seconds;
};

TEST(ClassifyProgress, LongStagesAreNamedEveryTwoSeconds) {
  // A leaky-ReLU point has no closed-form optimum: its restarts train, here for 2.6 s of
  // waiting, past the two seconds after which the stage is reported.
  Point p = make_point(false, {3, 3, 2});
  p.model.family = Family::leaky_relu;
  p.model.slope = 0.1;
  SlowTrainingBackend slow(2.6);
  RestartSpec rs;
  rs.restarts = 1;
  rs.steps = 10;
  std::vector<std::string> lines;
  PointOptions o;
  o.note = [&](const std::string& line) { lines.push_back(line); };
  const PointReport r = classify_single(p, DecideSettings{}, rs, slow, o);
  EXPECT_EQ(r.optimum.kind, "empirical");
  ASSERT_GE(lines.size(), 1u);  // the first at 2 s (a stalled machine may add another)
  EXPECT_EQ(lines[0].rfind("classify: empirical optimum, 1 Adam restarts of 10 steps, ", 0), 0u)
      << lines[0];
  EXPECT_EQ(lines[0].substr(lines[0].size() - 2), " s") << lines[0];
  // Without a sink nothing is started or written.
  const PointReport quiet = classify_single(p, DecideSettings{}, rs, *make_cpu_backend(1));
  EXPECT_EQ(quiet.endpoint.cls, r.endpoint.cls);
}

TEST_F(GeometryCli, TransposedWeightsAreNamed) {
  Point p = make_point(false, {3, 2, 2});
  std::string text = point_to_json(p);
  json j = json::parse(text);
  json t = json::array();
  for (int c = 0; c < 3; ++c) {
    json row = json::array();
    for (int r = 0; r < 2; ++r) row.push_back(j["weights"][0][r][c]);
    t.push_back(row);
  }
  j["weights"][0] = t;
  const CliRun r = run({"classify", write("t.json", j.dump())});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(
      r.err.find(
          "t.json: weights[0]: shape (3, 2) looks like (in, out); landscape expects (out, in)"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("nn.Linear.weight"), std::string::npos) << r.err;
}

TEST_F(GeometryCli, VersionFlagAndSuggestions) {
  const CliRun v = run({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out, std::string("landscape ") + LANDSCAPE_VERSION + "\n");
  const CliRun c = run({"smaple", "x.toml"});
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find("unknown command 'smaple'; did you mean 'sample'?"), std::string::npos)
      << c.err;
  const CliRun o = run({"classify", "p.json", "--jsno"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("unknown option '--jsno' for 'landscape classify'; did you mean '--json'?"),
            std::string::npos)
      << o.err;
  const CliRun s = run({"slice", "p.json", "--stesp", "5"});
  EXPECT_NE(s.err.find("did you mean '--steps'?"), std::string::npos) << s.err;
  const CliRun g = run({"--verison"});
  EXPECT_EQ(g.code, 2);
  EXPECT_NE(g.err.find("did you mean '--version'?"), std::string::npos) << g.err;
  const CliRun far = run({"zzzzzzzzzz"});
  EXPECT_EQ(far.code, 2);
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
}

std::string tiny_config(long steps) {
  return "[experiment]\nname = \"t\"\nnetworks = 3\nseed = 3\nbackend = \"cpu\"\n"
         "[model]\nfamily = \"linear\"\ndims = [3, 2, 2]\n[data]\nn = 5\n[train]\nlr = "
         "0.005\nsteps = " +
         std::to_string(steps) + "\n";
}

TEST_F(GeometryCli, RunsOfDifferentConfigsAreKeptApartAndReportSelectsARun) {
  const std::string a = write("a.toml", tiny_config(300)), b = write("b.toml", tiny_config(400));
  const std::string out = path("o");
  ASSERT_EQ(run({"sample", a, "--out", out, "--quiet"}).code, 0);
  ASSERT_EQ(run({"sample", a, "--out", out, "--quiet"}).code, 0);  // the same config: another run
  const CliRun clash = run({"sample", b, "--out", out, "--quiet"});
  EXPECT_EQ(clash.code, 1);
  EXPECT_NE(clash.err.find("holds run 2 of another configuration"), std::string::npos) << clash.err;
  EXPECT_NE(clash.err.find("train.steps: 300 -> 400"), std::string::npos) << clash.err;
  // Named explicitly, the database takes any run.
  ASSERT_EQ(run({"sample", b, "--out", path("o2"), "--db", out + "/results.db", "--quiet"}).code,
            0);
  for (int id : {1, 3}) {
    const std::string rep = path("rep" + std::to_string(id));
    const CliRun r =
        run({"report", out + "/results.db", "--out", rep, "--run", std::to_string(id)});
    ASSERT_EQ(r.code, 0) << r.err;
    const json j = json::parse(read_file(rep + "/report.json"));
    EXPECT_EQ(j["run"]["run_id"], id) << j["run"].dump();
  }
  const CliRun missing = run({"report", out + "/results.db", "--out", path("r9"), "--run", "9"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("--run 9: no such run with endpoints (runs with endpoints: 1, 2, 3)"),
            std::string::npos)
      << missing.err;
}

TEST_F(GeometryCli, SuiteTakesItsFolderAsAnOption) {
  const std::string dir = path("exps");
  fs::create_directories(dir);
  std::ofstream(dir + "/one.toml") << tiny_config(200);
  const CliRun r = run({"suite", "--dir", dir, "--out", path("so"), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(path("so") + "/suite.json"));
  const CliRun none = run({"suite", "--dir", path("nowhere"), "--out", path("sn"), "--quiet"});
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("nowhere"), std::string::npos) << none.err;
}

TEST_F(GeometryCli, SuiteFindsTheExperimentsNextToTheBinary) {
  // Started from an empty folder, the suite uses <binary>/../examples/suite (the checkout the
  // build folder sits in); --scale 0.001 keeps every cell at one network.
  const test::Proc r = test::run_binary("suite --scale 0.001 --out so --quiet", m_dir,
                                        "cd '" + m_dir.string() + "' &&");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(m_dir / "so" / "suite.json"));
  EXPECT_TRUE(fs::exists(m_dir / "so" / "1-nr-thm5-two-layer"));
}

}  // namespace
