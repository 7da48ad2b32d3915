// The program's one SQLite wrapper: an RAII database handle, prepared statements with chained
// binds and typed column reads, and a transaction guard. Every error names the database path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace landscape {

/// How a database file is opened.
enum class OpenMode {
  read_only,   ///< never creates a file; every write is refused by SQLite
  read_write,  ///< creates the file when it does not exist
};

/// An open SQLite database. Errors are landscape::Error with messages "<path>: <why>".
class Database {
 public:
  /// Opens `path`; throws Error("<path>: cannot open database: <why>"), or "<path>: is a
  /// directory, not a database file". A positive
  /// `busy_timeout_ms` makes a locked database wait that long before failing.
  Database(std::string path, OpenMode mode, int busy_timeout_ms = 0);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return m_path; }
  /// SQLite's message for the last failed call on this handle.
  std::string errmsg() const;
  /// Runs SQL (one or more statements) that returns no rows; throws Error("<path>: <why>").
  void exec(const std::string& sql);
  /// Row id of the last successful INSERT on this handle.
  std::int64_t last_insert_rowid() const;

  sqlite3* handle() const { return m_db; }

 private:
  std::string m_path;
  sqlite3* m_db = nullptr;
};

/// The storage class of a result column.
enum class ColumnType { integer, real, text, blob, null };

/// A prepared statement. Binds are positional and chained (1-based, in call order); columns
/// are 0-based. Errors read "<context>: <why>", the context being the database path unless
/// given.
class Statement {
 public:
  Statement(Database& db, const std::string& sql);
  Statement(Database& db, const std::string& sql, std::string context);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(long long v);
  Statement& bind(int v) { return bind(static_cast<long long>(v)); }
  Statement& bind(long v) { return bind(static_cast<long long>(v)); }
  Statement& bind(bool v) { return bind(static_cast<long long>(v)); }
  /// A non-finite double is bound as NULL (SQLite has no infinities worth keeping).
  Statement& bind(double v);
  Statement& bind(const std::string& v);
  Statement& bind(const char* v) { return bind(std::string(v)); }
  Statement& bind_null();
  /// NULL when empty, else the value.
  template <class T>
  Statement& bind(const std::optional<T>& v) {
    return v ? bind(*v) : bind_null();
  }
  /// `bytes` bytes from `data`, copied.
  Statement& bind_blob(const void* data, std::size_t bytes);
  /// `n` doubles as a float64 blob (the machine's byte order, little-endian on every target).
  Statement& bind_doubles(const double* data, std::size_t n) {
    return bind_blob(data, n * sizeof(double));
  }

  /// Steps once: true while a row is available; throws on an error.
  bool step();
  /// Steps to the end, then reset() for the next set of binds.
  void run();
  /// Resets the statement and clears its binds (the next bind is parameter 1 again).
  void reset();
  /// Resets the statement keeping its binds, to run the same query again.
  void rewind();

  int columns() const;
  std::string column_name(int col) const;
  ColumnType column_type(int col) const;
  bool is_null(int col) const { return column_type(col) == ColumnType::null; }
  std::int64_t int64(int col) const;
  long integer(int col) const { return static_cast<long>(int64(col)); }
  /// The value as a double; 0 for NULL.
  double real(int col) const;
  /// The value as a double, or `if_null` for NULL.
  double real_or(int col, double if_null) const { return is_null(col) ? if_null : real(col); }
  /// The text; "" for NULL.
  std::string text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  std::optional<long> opt_integer(int col) const;
  std::optional<double> opt_real(int col) const;
  std::optional<std::string> opt_text(int col) const;
  /// The raw bytes of a blob (empty for NULL).
  std::vector<unsigned char> blob(int col) const;
  /// A little-endian float64 array; nullopt when the blob length is not a multiple of 8.
  std::optional<std::vector<double>> doubles(int col) const;

 private:
  void check_bind(int rc);

  Database& m_db;
  sqlite3_stmt* m_stmt = nullptr;
  std::string m_context;
  int m_next = 0;  // the last bound parameter
};

/// Which lock a transaction takes at BEGIN.
enum class TransactionKind {
  deferred,   ///< BEGIN: a read snapshot, upgraded on the first write
  immediate,  ///< BEGIN IMMEDIATE: the write lock at once
};

/// BEGIN … COMMIT; rolled back on destruction unless committed (so an exception undoes it).
class Transaction {
 public:
  explicit Transaction(Database& db, TransactionKind kind = TransactionKind::deferred);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// COMMIT; throws on failure (the destructor then rolls back).
  void commit();

 private:
  Database& m_db;
  bool m_done = false;
};

}  // namespace landscape
