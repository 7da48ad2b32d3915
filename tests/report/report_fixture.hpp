// A small results database for the report tests: three runs (the newest has no endpoints), two
// cells with varied classes, unfinished endpoints, spectra, curves, predictions and a swept
// variable (data_seed).
#pragma once

#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "landscape/core/common.hpp"
#include "landscape/io/schema.hpp"

namespace landscape::testing {

/// Thin RAII wrapper for writing the fixture (read-write, creates the file).
class FixtureDb {
 public:
  explicit FixtureDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK)
      throw Error(path + ": cannot create fixture database");
  }
  ~FixtureDb() { sqlite3_close(m_db); }
  FixtureDb(const FixtureDb&) = delete;
  FixtureDb& operator=(const FixtureDb&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string why = err ? err : "?";
      sqlite3_free(err);
      throw Error("fixture: " + why + " in: " + sql.substr(0, 200));
    }
  }

  /// Runs `sql` with positional parameters: each is NULL, an integer, a real, text or a blob.
  struct Value {
    enum Kind { null, integer, real, text, blob } kind = null;
    std::int64_t i = 0;
    double d = 0;
    std::string s;
    std::vector<double> b;
    Value() = default;
    Value(int v) : kind(integer), i(v) {}
    Value(long v) : kind(integer), i(v) {}
    Value(long long v) : kind(integer), i(v) {}
    Value(double v) : kind(real), d(v) {}
    Value(const char* v) : kind(text), s(v) {}
    Value(std::string v) : kind(text), s(std::move(v)) {}
    Value(std::vector<double> v) : kind(blob), b(std::move(v)) {}
  };
  void run(const std::string& sql, const std::vector<Value>& params) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw Error(std::string("fixture: ") + sqlite3_errmsg(m_db));
    for (std::size_t k = 0; k < params.size(); ++k) {
      const int idx = int(k) + 1;
      const Value& v = params[k];
      switch (v.kind) {
        case Value::null:
          sqlite3_bind_null(st, idx);
          break;
        case Value::integer:
          sqlite3_bind_int64(st, idx, v.i);
          break;
        case Value::real:
          sqlite3_bind_double(st, idx, v.d);
          break;
        case Value::text:
          sqlite3_bind_text(st, idx, v.s.c_str(), -1, SQLITE_TRANSIENT);
          break;
        case Value::blob: {
          // Little-endian float64, as the schema specifies, independent of the host.
          std::vector<unsigned char> bytes(v.b.size() * 8);
          for (std::size_t j = 0; j < v.b.size(); ++j) {
            std::uint64_t u;
            std::memcpy(&u, &v.b[j], 8);
            for (int q = 0; q < 8; ++q) bytes[j * 8 + std::size_t(q)] = (u >> (8 * q)) & 0xFF;
          }
          sqlite3_bind_blob(st, idx, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
          break;
        }
      }
    }
    const int rc = sqlite3_step(st);
    const std::string why = sqlite3_errmsg(m_db);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) throw Error("fixture: " + why);
  }

 private:
  sqlite3* m_db = nullptr;
};

/// Creates the schema and meta (schema_version as given) and nothing else.
inline void make_empty_results_db(const std::string& path, const std::string& schema_version) {
  FixtureDb db(path);
  db.exec(kSchemaSql);
  db.run("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", {schema_version});
}

inline void insert_run(FixtureDb& db, int run_id, const std::string& hash,
                       const std::string& config_text) {
  db.run(
      "INSERT INTO runs(run_id, config_text, config_hash, version, backend, device, "
      "started_at, finished_at, status, seconds_train, seconds_analyze) VALUES "
      "(?, ?, ?, '0.1.0', 'cpu', 'CPU, 2 threads', '2024-05-01T12:00:00Z', "
      "'2024-05-01T12:03:20Z', 'complete', 150.0, 50.0)",
      {run_id, config_text, hash});
}

inline void insert_cell(FixtureDb& db, int cell_id, int run_id, int index, const std::string& label,
                        const std::string& family, const std::string& dims, FixtureDb::Value slope,
                        FixtureDb::Value global_loss, FixtureDb::Value prediction, int networks,
                        const std::string& swept = "{}") {
  db.run(
      "INSERT INTO cells(cell_id, run_id, cell_index, label, family, dims, slope, n, x_rank, "
      "y_rank, y_kind, noise, optimizer, lr, precision, init_scale, networks, param_count, "
      "global_loss, global_loss_kind, loss_scale, grad_rtol, loss_rtol, eig_rtol, prediction, "
      "config_json, status, data_seed, steps, swept) VALUES (?, ?, ?, ?, ?, ?, ?, 16, 0, 0, "
      "'gaussian', 0.0, 'gd', 0.001, 'float64', 1.0, ?, 10, ?, 'closed_form', 12.5, 1e-5, 1e-6, "
      "1e-6, ?, '{}', 'complete', 1, 5000, ?)",
      {cell_id, run_id, index, label, family, dims, slope, networks, global_loss, prediction,
       swept});
}

/// The fixture used by test_report.cpp and make_report_fixture.cpp (written to `path`, which
/// must not exist yet).
inline void make_report_fixture_db(const std::string& path) {
  make_empty_results_db(path, std::to_string(kSchemaVersion));
  FixtureDb db(path);
  db.exec("BEGIN");
  using V = FixtureDb::Value;
  const double inf = std::numeric_limits<double>::infinity();

  // Run 1: older, with endpoints; must be ignored in favour of run 2.
  insert_run(db, 1, "0000old0000hash", "# old run\n");
  insert_cell(db, 1, 1, 0, "old cell", "linear", "[2, 2]", V(), V(0.0), V(), 5);
  for (int i = 0; i < 5; ++i)
    db.run(
        "INSERT INTO endpoints(cell_id, net_index, seed, class, steps, train_status, "
        "wall_time, loss) VALUES (1, ?, 1, 'global_minimum', 100, 'converged', 0.01, 0.0)",
        {i});

  // Run 2: the run the report must show.
  insert_run(db, 2, "abc123def4567890",
             "[experiment]\nname = \"a<b>&c\"\nnetworks = 40\n# \"quoted\" & <tag>\n");
  insert_cell(db, 2, 2, 0, "two_layer, 50% & #1", "linear", "[3, 2, 2]", V(), V(1.5),
              V(R"({"statement": "every local minimum is global", "source": "N&R Thm 5", )"
                R"("forbids": ["spurious_local_minimum"]})"),
              40, R"({"data_seed":1})");
  insert_cell(db, 3, 2, 1, "deep_leaky {a}", "leaky_relu", "[4, 3, 3, 2]", V(0.1), V(0.0),
              V(R"({"statement": "no spurious minima", "source": "test oracle", )"
                R"("forbids": ["spurious_local_minimum", "non_strict_saddle"]})"),
              36, R"({"data_seed":2})");

  // A cell of run 2 that has not started: no endpoints at all.
  insert_cell(db, 5, 2, 2, "pending", "linear", "[2, 1]", V(), V(), V(), 20, R"({"data_seed":3})");

  // Cell 2: 26 global, 8 strict saddles, 2 degenerate, 2 not critical, 2 unfinished.
  for (int i = 0; i < 40; ++i) {
    V cls, lo, hi, loss, lmin, lmax, nneg, excess, open;
    if (i < 26) {
      cls = "global_minimum";
      lo = i < 2 ? "degenerate" : "global_minimum";
      hi = "global_minimum";
      loss = i == 0 ? 1.5 : i == 1 ? 1.5 - 1e-17 : 1.5 + std::pow(10.0, -(4 + i % 9));
      lmin = (i % 2 ? -1.0 : 1.0) * std::pow(10.0, -(10 + i % 4));
      lmax = 4.0 + 0.1 * i;
      nneg = 0;
      excess = 0;
      open = i % 5 == 0 ? V() : V(1);
    } else if (i < 34) {
      cls = "strict_saddle";
      lo = "strict_saddle";
      hi = i == 26 ? "degenerate" : "strict_saddle";
      loss = 1.8 + 0.01 * i;
      lmin = -0.5 * (1 + i % 3);
      lmax = 3.0;
      nneg = 1 + i % 2;
      open = 0;
    } else if (i < 36) {
      cls = "degenerate";
      lo = "degenerate";
      hi = "global_minimum";
      loss = 1.5 + 1e-3;
      lmin = 1e-9;
      lmax = 2.0;
      nneg = 0;
      excess = 1 + i % 2;
    } else if (i < 38) {
      cls = "not_critical";
      lo = "not_critical";
      hi = "not_critical";
      loss = 2.5;
      excess = -3;  // away from a critical point: left out of the histogram
    }
    db.run(
        "INSERT INTO endpoints(cell_id, net_index, seed, class, raw_class, class_tol_lo, "
        "class_tol_hi, loss, grad_norm, lambda_min, lambda_max, n_negative, n_near_zero, "
        "steps, train_status, wall_time, excess_degeneracy, locally_open) VALUES "
        "(2, ?, 7, ?, ?, ?, ?, ?, 1e-9, ?, ?, ?, 2, 5000, 'converged', 0.02, ?, ?)",
        {i, cls, cls, lo, hi, loss, lmin, lmax, nneg, excess, open});
  }
  // Dynamics and certificates of cell 2: networks 0–3 never left the plateau, 4 is still
  // descending, the others escaped at step 10·i; global minima 0–9 are certified.
  db.run("UPDATE endpoints SET dynamics = CASE WHEN net_index < 4 THEN 'plateau' WHEN net_index = 4 "
         "THEN 'descending' ELSE 'settled' END, escape_step = CASE WHEN net_index < 4 THEN NULL "
         "ELSE 10 * net_index END, certified = CASE WHEN class = 'global_minimum' THEN net_index < 10 "
         "END WHERE cell_id = 2", {});
  // Cell 3: 18 global, 6 strict, 3 non-strict, 2 spurious, 2 degenerate, 3 diverged, 2 not
  // critical; no spectra, curves including a non-finite and a zero loss.
  const std::vector<std::pair<const char*, int>> mix = {
      {"global_minimum", 18},   {"strict_saddle", 6},
      {"non_strict_saddle", 3}, {"spurious_local_minimum", 2},
      {"degenerate", 2},        {"diverged", 3},
      {"not_critical", 2}};
  int net = 0;
  for (const auto& [cls, count] : mix) {
    for (int j = 0; j < count; ++j, ++net) {
      const std::string c = cls;
      const bool div = c == "diverged";
      V loss = div ? V() : V(c == "global_minimum" ? std::pow(10.0, -(8 + j % 6)) : 0.2 + j);
      V lmin = div ? V() : V(c == "strict_saddle" ? -2.0 * (j + 1) : 1e-8 * (j + 1));
      V nneg = div ? V() : V(c == "strict_saddle" ? 1 + j % 3 : 0);
      db.run(
          "INSERT INTO endpoints(cell_id, net_index, seed, class, class_tol_lo, "
          "class_tol_hi, loss, lambda_min, lambda_max, n_negative, steps, train_status, "
          "wall_time) VALUES (3, ?, 9, ?, ?, ?, ?, ?, 50.0, ?, 8000, ?, 0.03)",
          {net, c, c, j == 0 && c == "degenerate" ? V("global_minimum") : V(c), loss, lmin, nneg,
           div ? "diverged" : "budget"});
    }
  }

  // Spectra for 8 networks of cell 2: zeros, rounding noise, negative and large eigenvalues.
  for (int i = 0; i < 8; ++i) {
    const int netidx = i < 5 ? i + 2 : 26 + i;
    std::vector<double> ev = {i < 5 ? 1e-13 * (i + 1) : -0.5 * (1 + i % 3),
                              -2e-14,
                              0.0,
                              1e-15,
                              3e-9 * (i + 1),
                              0.02 * (i + 1),
                              0.7,
                              1.3 + 0.1 * i,
                              4.0 + i,
                              120.0 + 3 * i};
    db.run("INSERT INTO spectra(cell_id, net_index, eigenvalues) VALUES (2, ?, ?)", {netidx, ev});
  }
  // Curves: cell 2 converges to L* = 1.5 (different lengths); cell 3 towards 0.
  for (int i = 0; i < 12; ++i) {
    std::vector<double> l;
    const int len = 30 + 2 * i;
    for (int k = 0; k < len; ++k)
      l.push_back(1.5 + (8.0 + i) * std::exp(-0.15 * k * (1 + 0.05 * i)));
    db.run("INSERT INTO curves(cell_id, net_index, every, losses) VALUES (2, ?, 10, ?)", {i, l});
  }
  for (int i = 0; i < 10; ++i) {
    std::vector<double> l;
    for (int k = 0; k < 60; ++k) l.push_back(20.0 * std::pow(0.7 + 0.01 * i, k));
    if (i == 3) l.back() = 0.0;
    if (i == 4) {
      l.resize(20);
      l.back() = inf;
    }
    db.run("INSERT INTO curves(cell_id, net_index, every, losses) VALUES (3, ?, 5, ?)", {i, l});
  }

  // Run 3: newest, but no endpoints yet; must be skipped.
  insert_run(db, 3, "ffffnewest", "# newest\n");
  insert_cell(db, 4, 3, 0, "pending cell", "linear", "[2, 2]", V(), V(), V(), 10);
  db.exec("COMMIT");
}

}  // namespace landscape::testing
