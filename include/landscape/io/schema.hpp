// The results database schema (SQLite). One definition shared by the writer (`sample`), the
// exporter and the report generator; documented in README.md.
#pragma once

#include <string>

namespace landscape {

class Database;

/// Tables added after schema version 1 without changing the meaning of any other: a writer
/// creates them (CREATE … IF NOT EXISTS, also in an older database it adds a run to), readers
/// treat them as optional, since a database written before they existed lacks them.
inline constexpr const char* kAdditiveSchemaSql = R"SQL(
CREATE TABLE IF NOT EXISTS slices (
  cell_id   INTEGER NOT NULL,
  net_index INTEGER NOT NULL,
  direction TEXT NOT NULL,             -- witness (non-strict saddles) | min-eig (spurious minima)
  t         BLOB NOT NULL,             -- float64 steps t along the unit direction d
  losses    BLOB NOT NULL,             -- float64 L(w + t*d), the endpoint w at t = 0
  vector    BLOB NOT NULL,             -- float64 d, P numbers in parameter order
  PRIMARY KEY (cell_id, net_index, direction)
);
CREATE TABLE IF NOT EXISTS cell_seconds (
  cell_id         INTEGER PRIMARY KEY,
  seconds_train   REAL NOT NULL,       -- the cell's chunks: training (backend.train alone)
  seconds_analyze REAL NOT NULL,       -- Hessians and spectra
  seconds_decide  REAL NOT NULL,       -- classification, escape tests, finalization
  seconds_total   REAL NOT NULL        -- wall time of the cell; every sum is over the processes
);                                     -- that worked on it (resumes, shards, the merge)
)SQL";

/// True when `db` has the table `name`.
bool has_table(Database& db, const std::string& name);

/// True when the database holds no table at all (a new or empty file).
bool database_is_empty(Database& db);

/// Throws Error naming the file unless `db` is a landscape results database of kSchemaVersion
/// with every table and column of kSchemaSql: "not a landscape results database (why)" for
/// foreign and look-alike files, "schema version N, but this program …" for other versions.
void check_results_schema(Database& db);

/// Bumped whenever a table or column changes meaning or is added (a reader requires every
/// column). Version 2 added the tables cell_data and weights, the columns cells.data_seed,
/// cells.steps and cells.swept, and endpoints.escape_step, loss_drop, dynamics and certified.
/// Version 3 added endpoints.data_null_dim, and endpoints.excess_degeneracy (with the
/// certificate's margin in details) no longer counts those directions (docs/math.md §6), nor
/// does the escape test's null_space_dim in details (§7), so rows of the two versions never
/// share a file.
inline constexpr int kSchemaVersion = 3;

/// CREATE statements, idempotent. Conventions: every loss is L = ½‖F(W) − Y‖²_F; class names
/// are those of `to_string(PointClass)`; JSON columns hold UTF-8 JSON text; BLOB columns hold
/// little-endian float64 arrays.
inline constexpr const char* kSchemaSql = R"SQL(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  run_id          INTEGER PRIMARY KEY,
  config_text     TEXT NOT NULL,     -- the experiment file, verbatim
  config_hash     TEXT NOT NULL,     -- FNV-1a 64 of the canonical config, hex
  version         TEXT NOT NULL,     -- program version
  backend         TEXT NOT NULL,     -- cpu | cuda
  device          TEXT NOT NULL,
  started_at      TEXT NOT NULL,     -- ISO 8601 UTC
  finished_at     TEXT,              -- NULL until the run completes
  status          TEXT NOT NULL,     -- running | complete | interrupted | failed
  seconds_train   REAL NOT NULL DEFAULT 0,
  seconds_analyze REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS cells (
  cell_id          INTEGER PRIMARY KEY,
  run_id           INTEGER NOT NULL REFERENCES runs(run_id),
  cell_index       INTEGER NOT NULL,  -- position in the sweep grid, 0-based
  label            TEXT NOT NULL,     -- short human-readable description
  family           TEXT NOT NULL,     -- linear | leaky_relu
  dims             TEXT NOT NULL,     -- JSON array [d0, ..., dh]
  slope            REAL,              -- leaky ReLU alpha, NULL for linear
  n                INTEGER NOT NULL,
  x_rank           INTEGER NOT NULL,  -- 0 = full
  y_rank           INTEGER NOT NULL,  -- 0 = full
  y_kind           TEXT NOT NULL,     -- gaussian | teacher | csv
  noise            REAL NOT NULL,
  optimizer        TEXT NOT NULL,
  lr               REAL NOT NULL,
  precision        TEXT NOT NULL,     -- float32 | float64
  init_scale       REAL NOT NULL,
  networks         INTEGER NOT NULL,
  param_count      INTEGER NOT NULL,
  global_loss      REAL,              -- NULL until the cell completes (empirical optimum)
  global_loss_kind TEXT,              -- closed_form | empirical
  loss_scale       REAL NOT NULL,
  grad_rtol        REAL NOT NULL,
  loss_rtol        REAL NOT NULL,
  eig_rtol         REAL NOT NULL,
  prediction       TEXT,              -- JSON from the theory oracle, or NULL
  config_json      TEXT NOT NULL,     -- the cell's full settings
  status           TEXT NOT NULL,     -- pending | running | complete
  data_seed        INTEGER NOT NULL,  -- seed of the data draw (data.seed, else experiment.seed)
  steps            INTEGER NOT NULL,  -- training step budget (train.steps)
  swept            TEXT NOT NULL,     -- JSON object {name: value} of the swept variables, in
                                      -- grid order, e.g. {"dims":[5,3,3,5],"scale":0.1}; {} if none
  UNIQUE (run_id, cell_index)
);
CREATE TABLE IF NOT EXISTS endpoints (
  cell_id           INTEGER NOT NULL REFERENCES cells(cell_id),
  net_index         INTEGER NOT NULL,  -- network i of the cell, initialized from stream i
  seed              INTEGER NOT NULL,
  class             TEXT,              -- final class; NULL until the cell completes
  raw_class         TEXT,              -- second-order class before refinement/escape test
  class_tol_lo      TEXT,              -- final class with every tolerance x0.1
  class_tol_hi      TEXT,              -- final class with every tolerance x10
  loss              REAL,              -- float64 at the endpoint; NULL if non-finite
  grad_norm         REAL,
  lambda_min        REAL,
  lambda_max        REAL,
  n_negative        INTEGER,
  n_near_zero       INTEGER,
  n_negative_lo     INTEGER,           -- negative eigenvalues at eig tolerance x0.1
  n_negative_hi     INTEGER,           -- negative eigenvalues at eig tolerance x10
  eig_threshold     REAL,              -- |lambda| threshold used for n_negative / n_near_zero
  steps             INTEGER NOT NULL,
  train_status      TEXT NOT NULL,     -- converged | budget | diverged
  wall_time         REAL NOT NULL,     -- seconds of this network's chunk, per network
  kink_distance     REAL,              -- leaky ReLU only
  near_kink         INTEGER,           -- leaky ReLU: 1 when kink_distance < kink_tol (Hessian untrusted)
  orbit_dim         INTEGER,           -- symmetry orbit dimension (docs/math.md §6)
  excess_degeneracy INTEGER,           -- n_near_zero - orbit_dim - data_null_dim
  non_degenerate    INTEGER,           -- deep linear: rank(W_h...W_1) = min d_i (0/1)
  locally_open      INTEGER,           -- two-layer linear: N&R Thm 2 / Behrends verdict (0/1)
  details           TEXT,              -- JSON: refined, escape, symmetry, openness, dynamics, certificate
  escape_step       INTEGER,           -- first training step off the initial plateau; NULL: never left it
  loss_drop         REAL,              -- training loss at step 0 minus at the end
  dynamics          TEXT,              -- plateau | descending (out of budget, still falling) | settled
  certified         INTEGER,           -- global/spurious minimum certified by second order (0/1); NULL otherwise
  data_null_dim     INTEGER,           -- null directions from the data: rank[T|D] - orbit_dim (docs/math.md §6)
  PRIMARY KEY (cell_id, net_index)
);
CREATE TABLE IF NOT EXISTS candidates (
  cell_id   INTEGER NOT NULL,
  net_index INTEGER NOT NULL,
  weights   BLOB NOT NULL,             -- endpoint weights (parameter order) of PSD endpoints,
  PRIMARY KEY (cell_id, net_index)     -- kept for the escape test when the cell completes;
);                                     -- empty: the same as the endpoint's row in `weights`
CREATE TABLE IF NOT EXISTS cell_data (
  cell_id INTEGER PRIMARY KEY REFERENCES cells(cell_id),
  x       BLOB NOT NULL,               -- X, d0 x n row-major float64 (rows are features)
  y       BLOB NOT NULL                -- Y, dh x n row-major float64
);
CREATE TABLE IF NOT EXISTS weights (
  cell_id   INTEGER NOT NULL,
  net_index INTEGER NOT NULL,
  weights   BLOB NOT NULL,             -- the trained endpoint (before refinement), parameter
  PRIMARY KEY (cell_id, net_index)     -- order; every endpoint unless output.weights = false
);
CREATE TABLE IF NOT EXISTS spectra (
  cell_id     INTEGER NOT NULL,
  net_index   INTEGER NOT NULL,
  eigenvalues BLOB NOT NULL,           -- all P Hessian eigenvalues, ascending
  PRIMARY KEY (cell_id, net_index)
);
CREATE TABLE IF NOT EXISTS curves (
  cell_id   INTEGER NOT NULL,
  net_index INTEGER NOT NULL,
  every     INTEGER NOT NULL,          -- loss recorded every `every` steps, from step 0
  losses    BLOB NOT NULL,             -- float64 losses
  PRIMARY KEY (cell_id, net_index)
);
)SQL";

}  // namespace landscape
