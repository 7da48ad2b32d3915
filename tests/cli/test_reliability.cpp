// Faults found by a reliability trial, each reproduced through the real binary (so a crash is a
// signal and an exit code, not a test-process abort): rank-deficient corners of the data,
// non-finite Hessians, thread limits, failed writes, locks, foreign databases and leftovers.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "landscape/core/common.hpp"
#include "landscape/io/schema.hpp"
#include "process_util.hpp"
#include "temp_dir_test.hpp"

namespace fs = std::filesystem;

namespace {

using landscape::test::Proc;
using landscape::test::run_binary;

class Reliability : public landscape::test::TempDirTest {
 protected:
  Reliability() : TempDirTest("rel") {}
  Proc run(const std::string& args, const std::string& shell_prefix = "") {
    return run_binary(args, m_dir, shell_prefix);
  }
  /// A tiny experiment (2 networks, 10 steps) whose [experiment] table also holds `extra`.
  std::string tiny_config(const std::string& name, const std::string& extra = "") {
    return write(name, "[experiment]\nnetworks = 2\nseed = 1\nbackend = \"cpu\"\n" + extra +
                           "[model]\nfamily = \"linear\"\ndims = [3, 2, 3]\n[data]\nn = 4\n"
                           "[train]\nsteps = 10\n[output]\ndir = \"" + path("out-" + name) + "\"\n");
  }
  /// A valid results database at `db` holding one complete tiny run.
  void make_db(const std::string& db) {
    const Proc r = run("sample --quiet " + tiny_config("make_db.toml") + " --db " + db);
    ASSERT_EQ(r.code, 0) << r.err;
  }
};

/// Runs SQL on a database file through SQLite itself (not the program's wrapper).
void sql_exec(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* msg = nullptr;
  const int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &msg);
  EXPECT_EQ(rc, SQLITE_OK) << (msg ? msg : "") << " in " << sql;
  sqlite3_free(msg);
  sqlite3_close(h);
}

/// The first column of the first row of `query` as text ("" when there is no row).
std::string sql_text(const std::string& db, const std::string& query) {
  sqlite3* h = nullptr;
  std::string out;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, query.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      if (const unsigned char* t = sqlite3_column_text(st, 0)) out = reinterpret_cast<const char*>(t);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return out;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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

// Item 2: a thread count CLI11 accepts (up to 65536) or any in the file used to crash inside the
// OpenMP runtime and leave a `running` run. Now refused before anything is created.
TEST_F(Reliability, ThreadCountsAboveTheLimitAreRefusedUpFront) {
  const std::string db = path("t.db"), out = path("t-out");
  const std::string too_many = std::to_string(landscape::max_threads() + 1);
  for (const std::string& n : {too_many, std::string("65536")}) {
    const Proc r = run("sample --quiet " + tiny_config("c.toml") + " --threads " + n + " --db " + db +
                       " --out " + out);
    EXPECT_EQ(r.code, 1) << n << ": " << r.err;
    EXPECT_NE(r.err.find("error: --threads: " + n + " threads is more than"), std::string::npos) << r.err;
  }
  const Proc f = run("sample --quiet " + tiny_config("f.toml", "threads = 100000\n") + " --db " + db +
                     " --out " + out);
  EXPECT_EQ(f.code, 1) << f.err;
  EXPECT_NE(f.err.find("experiment.threads"), std::string::npos) << f.err;
  EXPECT_FALSE(fs::exists(db));
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(path("out-f.toml")));
  // The limit itself is accepted (and the run completes).
  const Proc ok = run("sample --quiet " + tiny_config("ok.toml") + " --threads " +
                      std::to_string(landscape::max_threads()) + " --db " + db + " --out " + out);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(sql_text(db, "SELECT status FROM runs"), "complete");
}

TEST_F(Reliability, BenchRefusesTooManyThreads) {
  Proc r = run("bench --workload W-S --steps 1 --threads 65536");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("error: --threads: 65536 threads"), std::string::npos) << r.err;
  r = run("bench --workload W-S --steps 1 --threads 100000");  // outside CLI11's range: usage error
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--threads"), std::string::npos) << r.err;
}

// Item 4: output that does not reach standard output (a full disk) is an error, not a silent
// truncation with exit 0.
TEST_F(Reliability, FailedWritesToStandardOutputExitNonZero) {
  const std::string db = path("r.db");
  ASSERT_NO_FATAL_FAILURE(make_db(db));
  const std::string point = std::string(LANDSCAPE_SOURCE_DIR) + "/examples/point.json";
  const std::string commands[] = {"export " + db + " --csv",
                                  "export " + db + " --json",
                                  "report " + db + " --out " + path("rep"),
                                  "classify " + point,
                                  "classify --json " + point,
                                  "sample " + tiny_config("c.toml") + " --db " + path("s.db")};
  for (const std::string& c : commands) {
    const Proc r = run(c + " >/dev/full");
    EXPECT_EQ(r.code, 1) << c << ": " << r.err;
    EXPECT_NE(r.err.find("error: standard output: write failed"), std::string::npos) << c << ": " << r.err;
  }
  // The same commands into a pipe succeed: the check does not fail healthy output.
  const Proc ok = run("export " + db + " --csv");
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out.rfind("run_id,", 0), 0u) << ok.out;
}

// Items 4 and 12: `export --out`, `report --out` and `sample --out` where writing fails say why.
TEST_F(Reliability, UnwritableOutputsSayWhy) {
  const std::string db = path("r.db");
  ASSERT_NO_FATAL_FAILURE(make_db(db));
  write("plain-file", "x");
  Proc r = run("export " + db + " --out " + path("plain-file/e.csv"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot open for writing: Not a directory"), std::string::npos) << r.err;
  // A file-size limit (one block, 512 or 1024 bytes; the 1.7 kB JSON does not fit, the error
  // message does) makes the write fail (EFBIG) as a full disk would.
  r = run("export --json " + db + " --out " + path("e.csv"), "ulimit -f 1; trap '' XFSZ; ");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("e.csv: write failed: File too large"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("e.csv")));
  for (const auto& entry : fs::directory_iterator(m_dir))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  // The report and sample output folders likewise.
  r = run("report " + db + " --out " + path("plain-file/rep"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot create output directory: Not a directory"), std::string::npos) << r.err;
  r = run("report " + db + " --out " + path("rep"), "ulimit -f 1; trap '' XFSZ; ");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(": write failed: File too large"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "rep" / "report.html"));
  r = run("sample --quiet " + tiny_config("c.toml") + " --out " + path("plain-file/out") + " --db " +
          path("s.db"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot create output directory: Not a directory"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("s.db")));
}

// Item 7: the writer's lock belongs to the file, so a symlink to a database being written is
// refused as a second writer.
TEST_F(Reliability, LockFollowsSymlinks) {
  const std::string db = path("real.db");
  ASSERT_NO_FATAL_FAILURE(make_db(db));
  fs::create_symlink(db, path("link.db"));
  const std::string lock = fs::canonical(db).string() + ".lock";
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  const Proc r = run("sample --quiet " + tiny_config("c.toml") + " --db " + path("link.db"));
  ::close(fd);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("database is being written by another landscape process"), std::string::npos) << r.err;
  EXPECT_EQ(sql_text(db, "SELECT COUNT(*) FROM runs"), "1");
  EXPECT_FALSE(fs::exists(path("link.db.lock")));
  // Once the lock is free, the symlinked path is a usable writer.
  const Proc ok = run("sample --quiet " + tiny_config("c.toml") + " --db " + path("link.db"));
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(sql_text(db, "SELECT COUNT(*) FROM runs"), "2");
}

// Item 8: `export` while a writer holds the database waits for it rather than failing with
// "database is locked".
TEST_F(Reliability, ExportWaitsForAWriter) {
  const std::string db = path("r.db");
  ASSERT_NO_FATAL_FAILURE(make_db(db));
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &writer), SQLITE_OK);
  // EXCLUSIVE: what a writer holds while it commits a chunk; readers are locked out meanwhile.
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN EXCLUSIVE; UPDATE runs SET device = device", nullptr, nullptr, nullptr),
            SQLITE_OK);
  // A reader that does not wait fails now: the fault is reproduced.
  EXPECT_EQ(sql_text(db, "SELECT COUNT(*) FROM runs"), "");
  std::thread commit([writer] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    sqlite3_exec(writer, "COMMIT", nullptr, nullptr, nullptr);
  });
  const Proc r = run("export --json " + db);
  commit.join();
  sqlite3_close(writer);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 2u);
}

// Item 9: a report into a folder holding an older one removes the old report.html and the
// temporaries of a report killed mid-write before it rewrites anything.
TEST_F(Reliability, ReportReplacesAnOlderReportAndItsTemporaries) {
  const std::string db = path("r.db");
  ASSERT_NO_FATAL_FAILURE(make_db(db));
  fs::create_directories(m_dir / "rep");
  write("rep/report.html", "OLD REPORT");
  write("rep/classes.csv.tmp.12345", "half-written");
  Proc r = run("report " + db + " --out " + path("rep"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "rep" / "classes.csv.tmp.12345"));
  EXPECT_NE(read_all(m_dir / "rep" / "report.html"), "OLD REPORT");
  EXPECT_NE(read_all(m_dir / "rep" / "report.html").find("<html"), std::string::npos);

  // Stopped half-way (a data file cannot be put in place): the older report.html is gone, so
  // the folder never shows an old page beside new data files, and no temporary is left.
  write("rep/report.html", "OLD REPORT");
  write("rep/curves.csv.tmp.12345", "half-written");
  fs::remove(m_dir / "rep" / "cells.csv");
  fs::create_directories(m_dir / "rep" / "cells.csv" / "blocker");
  r = run("report " + db + " --out " + path("rep"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("cells.csv: cannot rename into place"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "rep" / "report.html"));
  for (const auto& entry : fs::directory_iterator(m_dir / "rep"))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();

  // A database that is refused leaves the folder as it was: nothing of it was started.
  fs::remove_all(m_dir / "rep" / "cells.csv");
  write("rep/report.html", "OLD REPORT");
  write("not-a-db", "plain text");
  r = run("report " + path("not-a-db") + " --out " + path("rep"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(read_all(m_dir / "rep" / "report.html"), "OLD REPORT");
}

// Item 10: another program's SQLite database is refused by every command, and left as it was.
TEST_F(Reliability, ForeignDatabaseIsRefusedAndUntouched) {
  const std::string db = path("unrelated.db");
  sql_exec(db, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ('keep')");
  const std::string tables = "SELECT group_concat(name) FROM sqlite_master";
  ASSERT_EQ(sql_text(db, tables), "notes");
  const std::string commands[] = {"sample --quiet " + tiny_config("c.toml") + " --db " + db,
                                  "export " + db, "export --json " + db,
                                  "report " + db + " --out " + path("rep")};
  for (const std::string& c : commands) {
    const Proc r = run(c);
    EXPECT_EQ(r.code, 1) << c << ": " << r.err;
    EXPECT_NE(r.err.find(db + ": not a landscape results database"), std::string::npos) << c << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << c << ": " << r.out;
  }
  EXPECT_EQ(sql_text(db, tables), "notes");
  EXPECT_EQ(sql_text(db, "SELECT group_concat(body) FROM notes"), "keep");
  EXPECT_FALSE(fs::exists(db + ".lock"));
  EXPECT_FALSE(fs::exists(m_dir / "rep"));
}

// Item 12: a directory given where a file is expected is named as a directory.
TEST_F(Reliability, DirectoriesGivenAsFilesAreNamed) {
  const std::string dir = m_dir.string();
  Proc r = run("classify " + dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(dir + ": is a directory"), std::string::npos) << r.err;
  r = run("export " + dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(dir + ": is a directory"), std::string::npos) << r.err;
  r = run("report " + dir + " --out " + path("rep"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(dir + ": is a directory"), std::string::npos) << r.err;
  fs::create_directories(m_dir / "folder");
  const std::string cfg = write("x.toml", "[experiment]\nnetworks = 2\nbackend = \"cpu\"\n[model]\n"
                                          "family = \"linear\"\ndims = [3, 2, 3]\n[data]\nn = 4\n"
                                          "x = \"csv\"\nx_file = \"" + path("folder") + "\"\n"
                                          "[train]\nsteps = 10\n[output]\ndir = \"" + path("out") + "\"\n");
  r = run("sample --quiet " + cfg);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path("folder") + ": is a directory"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(m_dir / "out"));
}

// Item 12: a look-alike database (our table names, other columns) is refused with the table
// and column that differ, by the writer and both readers.
TEST_F(Reliability, LookAlikeDatabaseNamesTheMissingColumn) {
  const std::string db = path("lookalike.db");
  sql_exec(db, std::string(landscape::kSchemaSql) +
                   "INSERT INTO meta(key, value) VALUES ('schema_version', '" +
                   std::to_string(landscape::kSchemaVersion) + "');"
                   "ALTER TABLE endpoints RENAME COLUMN lambda_min TO smallest_eigenvalue;");
  const std::string commands[] = {"sample --quiet " + tiny_config("c.toml") + " --db " + db,
                                  "export " + db, "report " + db + " --out " + path("rep")};
  for (const std::string& c : commands) {
    const Proc r = run(c);
    EXPECT_EQ(r.code, 1) << c;
    EXPECT_NE(r.err.find(db + ": not a landscape results database (table 'endpoints' has no column "
                              "'lambda_min')"),
              std::string::npos)
        << c << ": " << r.err;
  }
  EXPECT_EQ(sql_text(db, "SELECT COUNT(*) FROM runs"), "0");
}

// Item 13: a key given twice in POINT.json is refused rather than the last one silently used.
TEST_F(Reliability, DuplicateKeyInPointIsRefused) {
  const std::string text = R"({"model": {"family": "linear", "dims": [3, 2, 2]}, "X": )" + std::string(kX) +
                           R"(, "X": )" + matrix(3, 4, 0) + R"(, "Y": )" + kY + R"(, "weights": )" +
                           kWeights + "}";
  const Proc r = run("classify " + write("dup.json", text));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("X: key given twice"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// Item 13: a database of another schema version is refused by export, as by report and sample.
TEST_F(Reliability, OtherSchemaVersionIsRefusedByEveryCommand) {
  const std::string db = path("other.db");
  const std::string other = std::to_string(landscape::kSchemaVersion + 1);
  ASSERT_NO_FATAL_FAILURE(make_db(db));
  sql_exec(db, "UPDATE meta SET value = '" + other + "' WHERE key = 'schema_version'");
  const std::string commands[] = {"export " + db, "export --json " + db,
                                  "report " + db + " --out " + path("rep"),
                                  "sample --quiet " + tiny_config("c.toml") + " --db " + db};
  for (const std::string& c : commands) {
    const Proc r = run(c);
    EXPECT_EQ(r.code, 1) << c;
    EXPECT_NE(r.err.find(db + ": schema version " + other + ", but this program"), std::string::npos)
        << c << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << c << ": " << r.out;
  }
  EXPECT_EQ(sql_text(db, "SELECT COUNT(*) FROM runs"), "1");
}

// Item 14: a database error after the argument checks leaves no lock and no new database
// file that this call created.
TEST_F(Reliability, FailedDatabaseOpenLeavesNothingBehind) {
  // A corrupt file: kept as it was, and no lock beside it.
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += char((i * 7919 + 13) % 251);
  const std::string bad = write("corrupt.db", garbage);
  Proc r = run("sample --quiet " + tiny_config("c.toml") + " --db " + bad);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(bad + ": file is not a database"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(bad), garbage);
  EXPECT_FALSE(fs::exists(bad + ".lock"));
  // A new database whose first write fails (its journal cannot be created): neither the
  // database file SQLite created on opening nor the lock remains.
  fs::create_directories(m_dir / "new.db-journal");
  r = run("sample --quiet " + tiny_config("c.toml") + " --db " + path("new.db"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("error: " + path("new.db") + ": "), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("new.db")));
  EXPECT_FALSE(fs::exists(path("new.db.lock")));
  // A lock that was there before (an earlier run's) is left alone.
  write("corrupt.db.lock", "");
  r = run("sample --quiet " + tiny_config("c.toml") + " --db " + bad);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(fs::exists(bad + ".lock"));
}
