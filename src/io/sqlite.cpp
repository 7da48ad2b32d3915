// The SQLite wrapper (sqlite.hpp): handle, statements and transactions over the C API.
#include "landscape/io/sqlite.hpp"

#include <filesystem>
#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <utility>

#include "landscape/core/common.hpp"

namespace landscape {

Database::Database(std::string path, OpenMode mode, int busy_timeout_ms) : m_path(std::move(path)) {
  // SQLite would say only "unable to open database file" (or "disk I/O error").
  std::error_code ec;
  if (std::filesystem::is_directory(m_path, ec)) throw Error(m_path + ": is a directory, not a database file");
  // SQLITE_OPEN_READONLY never creates a file. URI names are allowed so that a database can
  // ATTACH another read-only ("file:...?mode=ro", Store::copy_cell_rows); a plain path that
  // happens to begin with "file:" is opened as the file of that name.
  const int flags = (mode == OpenMode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_URI;
  const std::string name = m_path.rfind("file:", 0) == 0 ? "./" + m_path : m_path;
  const int rc = sqlite3_open_v2(name.c_str(), &m_db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
    sqlite3_close(m_db);
    m_db = nullptr;
    throw Error(m_path + ": cannot open database: " + why);
  }
  if (busy_timeout_ms > 0) sqlite3_busy_timeout(m_db, busy_timeout_ms);
}

Database::~Database() { sqlite3_close(m_db); }

std::string Database::errmsg() const { return sqlite3_errmsg(m_db); }

void Database::exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    const std::string why = msg ? msg : "unknown error";
    sqlite3_free(msg);
    throw Error(m_path + ": " + why);
  }
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }

Statement::Statement(Database& db, const std::string& sql) : Statement(db, sql, db.path()) {}

Statement::Statement(Database& db, const std::string& sql, std::string context)
    : m_db(db), m_context(std::move(context)) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &m_stmt, nullptr) != SQLITE_OK)
    throw Error(m_context + ": " + db.errmsg());
}

Statement::~Statement() { sqlite3_finalize(m_stmt); }

void Statement::check_bind(int rc) {
  if (rc != SQLITE_OK) throw Error(m_context + ": bind failed: " + m_db.errmsg());
}

Statement& Statement::bind(long long v) {
  check_bind(sqlite3_bind_int64(m_stmt, ++m_next, v));
  return *this;
}

Statement& Statement::bind(double v) {
  check_bind(std::isfinite(v) ? sqlite3_bind_double(m_stmt, ++m_next, v)
                              : sqlite3_bind_null(m_stmt, ++m_next));
  return *this;
}

Statement& Statement::bind(const std::string& v) {
  check_bind(sqlite3_bind_text(m_stmt, ++m_next, v.c_str(), int(v.size()), SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::bind_null() {
  check_bind(sqlite3_bind_null(m_stmt, ++m_next));
  return *this;
}

Statement& Statement::bind_blob(const void* data, std::size_t bytes) {
  check_bind(sqlite3_bind_blob(m_stmt, ++m_next, data, int(bytes), SQLITE_TRANSIENT));
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Error(m_context + ": " + m_db.errmsg());
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
  m_next = 0;
}

void Statement::rewind() { sqlite3_reset(m_stmt); }

int Statement::columns() const { return sqlite3_column_count(m_stmt); }

std::string Statement::column_name(int col) const { return sqlite3_column_name(m_stmt, col); }

ColumnType Statement::column_type(int col) const {
  switch (sqlite3_column_type(m_stmt, col)) {
    case SQLITE_INTEGER:
      return ColumnType::integer;
    case SQLITE_FLOAT:
      return ColumnType::real;
    case SQLITE_TEXT:
      return ColumnType::text;
    case SQLITE_BLOB:
      return ColumnType::blob;
    default:
      return ColumnType::null;
  }
}

std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(m_stmt, col); }

double Statement::real(int col) const { return sqlite3_column_double(m_stmt, col); }

std::string Statement::text(int col) const {
  const unsigned char* p = sqlite3_column_text(m_stmt, col);
  return p ? reinterpret_cast<const char*>(p) : "";
}

std::optional<std::int64_t> Statement::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

std::optional<long> Statement::opt_integer(int col) const {
  if (is_null(col)) return std::nullopt;
  return integer(col);
}

std::optional<double> Statement::opt_real(int col) const {
  if (is_null(col)) return std::nullopt;
  return real(col);
}

std::optional<std::string> Statement::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

std::vector<unsigned char> Statement::blob(int col) const {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(m_stmt, col));
  const int bytes = sqlite3_column_bytes(m_stmt, col);
  return p ? std::vector<unsigned char>(p, p + bytes) : std::vector<unsigned char>();
}

std::optional<std::vector<double>> Statement::doubles(int col) const {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(m_stmt, col));
  const int bytes = sqlite3_column_bytes(m_stmt, col);
  if (bytes % 8 != 0) return std::nullopt;
  std::vector<double> out(std::size_t(bytes / 8));
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint64_t u = 0;
    for (int b = 0; b < 8; ++b) u |= std::uint64_t(p[i * 8 + std::size_t(b)]) << (8 * b);
    std::memcpy(&out[i], &u, sizeof u);
  }
  return out;
}

Transaction::Transaction(Database& db, TransactionKind kind) : m_db(db) {
  m_db.exec(kind == TransactionKind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  if (m_done) return;
  try {
    m_db.exec("ROLLBACK");
  } catch (...) {  // nothing to roll back (COMMIT already ended it) or the handle is gone
  }
}

void Transaction::commit() {
  m_db.exec("COMMIT");
  m_done = true;
}

}  // namespace landscape
