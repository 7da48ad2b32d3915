// Sweep edge cases through the real binary: a stop signal after the last commit, a sweep
// listing one alternative twice, and a database that cannot be opened leaving nothing behind.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "process_util.hpp"
#include "temp_dir_test.hpp"

namespace fs = std::filesystem;
using landscape::test::Proc;
using landscape::test::run_binary;

namespace {

class SweepFaults : public landscape::test::TempDirTest {
 protected:
  SweepFaults() : TempDirTest("sweepf") {}
  std::string config(const std::string& data_extra = "") {
    return write("c.toml", "[experiment]\nnetworks = 4\nseed = 2\nbackend = \"cpu\"\n[model]\nfamily = "
                           "\"linear\"\ndims = [3, 2, 3]\n[data]\nn = 5\n" + data_extra +
                               "[train]\nsteps = 30\n");
  }
};

std::string run_status(const fs::path& db) {
  sqlite3* h = nullptr;
  std::string status;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1", -1, &st, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      status = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return status;
}

}  // namespace

// Ctrl-C after the last chunk is committed (during the final cell's finalization): exit 130 as
// promised, with the run complete and its outputs written, and a message saying so.
TEST_F(SweepFaults, SignalAfterLastCommitExits130WithTheRunComplete) {
  const std::string cfg = config();
  const fs::path out = m_dir / "out";
  const Proc p = run_binary("sample --quiet " + cfg + " --out " + out.string(), m_dir,
                            "LANDSCAPE_FAULT_SIGINT_BEFORE_FINAL=1");
  EXPECT_EQ(p.code, 130) << p.err;
  EXPECT_NE(p.err.find("the run is complete and its outputs are written"), std::string::npos) << p.err;
  EXPECT_EQ(run_status(out / "results.db"), "complete");
  EXPECT_TRUE(fs::exists(out / "summary.json"));
  EXPECT_TRUE(fs::exists(out / "endpoints.csv"));
  // Without the signal the same run exits 0.
  const Proc q = run_binary("sample --quiet " + cfg + " --out " + (m_dir / "out2").string(), m_dir);
  EXPECT_EQ(q.code, 0) << q.err;
}

// The same alternative listed twice would run two identical cells: refused, naming the key.
TEST_F(SweepFaults, RepeatedAlternativeIsRefused) {
  const std::string cfg = config("seed = [1, 1]\n");
  const Proc p = run_binary("sample --quiet " + cfg + " --out " + (m_dir / "out").string(), m_dir);
  EXPECT_EQ(p.code, 1);
  EXPECT_NE(p.err.find("data.seed"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("twice"), std::string::npos) << p.err;
  EXPECT_FALSE(fs::exists(m_dir / "out"));
  // Distinct alternatives are fine.
  const Proc q = run_binary("sample --quiet " + config("seed = [1, 2]\n") + " --out " + (m_dir / "ok").string(), m_dir);
  EXPECT_EQ(q.code, 0) << q.err;
}

// A database that cannot be opened (a corrupt file here) fails after the argument checks: the
// output folder made for the run, a lock file and a database file are not left behind.
TEST_F(SweepFaults, UnopenableDatabaseLeavesNothingBehind) {
  const std::string db = write("corrupt.db", std::string(4096, '\x5a'));
  const fs::path out = m_dir / "fresh" / "out";
  const Proc p = run_binary("sample --quiet " + config() + " --out " + out.string() + " --db " + db, m_dir);
  EXPECT_EQ(p.code, 1);
  EXPECT_NE(p.err.find("corrupt.db"), std::string::npos) << p.err;
  EXPECT_FALSE(fs::exists(m_dir / "fresh")) << "the output folder made for the run is left behind";
  EXPECT_FALSE(fs::exists(db + ".lock"));
  EXPECT_EQ(fs::file_size(db), 4096u);  // the file itself is untouched
}

// A network whose decisions (the symmetry orbit's P × K tangent matrix and its SVD) cannot fit
// is refused before anything runs, naming model.dims, in `sample` and in `classify` (which
// names its own file): before, [2, 1000, 2] passed the check and aborted with bad_alloc.
TEST_F(SweepFaults, DecisionsTooLargeForMemoryAreRefusedUpFront) {
  const std::string cfg = write("big.toml", "[experiment]\nnetworks = 1\nbackend = \"cpu\"\n[model]\nfamily = "
                                            "\"linear\"\ndims = [2, 1000, 2]\n[data]\nn = 4\n[train]\nsteps = 1\n");
  const Proc p = run_binary("sample --quiet " + cfg + " --out " + (m_dir / "out").string(), m_dir);
  EXPECT_EQ(p.code, 1) << p.err;
  EXPECT_NE(p.err.find("model.dims"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("symmetry orbit"), std::string::npos) << p.err;
  EXPECT_FALSE(fs::exists(m_dir / "out"));

  std::string w1 = "[", w2 = "[";
  for (int r = 0; r < 1000; ++r) w1 += std::string(r ? "," : "") + "[0.1, 0.2]";
  for (int r = 0; r < 2; ++r) {
    w2 += std::string(r ? "," : "") + "[";
    for (int c = 0; c < 1000; ++c) w2 += std::string(c ? "," : "") + "0.01";
    w2 += "]";
  }
  const std::string point = write("big.json", R"({"model": {"family": "linear", "dims": [2, 1000, 2]},
    "X": [[1, 0, 2, 1], [0, 1, 1, 3]], "Y": [[1, 2, 0, 1], [0, 1, 1, -1]], "weights": [)" + w1 + "]," + w2 + "]]}");
  const Proc q = run_binary("classify " + point, m_dir);
  EXPECT_EQ(q.code, 1) << q.err;
  EXPECT_NE(q.err.find("big.json: model.dims"), std::string::npos) << q.err;
  EXPECT_EQ(q.err.find("experiment.networks"), std::string::npos) << q.err;
}
