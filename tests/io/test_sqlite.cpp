// The SQLite wrapper (io/sqlite.hpp): every column type round trips, NULLs read back as empty
// optionals, a transaction rolls back when an exception leaves its scope, and a database opened
// read-only refuses writes with a message naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "landscape/core/common.hpp"
#include "landscape/io/sqlite.hpp"

namespace fs = std::filesystem;
using namespace landscape;

namespace {

/// A fresh database path in a directory removed at the end of the test.
class TempDb {
 public:
  TempDb() {
    m_dir = fs::temp_directory_path() /
            ("ls_sqlite_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  ~TempDb() {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
  std::string path() const { return (m_dir / "t.db").string(); }

 private:
  fs::path m_dir;
};

long count_rows(Database& db) {
  Statement q(db, "SELECT COUNT(*) FROM t");
  EXPECT_TRUE(q.step());
  return q.integer(0);
}

}  // namespace

TEST(Sqlite, EveryColumnTypeRoundTrips) {
  TempDb tmp;
  Database db(tmp.path(), OpenMode::read_write);
  db.exec("CREATE TABLE t(i INTEGER, l INTEGER, r REAL, s TEXT, b BLOB, n)");
  const std::vector<double> values = {1.5, -0.0, 1e-300, std::numeric_limits<double>::max()};
  Statement ins(db, "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)");
  ins.bind(-7)
      .bind(9'000'000'000'000L)
      .bind(0.1)
      .bind(std::string("a'b\"c é"))
      .bind_doubles(values.data(), values.size())
      .bind_null()
      .run();
  EXPECT_EQ(db.last_insert_rowid(), 1);

  Statement q(db, "SELECT i, l, r, s, b, n FROM t");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.columns(), 6);
  EXPECT_EQ(q.column_name(3), "s");
  EXPECT_EQ(q.column_type(0), ColumnType::integer);
  EXPECT_EQ(q.column_type(2), ColumnType::real);
  EXPECT_EQ(q.column_type(3), ColumnType::text);
  EXPECT_EQ(q.column_type(4), ColumnType::blob);
  EXPECT_EQ(q.column_type(5), ColumnType::null);
  EXPECT_EQ(q.integer(0), -7);
  EXPECT_EQ(q.int64(1), 9'000'000'000'000LL);
  EXPECT_EQ(q.real(2), 0.1);
  EXPECT_EQ(q.text(3), "a'b\"c é");
  const auto back = q.doubles(4);
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ((*back)[i], values[i]);
  EXPECT_EQ(q.blob(4).size(), values.size() * sizeof(double));
  EXPECT_FALSE(q.step());
}

TEST(Sqlite, NullsAndOptionals) {
  TempDb tmp;
  Database db(tmp.path(), OpenMode::read_write);
  db.exec("CREATE TABLE t(a, b, c, d, e)");
  Statement ins(db, "INSERT INTO t VALUES (?, ?, ?, ?, ?)");
  // A non-finite double and an empty optional are stored as NULL.
  ins.bind(std::nan(""))
      .bind(std::numeric_limits<double>::infinity())
      .bind(std::optional<bool>())
      .bind(std::optional<bool>(true))
      .bind_null()
      .run();
  Statement q(db, "SELECT a, b, c, d, e FROM t");
  ASSERT_TRUE(q.step());
  for (int c : {0, 1, 2, 4}) {
    EXPECT_TRUE(q.is_null(c)) << c;
    EXPECT_FALSE(q.opt_real(c).has_value()) << c;
    EXPECT_FALSE(q.opt_integer(c).has_value()) << c;
    EXPECT_FALSE(q.opt_int64(c).has_value()) << c;
    EXPECT_FALSE(q.opt_text(c).has_value()) << c;
  }
  EXPECT_EQ(q.text(4), "");
  EXPECT_EQ(q.real(4), 0.0);
  EXPECT_TRUE(std::isnan(q.real_or(4, std::nan(""))));
  EXPECT_EQ(q.opt_integer(3), std::optional<long>(1));
  EXPECT_EQ(q.opt_text(3), std::optional<std::string>("1"));
  EXPECT_EQ(q.real_or(3, -1.0), 1.0);
  EXPECT_TRUE(q.doubles(4).has_value());  // NULL reads as an empty array
  EXPECT_TRUE(q.doubles(4)->empty());
}

TEST(Sqlite, MalformedDoublesBlobIsNullopt) {
  TempDb tmp;
  Database db(tmp.path(), OpenMode::read_write);
  db.exec("CREATE TABLE t(b BLOB)");
  const unsigned char bytes[5] = {1, 2, 3, 4, 5};
  Statement(db, "INSERT INTO t VALUES (?)").bind_blob(bytes, sizeof bytes).run();
  Statement q(db, "SELECT b FROM t");
  ASSERT_TRUE(q.step());
  EXPECT_FALSE(q.doubles(0).has_value());
}

TEST(Sqlite, ResetClearsBindsAndRewindKeepsThem) {
  TempDb tmp;
  Database db(tmp.path(), OpenMode::read_write);
  db.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3)");
  Statement q(db, "SELECT COUNT(*) FROM t WHERE x >= ?");
  q.bind(2);
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.integer(0), 2);
  q.rewind();
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.integer(0), 2);
  q.reset();
  q.bind(3);  // parameter 1 again
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.integer(0), 1);
}

TEST(Sqlite, TransactionRollsBackOnException) {
  TempDb tmp;
  Database db(tmp.path(), OpenMode::read_write);
  db.exec("CREATE TABLE t(x INTEGER)");
  try {
    Transaction tx(db, TransactionKind::immediate);
    Statement(db, "INSERT INTO t VALUES (1)").run();
    EXPECT_EQ(count_rows(db), 1);
    throw std::runtime_error("abandon");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(count_rows(db), 0);
  {
    Transaction tx(db);
    Statement(db, "INSERT INTO t VALUES (2)").run();
    tx.commit();
  }
  EXPECT_EQ(count_rows(db), 1);
}

TEST(Sqlite, ReadOnlyRefusesWritesAndNeverCreates) {
  TempDb tmp;
  {
    Database db(tmp.path(), OpenMode::read_write);
    db.exec("CREATE TABLE t(x INTEGER)");
  }
  Database ro(tmp.path(), OpenMode::read_only);
  EXPECT_EQ(count_rows(ro), 0);
  try {
    ro.exec("INSERT INTO t VALUES (1)");
    FAIL() << "a write succeeded on a read-only handle";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(tmp.path()), std::string::npos) << e.what();
  }
  try {
    Statement(ro, "INSERT INTO t VALUES (1)").run();
    FAIL() << "a write succeeded on a read-only handle";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(tmp.path()), std::string::npos) << e.what();
  }
  const std::string missing = tmp.path() + ".missing";
  try {
    Database db(missing, OpenMode::read_only);
    FAIL() << "opened a missing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing + ": cannot open database"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(missing));
}

TEST(Sqlite, ErrorsNameTheContext) {
  TempDb tmp;
  Database db(tmp.path(), OpenMode::read_write);
  try {
    Statement q(db, "SELECT * FROM nowhere", "results: not ours");
    FAIL() << "prepared a query on a missing table";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("results: not ours: ", 0), 0u) << e.what();
  }
  EXPECT_THROW(db.exec("NOT SQL"), Error);
}
