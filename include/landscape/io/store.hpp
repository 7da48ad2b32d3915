// The results database: an embedded SQLite file written in one transaction per chunk, so a run
// killed at any moment resumes with nothing lost and nothing twice.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "landscape/analysis/geometry.hpp"
#include "landscape/core/records.hpp"

namespace landscape {

class Database;

/// A run as stored.
struct StoredRun {
  long run_id = 0;
  std::string config_text, config_hash, status, backend, device, started_at, finished_at;
  double seconds_train = 0, seconds_analyze = 0;
};

/// A cell's times (table `cell_seconds`): its chunks' training, analysis and decision seconds
/// and its wall time, each summed over the processes that worked on it (a resume adds its own;
/// a merge, its shards' and its own finalization).
struct CellSeconds {
  double train = 0, analyze = 0, decide = 0, total = 0;
};

/// A cell's stored X and Y, as the raw bytes of their blobs.
struct CellDataBlobs {
  std::vector<unsigned char> x, y;
  bool operator==(const CellDataBlobs& o) const { return x == o.x && y == o.y; }
};

/// A cell as stored.
struct StoredCell {
  long cell_id = 0;
  int cell_index = 0;
  std::string label, status;
};

/// How a Store opens its file: to write (creating it), or to read an existing one.
enum class StoreMode { write, read };

/// Writer of one database file. Holds an exclusive advisory lock (flock on "<path>.lock") for
/// its lifetime, so a second writer is refused with a clear message instead of interleaving;
/// the kernel drops the lock when the process dies, SIGKILL included.
class Store {
 public:
  /// Opens or creates `path`, creating the schema; throws Error naming the path. With
  /// StoreMode::read: opens an existing database read-only (SQLITE_OPEN_READONLY), creating and
  /// changing nothing, under a shared lock where a lock file exists (refused while a writer
  /// holds it); only the reading methods may be used.
  explicit Store(const std::string& path, StoreMode mode = StoreMode::write);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return m_path; }

  std::optional<StoredRun> latest_run();
  long create_run(const std::string& config_text, const std::string& config_hash,
                  const std::string& backend, const std::string& device);
  void set_run_status(long run_id, const std::string& status);
  void add_run_seconds(long run_id, double train, double analyze);
  /// Adds `s` to the cell's row of `cell_seconds` (creating it).
  void add_cell_seconds(long cell_id, const CellSeconds& s);
  /// The cell's stored times; zeros where none were stored.
  CellSeconds cell_seconds(long cell_id);
  /// The cell's X and Y blobs from `cell_data`; nullopt when the cell has none.
  std::optional<CellDataBlobs> cell_data_blobs(long cell_id);

  /// Inserts the cell (label, swept values and settings) if it is not there yet; returns its id
  /// and status.
  StoredCell ensure_cell(long run_id, int cell_index, const std::string& label,
                         const std::vector<SweptValue>& swept, const CellContext& ctx,
                         const std::string& prediction_json);
  /// Network indices of the cell already stored.
  std::vector<long> stored_indices(long cell_id);
  /// One transaction: endpoints, candidate weights, spectra and curves of a chunk, with the
  /// chunk's times: `seconds` added to the cell's row of `cell_seconds` (its stages, and the wall
  /// time the chunk adds to the cell) and its training and analysis to run `run_id`'s. A run
  /// stopped or killed at any point has then stored the times of exactly the work it committed.
  void write_chunk(long cell_id, const CellContext& ctx, const ChunkResult& chunk, long run_id,
                   const CellSeconds& seconds);
  /// All endpoints of a cell (as written by write_chunk) and the candidates' weights.
  std::vector<EndpointRecord> load_cell(long cell_id, std::map<long, std::vector<double>>& candidates);
  /// One transaction: final classes and details of every endpoint, L*, status complete, and
  /// `seconds` (the finalization's) added to the cell's row of `cell_seconds`.
  void write_final(long cell_id, const GlobalOptimum& opt, const std::vector<EndpointRecord>& endpoints,
                   const std::string& prediction_json, const CellSeconds& seconds);
  /// A complete cell as write_final left it: every endpoint with its final classes and details
  /// (escape test included), the candidates' weights, L* and the theory's observations (the
  /// `prediction` JSON), read back without deciding anything again.
  struct FinalCell {
    std::vector<EndpointRecord> endpoints;
    std::map<long, std::vector<double>> candidates;
    GlobalOptimum optimum;
    std::string prediction_json;
  };
  FinalCell load_final_cell(long cell_id);

  /// A value of the `meta` table, or "" when the key is absent.
  std::string meta(const std::string& key);
  /// Sets a value of the `meta` table (e.g. `shard` = "I/N" for a shard's database).
  void set_meta(const std::string& key, const std::string& value);
  /// The cells of a run in grid order.
  std::vector<StoredCell> cells(long run_id);
  /// One transaction: every endpoint, candidate, spectrum, curve and weights row of cell
  /// `from_cell` of the database at `from_path` copied, column by column, into cell `to_cell` of
  /// this one, and its `cell_data` row (X and Y, byte for byte) in place of `to_cell`'s.
  void copy_cell_rows(const std::string& from_path, long from_cell, long to_cell);
  /// One transaction: 1-D loss slices of endpoints of the cell (table `slices`), replacing
  /// those stored before for the same endpoint and direction.
  void write_slices(long cell_id, const std::vector<std::pair<long, LineSlice>>& slices);

  /// Executes SQL with no result rows (throws on error).
  void exec(const std::string& sql);

 private:
  /// The cell's endpoints; `final`: with the classes and escape tests of its final record.
  std::vector<EndpointRecord> load_endpoints(long cell_id, std::map<long, std::vector<double>>& candidates,
                                             bool final);

  std::string m_path;
  std::unique_ptr<Database> m_db;
  int m_lock_fd = -1;
};

/// Canonical flattened form of an experiment file: "key = value" lines, sorted, leaving out the
/// keys that do not change results (experiment.backend, threads, chunk; output.*).
std::string canonical_config(const std::string& toml_text, const std::string& source);
/// FNV-1a 64 of the canonical config, as 16 hex digits.
std::string config_hash(const std::string& canonical);
/// Human-readable differences between two canonical configs ("key: old -> new" lines).
std::string config_diff(const std::string& old_canonical, const std::string& new_canonical);

/// One endpoint taken back out of a results database (`landscape point`, the Python package).
struct StoredEndpoint {
  long run_id = 0, cell_id = 0, net_index = 0;
  int cell_index = 0;
  std::string label, cell_status;  ///< the cell's label and status (complete once classified)
  /// Model, data (the cell's X and Y), the trained weights (before refinement), the cell's
  /// decision settings, and its L* where that was empirical (absent for a closed form, which a
  /// classification computes again, and for a cell not complete).
  Point point;
  std::optional<std::string> cls, raw_class;  ///< stored classes (NULL until the cell completes)
  std::string train_status;
  std::optional<double> global_loss;          ///< the cell's L*, either kind
  std::string global_loss_kind;
  bool weights_finite = true;                 ///< every stored weight finite
};

/// Reads network `net` of the cell at `cell_index` of run `run_id` (0: the newest run that has
/// such a cell) from `db_path`, opened read-only. Errors name the database and what is missing
/// (no such run, cell or network; no weights because the run had output.weights = false).
StoredEndpoint read_stored_endpoint(const std::string& db_path, long run_id, int cell_index, long net);

/// `landscape export`: every endpoint joined with its cell, as CSV or JSON text.
std::string export_database(const std::string& db_path, bool as_json);

/// Current UTC time, ISO 8601.
std::string utc_now();

}  // namespace landscape
