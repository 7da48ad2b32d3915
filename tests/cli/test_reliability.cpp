// Faults found by a reliability trial, each reproduced through the real binary (so a crash is a
// signal and an exit code, not a test-process abort): rank-deficient corners of the data,
// non-finite Hessians, and more.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Proc {
  int code = -1;    ///< exit status, or 128 + signal when killed by one
  std::string out;  ///< standard output (standard error goes to `err`)
  std::string err;
};

/// Runs `landscape ARGS` through the shell, capturing stdout and stderr.
Proc run_binary(const std::string& args, const fs::path& dir) {
  const std::string err_path = (dir / "stderr.txt").string();
  const std::string cmd = std::string(LANDSCAPE_BINARY) + " " + args + " 2>" + err_path;
  Proc p;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return p;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) p.out.append(buf, n);
  const int status = pclose(f);
  p.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream e(err_path);
  std::stringstream ss;
  ss << e.rdbuf();
  p.err = ss.str();
  return p;
}

class Reliability : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("landscape_rel_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string p = (m_dir / name).string();
    std::ofstream(p) << text;
    return p;
  }
  Proc run(const std::string& args) { return run_binary(args, m_dir); }
  fs::path m_dir;
};

std::string matrix(int rows, int cols, double fill) {
  std::ostringstream os;
  os << "[";
  for (int r = 0; r < rows; ++r) {
    os << (r ? ", [" : "[");
    for (int c = 0; c < cols; ++c) os << (c ? ", " : "") << fill;
    os << "]";
  }
  os << "]";
  return os.str();
}

std::string point_json(const std::string& X, const std::string& Y, const std::string& weights) {
  return R"({"model": {"family": "linear", "dims": [3, 2, 2]}, "X": )" + X + R"(, "Y": )" + Y +
         R"(, "weights": )" + weights + "}";
}

const char* kWeights = "[[[0.3, 0.1, 0.2], [0.1, -0.2, 0.4]], [[0.5, 0.1], [0.2, 0.3]]]";
const char* kX = "[[1, 0, 2, -1], [0, 1, 1, 3], [2, 1, 0, 1]]";
const char* kY = "[[1, 2, 0, 1], [0, 1, 1, -1]]";

}  // namespace

// X = 0, Y = 0 and both: the closed-form optimum has a rank-0 projection. Every point is then a
// global minimum when X = 0 (the output is 0 whatever the weights) with L* = ½‖Y‖².
TEST_F(Reliability, RankZeroDataCornersClassify) {
  struct Case {
    std::string name, X, Y;
    double global;
  };
  const Case cases[] = {{"x0", matrix(3, 4, 0), kY, 0.5 * (1 + 4 + 0 + 1 + 0 + 1 + 1 + 1)},
                        {"y0", kX, matrix(2, 4, 0), 0.0},
                        {"xy0", matrix(3, 4, 0), matrix(2, 4, 0), 0.0}};
  for (const Case& c : cases) {
    const std::string p = write(c.name + ".json", point_json(c.X, c.Y, kWeights));
    const Proc r = run("classify --json " + p);
    ASSERT_EQ(r.code, 0) << c.name << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_NEAR(j["global_loss"].get<double>(), c.global, 1e-12) << c.name;
    if (c.name != "y0") EXPECT_EQ(j["class"], "global_minimum") << c.name;
    EXPECT_GE(j["loss"].get<double>(), j["global_loss"].get<double>() - 1e-12) << c.name;
  }
}

// The same corner through `sample`, from an all-zero CSV: the run completes (and a resume of a
// complete run is a no-op that succeeds).
TEST_F(Reliability, SampleWithAllZeroCsvCompletes) {
  write("x.csv", "0,0,0,0\n0,0,0,0\n0,0,0,0\n");
  const std::string cfg = write("c.toml", "[experiment]\nnetworks = 6\nseed = 2\nbackend = \"cpu\"\n"
                                          "[model]\nfamily = \"linear\"\ndims = [3, 2, 3]\n"
                                          "[data]\nn = 4\nx = \"csv\"\nx_file = \"" +
                                              (m_dir / "x.csv").string() +
                                              "\"\n[train]\nsteps = 50\n[output]\ndir = \"" +
                                              (m_dir / "out").string() + "\"\n");
  Proc r = run("sample --quiet " + cfg);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto summary = nlohmann::json::parse(std::ifstream(m_dir / "out" / "summary.json"));
  EXPECT_EQ(summary["cells"][0]["classes"]["global_minimum"]["count"], 6);
  r = run("sample --quiet --resume " + cfg);
  EXPECT_EQ(r.code, 0) << r.err;
}

// One huge entry of X overflows the Hessian to Inf/NaN: the point is `diverged`, never a
// minimum read off a NaN spectrum.
TEST_F(Reliability, NonFiniteSpectrumIsNeverAMinimum) {
  const std::string X = "[[1e308, 0, 2, -1], [0, 1, 1, 3], [2, 1, 0, 1]]";
  const std::string zero_w = "[[[0, 0, 0], [0, 0, 0]], [[0, 0], [0, 0]]]";
  for (const std::string& w : {zero_w, std::string(kWeights)}) {
    const Proc r = run("classify --json " + write("big.json", point_json(X, kY, w)));
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["class"], "diverged") << w;
    EXPECT_NE(j["class"], "spurious_local_minimum");
  }
}
