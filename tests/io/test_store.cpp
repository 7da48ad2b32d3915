// Sweeps and the results database: grid expansion, schema, resume after SIGKILL at several
// points (compared with an uninterrupted run), refused resume, Ctrl-C, two writers, export.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/config.hpp"
#include "landscape/io/schema.hpp"
#include "landscape/io/store.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/run/sweep.hpp"
#include "temp_dir_test.hpp"

namespace fs = std::filesystem;
using namespace landscape;

namespace {

const char* kSweep = R"([experiment]
name = "resume"
networks = 7
seed = 5
backend = "cpu"
chunk = 3

[model]
family = "linear"
dims = [[3, 2, 2, 3], [3, 3, 3]]

[data]
n = 5
y_rank = 1

[init]
small = true
small_factor = 0.05

[train]
lr = [0.01]
steps = 400

[output]
curves = true
spectrum = true
)";

/// Starts the CLI as a child process with extra environment variables ("NAME=value").
pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv;
    std::string bin = LANDSCAPE_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

/// Waits; returns the exit code, or kKilledBy + signal number when a signal ended the process.
constexpr int kKilledBy = 1000;
int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : kKilledBy + WTERMSIG(status);
}

int run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  return wait_for(spawn(args, env));
}
int run_cli(const std::vector<std::string>& args, const std::string& env) {
  return run_cli(args, std::vector<std::string>{env});
}

/// Train-ahead forced on or off (the CPU backend does not ask for it by itself).
const std::string kOverlapOn = "LANDSCAPE_OVERLAP=1", kOverlapOff = "LANDSCAPE_OVERLAP=0";

std::vector<std::string> query_rows(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::vector<std::string> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      if (sqlite3_column_type(st, c) == SQLITE_BLOB) {
        const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(st, c));
        row += std::string(reinterpret_cast<const char*>(p), std::size_t(sqlite3_column_bytes(st, c)));
      } else if (sqlite3_column_type(st, c) == SQLITE_FLOAT) {
        char buf[40];  // full precision: comparisons are bitwise
        std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(st, c));
        row += buf;
      } else {
        const auto* t = sqlite3_column_text(st, c);
        row += t ? reinterpret_cast<const char*>(t) : "NULL";
      }
      row += "|";
    }
    rows.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

/// Endpoints committed so far, or -1 while the database is not readable yet (no error raised:
/// the writer may be creating it).
long poll_endpoints(const std::string& db_path) {
  if (!fs::exists(db_path)) return -1;
  sqlite3* db = nullptr;
  long n = -1;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 1000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM endpoints", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

/// Everything an endpoint set means, wall time and run ids aside.
std::vector<std::string> endpoint_set(const std::string& db) {
  return query_rows(db,
                    "SELECT c.cell_index, c.label, c.global_loss, c.global_loss_kind, c.status, e.net_index, "
                    "e.seed, e.class, e.raw_class, e.class_tol_lo, e.class_tol_hi, e.loss, e.grad_norm, "
                    "e.lambda_min, e.lambda_max, e.n_negative, e.n_near_zero, e.steps, e.train_status, "
                    "e.orbit_dim, e.data_null_dim, e.excess_degeneracy, e.non_degenerate, e.locally_open, "
                    "e.details, "
                    "e.escape_step, e.loss_drop, e.dynamics, e.certified, "
                    "s.eigenvalues, cu.losses FROM endpoints e JOIN cells c ON e.cell_id = c.cell_id "
                    "LEFT JOIN spectra s ON s.cell_id = e.cell_id AND s.net_index = e.net_index "
                    "LEFT JOIN curves cu ON cu.cell_id = e.cell_id AND cu.net_index = e.net_index "
                    "ORDER BY c.cell_index, e.net_index");
}

class Sweep : public landscape::test::TempDirTest {
 protected:
  Sweep() : TempDirTest("store") {}
  void SetUp() override {
    TempDirTest::SetUp();
    m_cfg = write("sweep.toml", kSweep);
  }
  std::string path(const std::string& n) const { return (m_dir / n).string(); }
  /// The uninterrupted reference run.
  std::vector<std::string> reference() {
    EXPECT_EQ(run_cli({"sample", m_cfg, "--out", path("ref"), "--quiet"}), 0);
    return endpoint_set(path("ref/results.db"));
  }
  std::string m_cfg;
};

TEST(SweepConfig, GridIsTheCartesianProduct) {
  const auto cells = expand_sweep(
      "[model]\nfamily = \"linear\"\ndims = [[3, 2, 3], [3, 3]]\n[train]\nlr = [0.1, 0.01, 0.001]\n"
      "optimizer = \"gd\"\n[data]\nn = [4]\n", "grid.toml");
  ASSERT_EQ(cells.size(), 6u);
  EXPECT_EQ(cells[0].config.model.dims, (std::vector<int>{3, 2, 3}));
  EXPECT_EQ(cells[1].config.model.dims, (std::vector<int>{3, 3}));  // first key fastest
  EXPECT_DOUBLE_EQ(cells[2].config.train.lr, 0.01);
  EXPECT_EQ(cells[5].label, "dims=[3,3] lr=0.001");  // single-valued lists are not in labels
  EXPECT_EQ(cells[5].config.data.n, 4);
  EXPECT_THROW(parse_config("[model]\nfamily = \"linear\"\ndims = [[3, 2], [3, 3]]\n", "x.toml"), Error);
  try {
    expand_sweep("[model]\nfamily = \"linear\"\ndims = [3, 2]\n[train]\nlr = [0.1, -1.0]\n", "bad.toml");
    FAIL() << "negative lr accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cell 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("train.lr"), std::string::npos) << e.what();
  }
}

TEST(SweepConfig, DataSeedDrawsIndependentDataAndDefaultsToTheExperimentSeed) {
  const std::string base = "[experiment]\nseed = 5\n[model]\nfamily = \"linear\"\ndims = [3, 2, 3]\n[data]\nn = 6\n";
  const auto cells = expand_sweep(base + "seed = [5, 6, 7]\n", "seeds.toml");
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[1].label, "data_seed=6");
  const ExperimentConfig plain = parse_config(base, "plain.toml");
  EXPECT_EQ(data_seed(plain), 5u);  // no data.seed: the experiment's
  const auto data_of = [](const ExperimentConfig& c) { return make_dataset(c.data, c.model, data_seed(c)); };
  const Dataset d0 = data_of(plain), d5 = data_of(cells[0].config), d6 = data_of(cells[1].config),
                d7 = data_of(cells[2].config);
  EXPECT_EQ(d5.X, d0.X);  // data.seed = experiment seed: the same draw
  EXPECT_EQ(d5.Y, d0.Y);
  EXPECT_NE(d6.X, d5.X);
  EXPECT_NE(d6.Y, d5.Y);
  EXPECT_NE(d7.X, d6.X);
  // The initializations still follow the experiment seed in every cell.
  for (const auto& c : cells) EXPECT_EQ(c.config.seed, 5u);
  EXPECT_THROW(parse_config(base + "seed = -2\n", "neg.toml"), Error);
}

TEST_F(Sweep, SchemaIsReadableAndDocumented) {
  ASSERT_EQ(run_cli({"sample", m_cfg, "--out", path("o"), "--quiet"}), 0);
  const std::string db = path("o/results.db");
  EXPECT_EQ(query_rows(db, "SELECT value FROM meta WHERE key = 'schema_version'"),
            std::vector<std::string>{std::to_string(kSchemaVersion) + "|"});
  EXPECT_EQ(query_rows(db, "SELECT status, backend FROM runs"), std::vector<std::string>{"complete|cpu|"});
  EXPECT_EQ(query_rows(db, "SELECT COUNT(*) FROM cells WHERE status = 'complete'"), std::vector<std::string>{"2|"});
  EXPECT_EQ(query_rows(db, "SELECT COUNT(*) FROM endpoints WHERE class IS NOT NULL"), std::vector<std::string>{"14|"});
  EXPECT_EQ(query_rows(db, "SELECT COUNT(*) FROM spectra"), std::vector<std::string>{"14|"});
  EXPECT_EQ(query_rows(db, "SELECT COUNT(*) FROM curves"), std::vector<std::string>{"14|"});
  // Every column the README documents for endpoints exists.
  const auto cols = query_rows(db, "SELECT name FROM pragma_table_info('endpoints')");
  for (const char* c : {"cell_id|", "net_index|", "seed|", "class|", "loss|", "grad_norm|", "lambda_min|",
                        "lambda_max|", "n_negative|", "n_near_zero|", "steps|", "wall_time|", "orbit_dim|"})
    EXPECT_NE(std::find(cols.begin(), cols.end(), c), cols.end()) << c;
  // The stored spectrum of every endpoint starts with its lambda_min and is sorted.
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT e.lambda_min, s.eigenvalues, c.param_count FROM endpoints e JOIN spectra s "
                                  "USING (cell_id, net_index) JOIN cells c USING (cell_id)", -1, &st, nullptr), SQLITE_OK);
  int checked = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const double lmin = sqlite3_column_double(st, 0);
    const auto* ev = static_cast<const double*>(sqlite3_column_blob(st, 1));
    const int n = sqlite3_column_bytes(st, 1) / int(sizeof(double));
    EXPECT_EQ(n, sqlite3_column_int(st, 2));
    EXPECT_EQ(ev[0], lmin);
    EXPECT_TRUE(std::is_sorted(ev, ev + n));
    ++checked;
  }
  EXPECT_EQ(checked, 14);
  sqlite3_finalize(st);
  sqlite3_close(h);
}

TEST_F(Sweep, CellSecondsAreStoredPerCellAndAddUp) {
  ASSERT_EQ(run_cli({"sample", m_cfg, "--out", path("o"), "--quiet"}), 0);
  const std::string db = path("o/results.db");
  // Every cell's times, as the process measured them.
  EXPECT_EQ(query_rows(db, "SELECT COUNT(*) FROM cell_seconds WHERE seconds_train > 0 AND seconds_analyze > 0 "
                           "AND seconds_decide > 0 AND seconds_total >= seconds_decide"),
            std::vector<std::string>{"2|"});
  const std::string json = read_file(path("o/summary.json"));
  const auto summary = nlohmann::json::parse(json);
  Store store(db);
  const auto cells = store.cells(store.latest_run()->run_id);
  ASSERT_EQ(cells.size(), 2u);
  const CellSeconds t = store.cell_seconds(cells[1].cell_id);
  EXPECT_DOUBLE_EQ(t.total, summary["cells"][1]["timing_seconds"]["total"].get<double>());
  EXPECT_DOUBLE_EQ(t.train, summary["cells"][1]["timing_seconds"]["train"].get<double>());
  // A second process's times add to the first's; a cell without a row has zeros.
  store.add_cell_seconds(cells[1].cell_id, {1, 2, 3, 4});
  const CellSeconds u = store.cell_seconds(cells[1].cell_id);
  EXPECT_DOUBLE_EQ(u.train, t.train + 1);
  EXPECT_DOUBLE_EQ(u.analyze, t.analyze + 2);
  EXPECT_DOUBLE_EQ(u.decide, t.decide + 3);
  EXPECT_DOUBLE_EQ(u.total, t.total + 4);
  EXPECT_EQ(store.cell_seconds(cells[1].cell_id + 100).total, 0.0);
  // The stored X and Y come back as their blobs' bytes.
  const auto blobs = store.cell_data_blobs(cells[0].cell_id);
  ASSERT_TRUE(blobs.has_value());
  EXPECT_EQ(query_rows(db, "SELECT length(x), length(y) FROM cell_data WHERE cell_id = " +
                               std::to_string(cells[0].cell_id)),
            std::vector<std::string>{std::to_string(blobs->x.size()) + "|" + std::to_string(blobs->y.size()) + "|"});
  EXPECT_FALSE(store.cell_data_blobs(cells[0].cell_id + 100).has_value());
}

// A chunk's times are written in the transaction that writes its endpoints: a chunk that
// fails to commit (a network stored twice here) leaves the cell's and the run's times as they
// were; one that commits adds exactly its own.
TEST_F(Sweep, ChunkTimesCommitWithTheChunkOrNotAtAll) {
  ASSERT_EQ(run_cli({"sample", m_cfg, "--out", path("o"), "--quiet"}), 0);
  const std::string db = path("o/results.db");
  const CellContext ctx = make_cell_context(expand_sweep(read_file(m_cfg), m_cfg)[1].config);
  Store store(db);
  const StoredRun run = *store.latest_run();
  const auto cells = store.cells(run.run_id);
  ASSERT_EQ(cells.size(), 2u);
  std::map<long, std::vector<double>> candidates;
  ChunkResult chunk;
  chunk.endpoints = {store.load_cell(cells[1].cell_id, candidates).at(0)};
  chunk.weights.assign(ctx.cfg.model.param_count(), 0.5);
  const CellSeconds before = store.cell_seconds(cells[1].cell_id);
  EXPECT_THROW(store.write_chunk(cells[1].cell_id, ctx, chunk, run.run_id, {1, 2, 3, 4}), Error);
  const CellSeconds same = store.cell_seconds(cells[1].cell_id);
  EXPECT_EQ(same.train, before.train);
  EXPECT_EQ(same.total, before.total);
  EXPECT_EQ(store.latest_run()->seconds_train, run.seconds_train);
  chunk.endpoints[0].index = 100;
  store.write_chunk(cells[1].cell_id, ctx, chunk, run.run_id, {1, 2, 3, 4});
  const CellSeconds after = store.cell_seconds(cells[1].cell_id);
  EXPECT_DOUBLE_EQ(after.train, before.train + 1);
  EXPECT_DOUBLE_EQ(after.analyze, before.analyze + 2);
  EXPECT_DOUBLE_EQ(after.decide, before.decide + 3);
  EXPECT_DOUBLE_EQ(after.total, before.total + 4);
  EXPECT_DOUBLE_EQ(store.latest_run()->seconds_train, run.seconds_train + 1);
  EXPECT_DOUBLE_EQ(store.latest_run()->seconds_analyze, run.seconds_analyze + 2);
}

// A complete cell reads back with the classes and escape tests its final record stored; a
// database opened to read is refused while a writer holds it, and is never written.
TEST_F(Sweep, CompleteCellsReadBackAndReadOnlyStoresWriteNothing) {
  // Y = 0, small initializations and refinement: non-strict saddles, so escape tests are stored.
  const std::string cfg = write("esc.toml", "[experiment]\nnetworks = 7\nseed = 3\nbackend = \"cpu\"\nchunk = 4\n"
                                            "[model]\nfamily = \"linear\"\ndims = [[3, 2, 3], [4, 3, 3, 3]]\n"
                                            "[data]\nn = 8\ny_rank = 0\n[init]\nscale = 0.001\n"
                                            "[train]\nlr = 0.02\nsteps = 300\n[refine]\nenabled = true\n");
  ASSERT_EQ(run_cli({"sample", cfg, "--out", path("o"), "--quiet"}), 0);
  const std::string db = path("o/results.db");
  {
    Store writer(db);
    try {
      Store reader(db, StoreMode::read);
      FAIL() << "a database being written was opened to read";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("being written"), std::string::npos) << e.what();
    }
  }
  const auto bytes = read_file(db);
  Store reader(db, StoreMode::read);
  Store other(db, StoreMode::read);  // readers share the file
  const auto cells = reader.cells(reader.latest_run()->run_id);
  ASSERT_EQ(cells.size(), 2u);
  long escapes = 0;
  for (const auto& cell : cells) {
    const Store::FinalCell f = reader.load_final_cell(cell.cell_id);
    const std::string id = std::to_string(cell.cell_id);
    std::string classes;
    long tested = 0;
    for (const auto& e : f.endpoints) {
      classes += to_string(e.cls) + "," + to_string(e.raw_class) + "," + to_string(e.cls_by_tol[kTolLo]) + "," +
                 to_string(e.cls_by_tol[kTolHi]) + "|";
      tested += e.escape.has_value();
    }
    std::string stored;
    for (const auto& r : query_rows(db, "SELECT class || ',' || raw_class || ',' || class_tol_lo || ',' || "
                                        "class_tol_hi FROM endpoints WHERE cell_id = " + id + " ORDER BY net_index"))
      stored += r;
    EXPECT_EQ(classes, stored);
    EXPECT_EQ(f.endpoints.size(), 7u);
    EXPECT_EQ(query_rows(db, "SELECT COUNT(*) FROM endpoints WHERE json_extract(details, '$.escape') IS NOT NULL "
                             "AND cell_id = " + id),
              std::vector<std::string>{std::to_string(tested) + "|"});
    escapes += tested;
    EXPECT_EQ(query_rows(db, "SELECT global_loss_kind FROM cells WHERE cell_id = " + id),
              std::vector<std::string>{f.optimum.kind + "|"});
    EXPECT_FALSE(f.prediction_json.empty());
  }
  EXPECT_GT(escapes, 0) << "no escape test stored: the experiment no longer exercises them";
  EXPECT_THROW(reader.set_meta("x", "y"), Error);
  EXPECT_EQ(read_file(db), bytes);
}

TEST_F(Sweep, ResumeAfterSigkillAtSeveralPointsGivesTheUninterruptedResult) {
  const auto ref = reference();
  ASSERT_EQ(ref.size(), 14u);
  // 3 chunks per cell (3 + 3 + 1): kill after chunk 1, after the last chunk of cell 0 (before
  // its finalization), after chunk 4, and after the very last chunk.
  for (int kill_at : {1, 3, 4, 6}) {
    SCOPED_TRACE("killed after chunk " + std::to_string(kill_at));
    const std::string out = path("k" + std::to_string(kill_at));
    const int code = run_cli({"sample", m_cfg, "--out", out, "--quiet"},
                             "LANDSCAPE_FAULT_KILL_AFTER_CHUNKS=" + std::to_string(kill_at));
    EXPECT_EQ(code, kKilledBy + SIGKILL);
    EXPECT_FALSE(fs::exists(out + "/summary.json"));
    // Endpoints committed after k chunks of sizes 3, 3, 1 | 3, 3, 1.
    const int committed[] = {0, 3, 6, 7, 10, 13, 14};
    EXPECT_EQ(query_rows(out + "/results.db", "SELECT COUNT(*) FROM endpoints"),
              std::vector<std::string>{std::to_string(committed[kill_at]) + "|"});
    EXPECT_EQ(query_rows(out + "/results.db", "SELECT COUNT(*) FROM endpoints WHERE class IS NOT NULL"),
              std::vector<std::string>{std::string(kill_at >= 4 ? "7" : "0") + "|"});
    EXPECT_EQ(run_cli({"sample", m_cfg, "--out", out, "--quiet", "--resume"}), 0);
    EXPECT_EQ(endpoint_set(out + "/results.db"), ref);
    EXPECT_EQ(query_rows(out + "/results.db", "SELECT COUNT(*), status FROM runs"),
              std::vector<std::string>{"1|complete|"});
    EXPECT_TRUE(fs::exists(out + "/summary.json"));
  }
}

TEST_F(Sweep, ResumeWithADifferentConfigIsRefusedSayingWhatDiffers) {
  const std::string out = path("o");
  ASSERT_EQ(run_cli({"sample", m_cfg, "--out", out, "--quiet"}, "LANDSCAPE_FAULT_KILL_AFTER_CHUNKS=1"), kKilledBy + SIGKILL);
  std::string changed = kSweep;
  changed.replace(changed.find("steps = 400"), 11, "steps = 500");
  const std::string cfg2 = write("changed.toml", changed);
  std::ostringstream o, e;
  SweepOptions opt;
  opt.config_path = cfg2;
  opt.out_dir = out;
  opt.resume = true;
  opt.quiet = true;
  try {
    run_sweep(opt, o, e);
    FAIL() << "resume with a changed config was accepted";
  } catch (const Error& err) {
    const std::string msg = err.what();
    EXPECT_NE(msg.find("refusing to resume"), std::string::npos) << msg;
    EXPECT_NE(msg.find("train.steps: 400 -> 500"), std::string::npos) << msg;
  }
  // Comments and the output directory do not count as differences.
  const std::string cfg3 = write("same.toml", std::string("# a comment\n") + kSweep);
  EXPECT_EQ(run_cli({"sample", cfg3, "--out", out, "--quiet", "--resume"}), 0);
}

/// Ctrl-C after the first committed chunk: a clean exit 130, then a resume equal to an
/// uninterrupted run. `env` selects train-ahead for every process involved.
void ctrl_c_stops_cleanly_and_resumes(const std::string& slow_cfg, const std::string& out,
                                      const std::string& ref_out, const std::string& env) {
  const pid_t pid = spawn({"sample", slow_cfg, "--out", out, "--quiet"}, {env});
  // Wait for the first committed chunk, then interrupt.
  for (int i = 0; i < 400; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (poll_endpoints(out + "/results.db") > 0) break;
  }
  kill(pid, SIGINT);
  const int code = wait_for(pid);
  if (code == 0 || code == kKilledBy + SIGINT)
    GTEST_SKIP() << "the run finished before the interrupt arrived";
  EXPECT_EQ(code, 130);  // a clean exit with the documented code, not death by signal
  EXPECT_EQ(query_rows(out + "/results.db", "SELECT status FROM runs"), std::vector<std::string>{"interrupted|"});
  EXPECT_FALSE(fs::exists(out + "/summary.json"));
  EXPECT_EQ(run_cli({"sample", slow_cfg, "--out", out, "--quiet", "--resume"}, {env}), 0);
  // The reference used 400 steps; compare with an uninterrupted run of the slow config.
  EXPECT_EQ(run_cli({"sample", slow_cfg, "--out", ref_out, "--quiet"}, {kOverlapOff}), 0);
  EXPECT_EQ(endpoint_set(out + "/results.db"), endpoint_set(ref_out + "/results.db"));
}

std::string slow_sweep() {
  std::string slow = kSweep;
  slow.replace(slow.find("chunk = 3"), 9, "chunk = 1");
  slow.replace(slow.find("steps = 400"), 11, "steps = 40000");  // long enough to interrupt
  return slow;
}

TEST_F(Sweep, CtrlCStopsCleanlyAndResumes) {
  ctrl_c_stops_cleanly_and_resumes(write("slow.toml", slow_sweep()), path("int"), path("slowref"),
                                   kOverlapOff);
}

TEST_F(Sweep, CtrlCStopsCleanlyAndResumesWithTrainAhead) {
  ctrl_c_stops_cleanly_and_resumes(write("slow.toml", slow_sweep()), path("int"), path("slowref"),
                                   kOverlapOn);
}

TEST_F(Sweep, TrainAheadGivesTheSameDatabaseAndResumesAfterSigkill) {
  const auto ref = reference();
  ASSERT_EQ(ref.size(), 14u);
  EXPECT_EQ(run_cli({"sample", m_cfg, "--out", path("ahead"), "--quiet"}, {kOverlapOn}), 0);
  EXPECT_EQ(endpoint_set(path("ahead/results.db")), ref);
  // Killed right after a commit while the next chunk trains ahead (it is lost, not committed);
  // the resume trains ahead too. Chunks of 3, 3, 1 | 3, 3, 1.
  const int committed[] = {0, 3, 6, 7, 10, 13, 14};
  for (int kill_at : {1, 3, 4}) {
    SCOPED_TRACE("killed after chunk " + std::to_string(kill_at));
    const std::string out = path("ak" + std::to_string(kill_at));
    EXPECT_EQ(run_cli({"sample", m_cfg, "--out", out, "--quiet"},
                      {kOverlapOn, "LANDSCAPE_FAULT_KILL_AFTER_CHUNKS=" + std::to_string(kill_at)}),
              kKilledBy + SIGKILL);
    EXPECT_EQ(query_rows(out + "/results.db", "SELECT COUNT(*) FROM endpoints"),
              std::vector<std::string>{std::to_string(committed[kill_at]) + "|"});
    EXPECT_EQ(run_cli({"sample", m_cfg, "--out", out, "--quiet", "--resume"}, {kOverlapOn}), 0);
    EXPECT_EQ(endpoint_set(out + "/results.db"), ref);
    EXPECT_EQ(query_rows(out + "/results.db", "SELECT COUNT(*), status FROM runs"),
              std::vector<std::string>{"1|complete|"});
  }
}

TEST_F(Sweep, SecondWriterIsRefused) {
  const std::string db = path("w.db");
  Store a(db);
  try {
    Store b(db);
    FAIL() << "two writers on one database";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another landscape process"), std::string::npos) << e.what();
  }
}

TEST_F(Sweep, ResumeWithoutARunIsAnError) {
  SweepOptions opt;
  opt.config_path = m_cfg;
  opt.out_dir = path("empty");
  opt.resume = true;
  opt.quiet = true;
  std::ostringstream o, e;
  EXPECT_THROW(run_sweep(opt, o, e), Error);
}

// The data's null directions (docs/math.md §6): X of rank 1 with d0 = 3 leaves the first layer
// d1·(d0 − 1) directions along which the loss is constant; they are a column of the database,
// of endpoints.csv and of the export, equal to the count in each endpoint's details, and not
// counted as excess degeneracy.
TEST_F(Sweep, DataNullDirectionsAreAColumnEverywhere) {
  const std::string cfg = write("null.toml", R"([experiment]
name = "null"
networks = 4
seed = 3
backend = "cpu"

[model]
family = "linear"
dims = [3, 2, 2]

[data]
n = 6
x_rank = 1

[train]
lr = 0.05
steps = 3000
)");
  ASSERT_EQ(run_cli({"sample", cfg, "--out", path("o"), "--quiet"}), 0);
  const std::string db = path("o/results.db");
  const auto rows = query_rows(db, "SELECT data_null_dim, json_extract(details, '$.symmetry.data_null_dim'), "
                                   "excess_degeneracy, n_near_zero - orbit_dim - data_null_dim FROM endpoints "
                                   "WHERE data_null_dim IS NOT NULL");
  ASSERT_EQ(rows.size(), 4u);
  for (const std::string& r : rows) {
    const auto f = [&](int k) {
      std::size_t a = 0;
      for (int i = 0; i < k; ++i) a = r.find('|', a) + 1;
      return std::stol(r.substr(a, r.find('|', a) - a));
    };
    EXPECT_GE(f(0), 4) << r;  // d1·(d0 − rank X) = 2·2 at least
    EXPECT_EQ(f(0), f(1)) << r;
    EXPECT_EQ(f(2), f(3)) << r;
  }
  // endpoints.csv and the export carry the same numbers.
  std::istringstream csv(read_file(path("o/endpoints.csv")));
  std::string header, line;
  std::getline(csv, header);
  const auto column = [](const std::string& h, const std::string& name) {
    std::istringstream is(h);
    std::string c;
    for (int k = 0; std::getline(is, c, ','); ++k)
      if (c == name) return k;
    return -1;
  };
  const int k = column(header, "data_null_dim");
  ASSERT_GE(k, 0) << header;
  ASSERT_EQ(run_cli({"export", db, "--json", "--out", path("e.json")}), 0);
  const auto j = nlohmann::json::parse(read_file(path("e.json")));
  ASSERT_EQ(j.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(std::getline(csv, line));
    std::istringstream is(line);
    std::string v;
    for (int c = 0; c <= k; ++c) std::getline(is, v, ',');
    EXPECT_EQ(std::stol(v), j[i]["data_null_dim"].get<long>()) << line;
    EXPECT_GE(j[i]["data_null_dim"].get<long>(), 4);
  }
}

TEST_F(Sweep, ExportRoundTrip) {
  ASSERT_EQ(run_cli({"sample", m_cfg, "--out", path("o"), "--quiet"}), 0);
  const std::string db = path("o/results.db");
  ASSERT_EQ(run_cli({"export", db, "--json", "--out", path("e.json")}), 0);
  ASSERT_EQ(run_cli({"export", db, "--csv", "--out", path("e.csv")}), 0);
  const auto j = nlohmann::json::parse(read_file(path("e.json")));
  ASSERT_EQ(j.size(), 14u);
  const auto losses = query_rows(db, "SELECT e.loss, e.class FROM endpoints e JOIN cells c USING (cell_id) "
                                     "ORDER BY c.cell_index, e.net_index");
  std::istringstream csv(read_file(path("e.csv")));
  std::string header, line;
  std::getline(csv, header);
  EXPECT_NE(header.find("loss"), std::string::npos);
  for (std::size_t i = 0; i < j.size(); ++i) {
    std::ostringstream want;
    want.precision(17);
    const double l = j[i]["loss"].get<double>();
    const std::string cls = j[i]["class"];
    const auto sep = losses[i].find('|');
    EXPECT_DOUBLE_EQ(l, std::stod(losses[i].substr(0, sep)));
    EXPECT_EQ(cls + "|", losses[i].substr(sep + 1));
    EXPECT_EQ(j[i]["run_status"], "complete");
    EXPECT_EQ(j[i]["cell_status"], "complete");
    EXPECT_EQ(j[i]["data_seed"], 5);  // the experiment seed: the file sets no data.seed
    EXPECT_DOUBLE_EQ(j[i]["loss_gap"].get<double>(), l - j[i]["global_loss"].get<double>());
    EXPECT_TRUE(j[i].contains("escape_drop"));
    // The training dynamics and the certificate travel with every endpoint.
    ASSERT_TRUE(j[i].contains("dynamics") && j[i].contains("escape_step") && j[i].contains("loss_drop") &&
                j[i].contains("certified"));
    const std::string dyn = j[i]["dynamics"];
    EXPECT_TRUE(dyn == "plateau" || dyn == "descending" || dyn == "settled") << dyn;
    EXPECT_TRUE(j[i]["loss_drop"].is_number());
    ASSERT_TRUE(j[i]["data_null_dim"].is_number_integer());
    ASSERT_TRUE(std::getline(csv, line));
    EXPECT_NE(line.find("," + cls + ","), std::string::npos) << line;
  }
  EXPECT_FALSE(std::getline(csv, line));
  EXPECT_NE(run_cli({"export", path("missing.db")}), 0);
  EXPECT_FALSE(fs::exists(path("missing.db")));
}

TEST(SweepConfig, SweptValuesAreTypedAndWrittenInTheShortestExactForm) {
  const auto cells = expand_sweep(
      "[model]\nfamily = \"linear\"\ndims = [[3, 2, 3], [3, 3]]\n[init]\n"
      "scale = [0.1, 0.30000000000000004, 2.0, 1e-7]\nsmall = [false]\n[data]\ny = [\"gaussian\", \"teacher\"]\n",
      "typed.toml");
  ASSERT_EQ(cells.size(), 16u);
  // Labels keep the value as written, never the 17-digit expansion of its double.
  EXPECT_EQ(cells[0].label, "dims=[3,2,3] y=gaussian scale=0.1");
  EXPECT_EQ(cells[3].label, "dims=[3,3] y=teacher scale=0.1");
  EXPECT_EQ(cells[4].label, "dims=[3,2,3] y=gaussian scale=0.30000000000000004");
  EXPECT_EQ(cells[8].label, "dims=[3,2,3] y=gaussian scale=2.0");
  EXPECT_EQ(cells[12].label, "dims=[3,2,3] y=gaussian scale=1e-07");
  const std::vector<SweptValue>& v = cells[13].swept;  // single-valued lists are not swept
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].name, "dims");
  EXPECT_EQ(v[0].kind, SweptValue::Kind::integers);
  EXPECT_EQ(v[0].integers, (std::vector<long long>{3, 3}));
  EXPECT_EQ(v[1].name, "y");
  EXPECT_EQ(v[1].kind, SweptValue::Kind::text);
  EXPECT_EQ(v[1].text, "gaussian");
  EXPECT_EQ(v[2].name, "scale");
  EXPECT_EQ(v[2].kind, SweptValue::Kind::real);
  EXPECT_EQ(v[2].real, 1e-7);
  // Every text reads back as exactly the value, and the stored JSON reads back as written.
  for (const auto& c : cells) {
    EXPECT_EQ(std::stod(c.swept[2].text), c.config.init.scale) << c.swept[2].text;
    const std::vector<SweptValue> back = parse_swept(dump_swept(c.swept));
    ASSERT_EQ(back.size(), c.swept.size());
    for (std::size_t k = 0; k < back.size(); ++k) {
      EXPECT_EQ(back[k].name, c.swept[k].name);
      EXPECT_EQ(back[k].text, c.swept[k].text);
      EXPECT_EQ(back[k].kind, c.swept[k].kind);
    }
  }
  EXPECT_EQ(dump_swept(cells[4].swept), R"({"dims":[3,2,3],"y":"gaussian","scale":0.30000000000000004})");
  EXPECT_EQ(format_shortest(0.1), "0.1");
  EXPECT_EQ(format_shortest(2.0), "2");
  EXPECT_EQ(format_shortest(2.0, true), "2.0");
  EXPECT_EQ(format_shortest(-1e-300), "-1e-300");
}

TEST_F(Sweep, SweptVariablesAreColumnsEverywhere) {
  SweepOptions opt;
  opt.config_path = m_cfg;
  opt.out_dir = path("o");
  opt.quiet = true;
  std::ostringstream out, err;
  ASSERT_EQ(run_sweep(opt, out, err), 0) << err.str();
  const std::string db = path("o/results.db");
  EXPECT_EQ(query_rows(db, "SELECT cell_index, swept, data_seed, steps FROM cells ORDER BY cell_index"),
            (std::vector<std::string>{"0|{\"dims\":[3,2,2,3]}|5|400|", "1|{\"dims\":[3,3,3]}|5|400|"}));
  // A sweep ends with its compact table; each claim of the theory is listed only with --verbose.
  const std::string text = out.str();
  EXPECT_NE(text.find("sweep of 2 cells"), std::string::npos) << text;
  EXPECT_NE(text.find("claim(s):"), std::string::npos) << text;
  EXPECT_EQ(text.find("\n  theory:\n  - "), std::string::npos) << text;
  std::istringstream table(text.substr(text.rfind("sweep of 2 cells")));
  std::string row;
  std::getline(table, row);
  std::getline(table, row);  // header
  EXPECT_EQ(row.find("cell"), 2u) << row;
  EXPECT_NE(row.find("dims"), std::string::npos) << row;
  std::getline(table, row);  // rule
  std::getline(table, row);
  EXPECT_NE(row.find("[3,2,2,3]"), std::string::npos) << row;
  EXPECT_NE(row.find(" 7 "), std::string::npos) << row;  // networks
  opt.verbose = true;
  opt.resume = true;  // the complete run: outputs and tables again
  std::ostringstream out2;
  ASSERT_EQ(run_sweep(opt, out2, err), 0) << err.str();
  EXPECT_NE(out2.str().find("\n  theory:\n  - "), std::string::npos) << out2.str();

  // endpoints.csv and export: one sweep_<name> column after the label.
  std::istringstream csv(read_file(path("o/endpoints.csv")));
  std::string header, line;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("cell,label,sweep_dims,index,", 0), 0u) << header;
  std::getline(csv, line);
  EXPECT_EQ(line.rfind("0,\"dims=[3,2,2,3]\",\"[3,2,2,3]\",0,", 0), 0u) << line;
  const auto summary = nlohmann::json::parse(read_file(path("o/summary.json")));
  EXPECT_EQ(summary["cells"][1]["swept"]["dims"], (std::vector<int>{3, 3, 3}));
  ASSERT_EQ(run_cli({"export", db, "--csv", "--out", path("e.csv")}), 0);
  std::istringstream ex(read_file(path("e.csv")));
  std::getline(ex, header);
  EXPECT_NE(header.find(",label,sweep_dims,family,"), std::string::npos) << header;
  std::getline(ex, line);
  EXPECT_NE(line.find(",\"dims=[3,2,2,3]\",\"[3,2,2,3]\",linear,"), std::string::npos) << line;
  ASSERT_EQ(run_cli({"export", db, "--json", "--out", path("e.json")}), 0);
  const auto j = nlohmann::json::parse(read_file(path("e.json")));
  ASSERT_EQ(j.size(), 14u);
  EXPECT_EQ(j[0]["sweep_dims"], (std::vector<int>{3, 2, 2, 3}));
  EXPECT_EQ(j[13]["sweep_dims"], (std::vector<int>{3, 3, 3}));
}

}  // namespace
