// Recognizing a landscape results database: its meta table, schema version, tables and columns.
#include "landscape/io/schema.hpp"

#include <optional>
#include <set>

#include "landscape/core/common.hpp"
#include "landscape/io/sqlite.hpp"

namespace landscape {
namespace {

/// Column names of `table` in `db` (empty when there is no such table).
std::set<std::string> columns_of(Database& db, const std::string& table) {
  std::set<std::string> cols;
  Statement st(db, "SELECT name FROM pragma_table_info(?)");
  st.bind(table);
  while (st.step()) cols.insert(st.text(0));
  return cols;
}

}  // namespace

bool has_table(Database& db, const std::string& name) {
  Statement st(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(name);
  st.step();
  return st.int64(0) > 0;
}

bool database_is_empty(Database& db) {
  Statement st(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'");
  st.step();
  return st.int64(0) == 0;
}

void check_results_schema(Database& db) {
  const std::string not_ours = db.path() + ": not a landscape results database";
  std::optional<std::string> version;
  try {
    Statement st(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (st.step()) version = st.text(0);
  } catch (const Error&) {
    throw Error(not_ours + " (" + db.errmsg() + ")");
  }
  if (!version) throw Error(not_ours + " (no schema_version in table meta)");
  if (*version != std::to_string(kSchemaVersion))
    throw Error(db.path() + ": schema version " + *version +
                ", but this program reads and writes schema version " + std::to_string(kSchemaVersion));
  // Every table and column of the schema must be there: a look-alike file with tables of the
  // same names is refused here, not by the first query that needs a missing column.
  Database reference(":memory:", OpenMode::read_write);
  reference.exec(kSchemaSql);
  Statement tables(reference, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  while (tables.step()) {
    const std::string table = tables.text(0);
    const std::set<std::string> have = columns_of(db, table);
    if (have.empty()) throw Error(not_ours + " (no table '" + table + "')");
    for (const std::string& c : columns_of(reference, table))
      if (!have.count(c)) throw Error(not_ours + " (table '" + table + "' has no column '" + c + "')");
  }
  // Additive tables are optional, but one that is there must have every column.
  Database additive(":memory:", OpenMode::read_write);
  additive.exec(kAdditiveSchemaSql);
  Statement extra(additive, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  while (extra.step()) {
    const std::string table = extra.text(0);
    const std::set<std::string> have = columns_of(db, table);
    if (have.empty()) continue;
    for (const std::string& c : columns_of(additive, table))
      if (!have.count(c)) throw Error(not_ours + " (table '" + table + "' has no column '" + c + "')");
  }
}

}  // namespace landscape
