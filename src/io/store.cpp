// SQLite results database: schema, chunked transactional writes, resume support, export.
#include "landscape/io/store.hpp"

#include <algorithm>
#include <filesystem>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/output.hpp"
#include "landscape/io/schema.hpp"
#include "landscape/io/sqlite.hpp"

namespace landscape {
namespace {

using json = nlohmann::json;

void flatten(const toml::table& t, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (const auto& [k, v] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* sub = v.as_table()) {
      flatten(*sub, key, out);
      continue;
    }
    std::ostringstream os;
    if (const toml::array* a = v.as_array()) os << *a;
    else if (auto s = v.value_exact<std::string>()) os << '"' << *s << '"';
    else if (auto i = v.value_exact<std::int64_t>()) os << *i;
    else if (auto d = v.value_exact<double>()) {
      os.precision(17);
      os << *d;
    } else if (auto b = v.value_exact<bool>()) os << (*b ? "true" : "false");
    else v.visit([&](const auto& x) { os << x; });
    out[key] = os.str();
  }
}

std::map<std::string, std::string> parse_canonical(const std::string& c) {
  std::map<std::string, std::string> m;
  std::istringstream in(c);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find(" = ");
    if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return m;
}

}  // namespace

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string canonical_config(const std::string& toml_text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    throw Error(source + ": TOML syntax error: " + std::string(e.description()));
  }
  std::map<std::string, std::string> flat;
  flatten(root, "", flat);
  std::ostringstream os;
  for (const auto& [k, v] : flat) {
    if (k == "experiment.backend" || k == "experiment.threads" || k == "experiment.chunk" ||
        k.rfind("output.dir", 0) == 0 || k == "output.db")
      continue;
    os << k << " = " << v << "\n";
  }
  return os.str();
}

std::string config_hash(const std::string& canonical) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : canonical) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string config_diff(const std::string& old_canonical, const std::string& new_canonical) {
  const auto a = parse_canonical(old_canonical), b = parse_canonical(new_canonical);
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  std::ostringstream os;
  for (const auto& k : keys) {
    const auto ia = a.find(k), ib = b.find(k);
    const std::string va = ia == a.end() ? "(default)" : ia->second;
    const std::string vb = ib == b.end() ? "(default)" : ib->second;
    if (va != vb) os << "  " << k << ": " << va << " -> " << vb << "\n";
  }
  return os.str();
}

Store::Store(const std::string& path, StoreMode mode) : m_path(path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // The lock belongs to the file, not to the name it was reached by: a symlink (or a relative
  // path) to the same database must find the same lock.
  const fs::path real = fs::weakly_canonical(path, ec);
  const std::string lock = (ec ? path : real.string()) + ".lock";
  if (mode == StoreMode::read) {
    // A shared lock on the lock file where there is one (a writer holds it exclusively);
    // nothing is created, not even the lock file.
    m_lock_fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    if (m_lock_fd >= 0 && ::flock(m_lock_fd, LOCK_SH | LOCK_NB) != 0) {
      ::close(m_lock_fd);
      m_lock_fd = -1;
      throw Error(path + ": database is being written by another landscape process; wait for it to finish");
    }
    try {
      m_db = std::make_unique<Database>(path, OpenMode::read_only, 10000);
      check_results_schema(*m_db);
    } catch (...) {
      m_db.reset();
      if (m_lock_fd >= 0) ::close(m_lock_fd);
      m_lock_fd = -1;
      throw;
    }
    return;
  }
  // Whether this call made the lock file (O_EXCL tells), so a failure removes only that.
  m_lock_fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  const bool lock_existed = m_lock_fd < 0 && errno == EEXIST;
  if (lock_existed) m_lock_fd = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
  if (m_lock_fd < 0) throw Error(lock + ": cannot open lock file: " + std::strerror(errno));
  if (::flock(m_lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(m_lock_fd);
    m_lock_fd = -1;
    throw Error(path + ": database is being written by another landscape process; wait for it "
                       "to finish or choose another --db");
  }
  // Sampled under the lock: a writer that held it may have created the file meanwhile.
  const bool db_existed = fs::exists(fs::symlink_status(path, ec));  // a dangling link counts
  try {
    m_db = std::make_unique<Database>(path, OpenMode::read_write, 10000);
    exec("PRAGMA foreign_keys = ON");
    // A file that holds tables must already be a landscape database of this version: another
    // program's database is never adopted (our tables would be added beside its own).
    if (database_is_empty(*m_db)) {
      // Tables and version in one transaction: a kill in between must not leave a file that
      // has tables but no version (refused ever after as not a landscape database).
      Transaction create(*m_db, TransactionKind::immediate);
      exec(kSchemaSql);
      Statement ins(*m_db, "INSERT INTO meta(key, value) VALUES ('schema_version', ?), ('program', 'landscape')");
      ins.bind(std::to_string(kSchemaVersion)).run();
      create.commit();
    } else {
      check_results_schema(*m_db);
    }
    exec(kAdditiveSchemaSql);
  } catch (...) {
    // Leave nothing behind that this call created: a database file it made and its lock.
    m_db.reset();
    if (!db_existed) fs::remove(path, ec);
    if (!lock_existed) fs::remove(lock, ec);
    ::close(m_lock_fd);
    m_lock_fd = -1;
    throw;
  }
}

Store::~Store() {
  m_db.reset();
  if (m_lock_fd >= 0) ::close(m_lock_fd);
}

void Store::exec(const std::string& sql) { m_db->exec(sql); }

std::optional<StoredRun> Store::latest_run() {
  Statement q(*m_db, "SELECT run_id, config_text, config_hash, status, backend, device, started_at, "
               "COALESCE(finished_at, ''), seconds_train, seconds_analyze FROM runs ORDER BY run_id DESC LIMIT 1");
  if (!q.step()) return std::nullopt;
  StoredRun r;
  r.run_id = long(q.int64(0));
  r.config_text = q.text(1);
  r.config_hash = q.text(2);
  r.status = q.text(3);
  r.backend = q.text(4);
  r.device = q.text(5);
  r.started_at = q.text(6);
  r.finished_at = q.text(7);
  r.seconds_train = q.real(8);
  r.seconds_analyze = q.real(9);
  return r;
}

long Store::create_run(const std::string& config_text, const std::string& hash,
                       const std::string& backend, const std::string& device) {
  Statement q(*m_db, "INSERT INTO runs(config_text, config_hash, version, backend, device, started_at, status) "
               "VALUES (?, ?, ?, ?, ?, ?, 'running')");
  q.bind(config_text).bind(hash).bind(LANDSCAPE_VERSION).bind(backend).bind(device).bind(utc_now()).run();
  return long(m_db->last_insert_rowid());
}

void Store::set_run_status(long run_id, const std::string& status) {
  Statement q(*m_db, "UPDATE runs SET status = ?, finished_at = CASE WHEN ? = 'complete' THEN ? ELSE finished_at END "
               "WHERE run_id = ?");
  q.bind(status).bind(status).bind(utc_now()).bind(run_id).run();
}

namespace {

/// The SQLite URI that opens the file at `path` read-only ("file:/abs/path?mode=ro"), with the
/// characters a URI path may not hold percent-encoded.
std::string read_only_uri(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(path, ec);
  const std::string p = ec ? path : abs.string();
  std::string uri = "file:";
  for (const unsigned char ch : p) {
    if (std::isalnum(ch) || ch == '/' || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      uri += char(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      uri += buf;
    }
  }
  return uri + "?mode=ro";
}

/// Adds `t` to the cell's row of `cell_seconds` (creating it), inside the caller's transaction.
void add_cell_seconds_row(Database& db, long cell_id, const CellSeconds& t) {
  Statement q(db, "INSERT INTO cell_seconds(cell_id, seconds_train, seconds_analyze, seconds_decide, seconds_total) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT(cell_id) DO UPDATE SET "
                     "seconds_train = seconds_train + excluded.seconds_train, "
                     "seconds_analyze = seconds_analyze + excluded.seconds_analyze, "
                     "seconds_decide = seconds_decide + excluded.seconds_decide, "
                     "seconds_total = seconds_total + excluded.seconds_total");
  q.bind(cell_id).bind(t.train).bind(t.analyze).bind(t.decide).bind(t.total).run();
}

/// Adds to the run's training and analysis seconds, inside the caller's transaction.
void add_run_seconds_row(Database& db, long run_id, double train, double analyze) {
  Statement q(db, "UPDATE runs SET seconds_train = seconds_train + ?, seconds_analyze = seconds_analyze + ? "
                  "WHERE run_id = ?");
  q.bind(train).bind(analyze).bind(run_id).run();
}

}  // namespace

void Store::add_run_seconds(long run_id, double train, double analyze) {
  add_run_seconds_row(*m_db, run_id, train, analyze);
}

void Store::add_cell_seconds(long cell_id, const CellSeconds& t) { add_cell_seconds_row(*m_db, cell_id, t); }

CellSeconds Store::cell_seconds(long cell_id) {
  CellSeconds t;
  if (!has_table(*m_db, "cell_seconds")) return t;  // a file opened read-only from before the table
  Statement q(*m_db, "SELECT seconds_train, seconds_analyze, seconds_decide, seconds_total FROM cell_seconds "
                     "WHERE cell_id = ?");
  q.bind(cell_id);
  if (q.step()) t = {q.real(0), q.real(1), q.real(2), q.real(3)};
  return t;
}

std::optional<CellDataBlobs> Store::cell_data_blobs(long cell_id) {
  Statement q(*m_db, "SELECT x, y FROM cell_data WHERE cell_id = ?");
  q.bind(cell_id);
  if (!q.step()) return std::nullopt;
  return CellDataBlobs{q.blob(0), q.blob(1)};
}

StoredCell Store::ensure_cell(long run_id, int cell_index, const std::string& label,
                              const std::vector<SweptValue>& swept, const CellContext& ctx,
                              const std::string& prediction_json) {
  {
    Statement q(*m_db, "SELECT cell_id, status FROM cells WHERE run_id = ? AND cell_index = ?");
    q.bind(run_id).bind(cell_index);
    if (q.step()) return {long(q.int64(0)), cell_index, label, q.text(1)};
  }
  // The cell's row and its data in one transaction: a run killed between them would leave a cell
  // that --resume finds (and keeps) without the X and Y its endpoints are read back with.
  Transaction tx(*m_db, TransactionKind::immediate);
  const ExperimentConfig& c = ctx.cfg;
  json dims = c.model.dims;
  json cfg = {{"family", to_string(c.model.family)}, {"dims", c.model.dims}, {"networks", c.networks},
              {"seed", c.seed}, {"data_seed", data_seed(c)}, {"n", ctx.data.n}, {"x_rank", c.data.x_rank}, {"y_rank", c.data.y_rank},
              {"noise", c.data.noise}, {"optimizer", c.train.optimizer}, {"lr", c.train.lr},
              {"steps", c.train.steps}, {"precision", to_string(c.train.precision)},
              {"init_scale", c.init.effective_scale()}, {"grad_tol_train", c.train.grad_tol},
              {"kink_rtol", c.decide.tol.kink}, {"rank_rtol", c.decide.rank_tol},
              {"refine", c.decide.refine.enabled}};
  if (c.model.family == Family::leaky_relu) cfg["slope"] = c.model.slope;
  cfg["decide"] = decide_settings_to_json(c.decide);
  cfg["store_weights"] = c.output.weights;
  const std::string ykind = to_string(c.data.y);
  Statement q(*m_db, "INSERT INTO cells(run_id, cell_index, label, family, dims, slope, n, x_rank, y_rank, y_kind, "
               "noise, optimizer, lr, precision, init_scale, networks, param_count, loss_scale, grad_rtol, "
               "loss_rtol, eig_rtol, prediction, config_json, status, data_seed, steps, swept) "
               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'running',?,?,?)");
  q.bind(run_id).bind(cell_index).bind(label).bind(to_string(c.model.family)).bind(dims.dump());
  if (c.model.family == Family::leaky_relu) q.bind(c.model.slope);
  else q.bind_null();
  q.bind(ctx.data.n).bind(c.data.x_rank).bind(c.data.y_rank).bind(ykind).bind(c.data.noise)
      .bind(c.train.optimizer).bind(c.train.lr).bind(to_string(c.train.precision))
      .bind(c.init.effective_scale()).bind(c.networks).bind(long(c.model.param_count()))
      .bind(ctx.loss_scale).bind(c.decide.tol.grad).bind(c.decide.tol.loss).bind(c.decide.tol.eig);
  if (prediction_json.empty()) q.bind_null();
  else q.bind(prediction_json);
  q.bind(cfg.dump()).bind(static_cast<long long>(data_seed(c))).bind(c.train.steps)
      .bind(dump_swept(swept)).run();
  const long cell_id = long(m_db->last_insert_rowid());
  Statement data(*m_db, "INSERT INTO cell_data(cell_id, x, y) VALUES (?, ?, ?)");
  data.bind(cell_id).bind_doubles(ctx.data.X.data(), ctx.data.X.size())
      .bind_doubles(ctx.data.Y.data(), ctx.data.Y.size()).run();
  tx.commit();
  return {cell_id, cell_index, label, "running"};
}

std::vector<long> Store::stored_indices(long cell_id) {
  Statement q(*m_db, "SELECT net_index FROM endpoints WHERE cell_id = ? ORDER BY net_index");
  q.bind(cell_id);
  std::vector<long> out;
  while (q.step()) out.push_back(long(q.int64(0)));
  return out;
}

void Store::write_chunk(long cell_id, const CellContext& ctx, const ChunkResult& chunk, long run_id,
                        const CellSeconds& seconds) {
  Transaction tx(*m_db, TransactionKind::immediate);
  Statement ins(*m_db, "INSERT INTO endpoints(cell_id, net_index, seed, loss, grad_norm, lambda_min, lambda_max, "
                 "n_negative, n_near_zero, n_negative_lo, n_negative_hi, eig_threshold, steps, train_status, "
                 "wall_time, kink_distance, near_kink, orbit_dim, excess_degeneracy, non_degenerate, "
                 "locally_open, details, escape_step, loss_drop, dynamics, data_null_dim) "
                 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  Statement spec(*m_db, "INSERT INTO spectra(cell_id, net_index, eigenvalues) VALUES (?,?,?)");
  Statement cand(*m_db, "INSERT INTO candidates(cell_id, net_index, weights) VALUES (?,?,?)");
  Statement curve(*m_db, "INSERT INTO curves(cell_id, net_index, every, losses) VALUES (?,?,?,?)");
  for (std::size_t i = 0; i < chunk.endpoints.size(); ++i) {
    const EndpointRecord& e = chunk.endpoints[i];
    ins.bind(cell_id).bind(e.index).bind(static_cast<long long>(ctx.cfg.seed));
    if (e.finite) {
      const SpectrumSummary& s = e.nominal_spectrum();
      ins.bind(e.loss).bind(e.grad_norm).bind(s.lambda_min).bind(s.lambda_max).bind(s.n_negative)
          .bind(s.n_near_zero).bind(e.spectrum[kTolLo].n_negative).bind(e.spectrum[kTolHi].n_negative)
          .bind(s.eig_threshold);
    } else {
      for (int k = 0; k < 9; ++k) ins.bind_null();
    }
    ins.bind(e.steps).bind(to_string(e.train_status)).bind(e.wall_time);
    if (e.finite && std::isfinite(e.kink_distance)) ins.bind(e.kink_distance).bind(int(e.near_kink));
    else ins.bind_null().bind_null();
    if (e.symmetry) ins.bind(e.symmetry->orbit_dim).bind(e.symmetry->excess);
    else ins.bind_null().bind_null();
    if (e.openness) ins.bind(e.openness->non_degenerate).bind(e.openness->locally_open);
    else ins.bind_null().bind_null();
    ins.bind(dump_details(e));
    if (e.dynamics && e.dynamics->escape_step >= 0) ins.bind(e.dynamics->escape_step);
    else ins.bind_null();
    if (e.dynamics && std::isfinite(e.dynamics->loss_drop)) ins.bind(e.dynamics->loss_drop);
    else ins.bind_null();
    if (e.dynamics) ins.bind(e.dynamics->label());
    else ins.bind_null();
    if (e.symmetry) ins.bind(e.symmetry->data_null_dim);
    else ins.bind_null();
    ins.run();
    if (!e.eigenvalues.empty()) spec.bind(cell_id).bind(e.index).bind_doubles(e.eigenvalues.data(), e.eigenvalues.size()).run();
    if (chunk.curve_len > 0)
      curve.bind(cell_id).bind(e.index).bind(chunk.curve_every)
          .bind_doubles(chunk.curves.data() + i * std::size_t(chunk.curve_len), std::size_t(chunk.curve_len)).run();
  }
  // Every endpoint's weights as trained; a candidate's weights are stored again only where
  // refinement moved them (an empty blob stands for the row in `weights`).
  const bool store_weights = ctx.cfg.output.weights;
  const std::size_t P = ctx.cfg.model.param_count();
  std::map<long, const double*> trained;
  if (store_weights) {
    require(chunk.weights.size() == chunk.endpoints.size() * P, m_path, "a chunk's weights are missing");
    Statement wts(*m_db, "INSERT INTO weights(cell_id, net_index, weights) VALUES (?,?,?)");
    for (std::size_t i = 0; i < chunk.endpoints.size(); ++i) {
      const double* w = chunk.weights.data() + i * P;
      trained[chunk.endpoints[i].index] = w;
      wts.bind(cell_id).bind(chunk.endpoints[i].index).bind_doubles(w, P).run();
    }
  }
  for (const auto& [idx, w] : chunk.candidates) {
    const auto it = trained.find(idx);
    const bool same = it != trained.end() && w.size() == P &&
                      std::equal(w.begin(), w.end(), it->second);
    cand.bind(cell_id).bind(idx);
    if (same) cand.bind_blob("", 0).run();
    else cand.bind_doubles(w.data(), w.size()).run();
  }
  add_cell_seconds_row(*m_db, cell_id, seconds);
  add_run_seconds_row(*m_db, run_id, seconds.train, seconds.analyze);
  tx.commit();
}

std::vector<EndpointRecord> Store::load_cell(long cell_id, std::map<long, std::vector<double>>& candidates) {
  return load_endpoints(cell_id, candidates, false);
}

std::vector<EndpointRecord> Store::load_endpoints(long cell_id, std::map<long, std::vector<double>>& candidates,
                                                  bool final) {
  std::vector<EndpointRecord> out;
  Statement q(*m_db, "SELECT net_index, loss, grad_norm, lambda_min, lambda_max, n_negative, n_near_zero, "
               "n_negative_lo, n_negative_hi, eig_threshold, steps, train_status, wall_time, kink_distance, "
               "near_kink, details, class, raw_class, class_tol_lo, class_tol_hi FROM endpoints "
               "WHERE cell_id = ? ORDER BY net_index");
  q.bind(cell_id);
  while (q.step()) {
    EndpointRecord e;
    e.index = long(q.int64(0));
    e.finite = !q.is_null(1);
    e.loss = q.real_or(1, NAN);
    e.grad_norm = q.real_or(2, NAN);
    if (e.finite) {
      const double thr = q.real_or(9, NAN);
      for (int l = 0; l < 3; ++l) {
        SpectrumSummary& s = e.spectrum[std::size_t(l)];
        s.lambda_min = q.real_or(3, NAN);
        s.lambda_max = q.real_or(4, NAN);
        s.eig_threshold = thr * kTolFactor[l];
        s.n_negative = int(q.int64(l == 0 ? 7 : l == 1 ? 5 : 8));
      }
      e.spectrum[kTolNominal].n_near_zero = int(q.int64(6));
    }
    e.steps = long(q.int64(10));
    e.train_status = parse_train_status(q.text(11));
    e.wall_time = q.real_or(12, NAN);
    e.kink_distance = q.is_null(13) ? std::numeric_limits<double>::infinity() : q.real_or(13, NAN);
    e.near_kink = !q.is_null(14) && q.int64(14) != 0;
    parse_details(q.text(15), e);
    if (final) {
      // The classes write_final stored (the nominal one is the final class).
      e.cls = parse_point_class(q.text(16));
      e.raw_class = parse_point_class(q.text(17));
      e.cls_by_tol = {parse_point_class(q.text(18)), e.cls, parse_point_class(q.text(19))};
    } else {
      // The escape test is run again by the final pass; an earlier pass's verdict is not carried.
      e.escape.reset();
    }
    out.push_back(std::move(e));
  }
  Statement c(*m_db, "SELECT c.net_index, CASE WHEN length(c.weights) = 0 THEN w.weights ELSE c.weights END "
                     "FROM candidates c LEFT JOIN weights w USING (cell_id, net_index) WHERE c.cell_id = ?");
  c.bind(cell_id);
  while (c.step()) candidates[long(c.int64(0))] = c.doubles(1).value_or(std::vector<double>());
  return out;
}

void Store::write_final(long cell_id, const GlobalOptimum& opt, const std::vector<EndpointRecord>& endpoints,
                        const std::string& prediction_json, const CellSeconds& seconds) {
  Transaction tx(*m_db, TransactionKind::immediate);
  Statement up(*m_db, "UPDATE endpoints SET class = ?, raw_class = ?, class_tol_lo = ?, class_tol_hi = ?, "
                "details = ?, certified = ? WHERE cell_id = ? AND net_index = ?");
  for (const auto& e : endpoints) {
    up.bind(to_string(e.cls)).bind(to_string(e.raw_class)).bind(to_string(e.cls_by_tol[kTolLo]))
        .bind(to_string(e.cls_by_tol[kTolHi])).bind(dump_details(e));
    up.bind(e.minimum ? std::optional<bool>(e.minimum->certified()) : std::nullopt);
    up.bind(cell_id).bind(e.index).run();
  }
  Statement cell(*m_db, "UPDATE cells SET global_loss = ?, global_loss_kind = ?, prediction = ?, status = 'complete' "
                  "WHERE cell_id = ?");
  cell.bind(opt.value).bind(opt.kind);
  if (prediction_json.empty()) cell.bind_null();
  else cell.bind(prediction_json);
  cell.bind(cell_id).run();
  add_cell_seconds_row(*m_db, cell_id, seconds);
  tx.commit();
}

Store::FinalCell Store::load_final_cell(long cell_id) {
  FinalCell f;
  {
    Statement q(*m_db, "SELECT status, global_loss, global_loss_kind, prediction FROM cells WHERE cell_id = ?");
    q.bind(cell_id);
    require(q.step(), m_path, "no cell " + std::to_string(cell_id));
    require(q.text(0) == "complete", m_path, "cell " + std::to_string(cell_id) + " is not complete");
    f.optimum.value = q.real_or(1, NAN);
    f.optimum.kind = q.text(2);
    f.prediction_json = q.is_null(3) ? std::string() : q.text(3);
  }
  f.endpoints = load_endpoints(cell_id, f.candidates, true);
  return f;
}

StoredEndpoint read_stored_endpoint(const std::string& db_path, long run_id, int cell_index, long net) {
  if (::access(db_path.c_str(), R_OK) != 0) throw Error(db_path + ": cannot read database: " + std::strerror(errno));
  Database db(db_path, OpenMode::read_only, 10000);
  check_results_schema(db);
  StoredEndpoint s;
  s.cell_index = cell_index;
  s.net_index = net;
  const std::string run_text = run_id > 0 ? "run " + std::to_string(run_id) : "any run";
  if (run_id > 0) {
    Statement r(db, "SELECT COUNT(*) FROM runs WHERE run_id = ?");
    r.bind(run_id);
    r.step();
    require(r.int64(0) > 0, db_path, "no run " + std::to_string(run_id));
  }
  Statement c(db, "SELECT c.cell_id, c.run_id, c.label, c.family, c.dims, c.slope, c.n, c.global_loss, "
                  "c.global_loss_kind, c.config_json, c.status, d.x, d.y FROM cells c "
                  "LEFT JOIN cell_data d USING (cell_id) WHERE c.cell_index = ? AND (? = 0 OR c.run_id = ?) "
                  "ORDER BY c.run_id DESC LIMIT 1");
  c.bind(cell_index).bind(run_id).bind(run_id);
  require(c.step(), db_path, "no cell " + std::to_string(cell_index) + " in " + run_text);
  s.cell_id = long(c.int64(0));
  s.run_id = long(c.int64(1));
  s.label = c.text(2);
  s.cell_status = c.text(10);
  const std::string where = db_path + " [run " + std::to_string(s.run_id) + ", cell " +
                            std::to_string(cell_index) + ", network " + std::to_string(net) + "]";
  Point& p = s.point;
  p.source = where;
  p.model.family = parse_family(c.text(3), where + ": cells.family");
  p.model.dims = json::parse(c.text(4)).get<std::vector<int>>();
  if (p.model.family == Family::leaky_relu) p.model.slope = c.real(5);
  p.model.validate(where + ": cells");
  p.data.d0 = p.model.dims.front();
  p.data.dh = p.model.dims.back();
  p.data.n = int(c.int64(6));
  s.global_loss = c.opt_real(7);
  s.global_loss_kind = c.text(8);
  const json cfg = json::parse(c.text(9));
  if (cfg.contains("decide")) p.settings = decide_settings_from_json(cfg["decide"], where + ": cells.config_json.decide");
  if (s.global_loss_kind == "empirical" && s.global_loss) p.global_loss = s.global_loss;
  const auto x = c.doubles(11), y = c.doubles(12);
  require(x && y && x->size() == std::size_t(p.data.d0) * std::size_t(p.data.n) &&
              y->size() == std::size_t(p.data.dh) * std::size_t(p.data.n),
          where, "the cell's data X and Y are not stored (or not of its dims and n)");
  p.data.X = *x;
  p.data.Y = *y;

  Statement e(db, "SELECT e.class, e.raw_class, e.train_status, w.weights, "
                  "json_extract(c.config_json, '$.store_weights') FROM endpoints e "
                  "JOIN cells c USING (cell_id) LEFT JOIN weights w USING (cell_id, net_index) "
                  "WHERE e.cell_id = ? AND e.net_index = ?");
  e.bind(s.cell_id).bind(net);
  require(e.step(), db_path, "no network " + std::to_string(net) + " in cell " + std::to_string(cell_index) +
                                 " of run " + std::to_string(s.run_id) + " (" + s.label + ")");
  s.cls = e.opt_text(0);
  s.raw_class = e.opt_text(1);
  s.train_status = e.text(2);
  require(!e.is_null(3), where,
          e.opt_int64(4).value_or(1) == 0
              ? "no weights stored: the run had output.weights = false"
              : "no weights stored for this endpoint");
  p.weights = e.doubles(3).value_or(std::vector<double>());
  require(p.weights.size() == p.model.param_count(), where, "stored weights are not of the cell's dims");
  for (double w : p.weights) s.weights_finite = s.weights_finite && std::isfinite(w);
  return s;
}

std::string Store::meta(const std::string& key) {
  Statement q(*m_db, "SELECT value FROM meta WHERE key = ?");
  q.bind(key);
  return q.step() ? q.text(0) : std::string();
}

void Store::set_meta(const std::string& key, const std::string& value) {
  Statement q(*m_db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)");
  q.bind(key).bind(value).run();
}

std::vector<StoredCell> Store::cells(long run_id) {
  Statement q(*m_db, "SELECT cell_id, cell_index, label, status FROM cells WHERE run_id = ? ORDER BY cell_index");
  q.bind(run_id);
  std::vector<StoredCell> out;
  while (q.step()) out.push_back({long(q.int64(0)), int(q.int64(1)), q.text(2), q.text(3)});
  return out;
}

void Store::copy_cell_rows(const std::string& from_path, long from_cell, long to_cell) {
  // ATTACH cannot run inside a transaction: attach (read-only: the shard is never written),
  // copy in one transaction, detach.
  {
    Statement at(*m_db, "ATTACH DATABASE ? AS shard");
    at.bind(read_only_uri(from_path)).run();
  }
  try {
    Transaction tx(*m_db, TransactionKind::immediate);
    for (const char* table : {"endpoints", "candidates", "spectra", "curves", "weights"}) {
      // Every column but cell_id, in the schema's order, read from the attached file.
      std::vector<std::string> cols;
      {
        Statement info(*m_db, std::string("SELECT name FROM pragma_table_info('") + table + "') ORDER BY cid");
        while (info.step()) cols.push_back(info.text(0));
      }
      std::string list, select;
      for (const auto& c : cols) {
        list += (list.empty() ? "" : ", ") + c;
        select += (select.empty() ? "" : ", ") + (c == "cell_id" ? std::string("?1") : c);
      }
      Statement copy(*m_db, std::string("INSERT INTO main.") + table + "(" + list + ") SELECT " + select +
                                " FROM shard." + table + " WHERE cell_id = ?2");
      copy.bind(to_cell).bind(from_cell).run();
    }
    // The cell's X and Y as the shard stored them, byte for byte (not rebuilt from the config).
    Statement data(*m_db, "INSERT OR REPLACE INTO main.cell_data(cell_id, x, y) SELECT ?1, x, y FROM shard.cell_data "
                          "WHERE cell_id = ?2");
    data.bind(to_cell).bind(from_cell).run();
    tx.commit();
  } catch (...) {
    try {
      exec("DETACH DATABASE shard");
    } catch (...) {
    }
    throw;
  }
  exec("DETACH DATABASE shard");
}

namespace {

/// The swept values of every cell that has endpoints, and the union of their names in order of
/// first appearance: `export` writes one column per name.
struct ExportSweep {
  std::map<long long, std::vector<SweptValue>> by_cell;
  std::vector<std::string> names;
};

ExportSweep export_sweep(Database& db) {
  ExportSweep s;
  Statement q(db, "SELECT c.cell_id, c.swept FROM cells c WHERE EXISTS "
                  "(SELECT 1 FROM endpoints e WHERE e.cell_id = c.cell_id) ORDER BY c.run_id, c.cell_index");
  while (q.step()) {
    std::vector<SweptValue> values;
    try {
      values = parse_swept(q.text(1));
    } catch (const std::exception& e) {
      throw Error(db.path() + ": cells.swept of cell " + std::to_string(q.int64(0)) + " is not valid (" +
                  e.what() + ")");
    }
    for (const SweptValue& v : values)
      if (std::find(s.names.begin(), s.names.end(), v.name) == s.names.end()) s.names.push_back(v.name);
    s.by_cell[q.int64(0)] = std::move(values);
  }
  return s;
}

}  // namespace

void Store::write_slices(long cell_id, const std::vector<std::pair<long, LineSlice>>& slices) {
  if (slices.empty()) return;
  Transaction tx(*m_db, TransactionKind::immediate);
  Statement ins(*m_db, "INSERT OR REPLACE INTO slices(cell_id, net_index, direction, t, losses, vector) "
                       "VALUES (?, ?, ?, ?, ?, ?)");
  for (const auto& [index, s] : slices)
    ins.bind(cell_id).bind(index).bind(s.direction).bind_doubles(s.t.data(), s.t.size())
        .bind_doubles(s.loss.data(), s.loss.size()).bind_doubles(s.vector.data(), s.vector.size()).run();
  tx.commit();
}

std::string export_database(const std::string& db_path, bool as_json) {
  if (::access(db_path.c_str(), R_OK) != 0) throw Error(db_path + ": cannot read database: " + std::strerror(errno));
  // A writer may be committing a chunk: wait for it rather than fail with "database is locked".
  Database db(db_path, OpenMode::read_only, 10000);
  check_results_schema(db);
  Transaction snapshot(db);  // the swept values and the rows from one state of the file
  const ExportSweep sweep = export_sweep(db);
  std::ostringstream os;
  os.precision(17);
  // Column 0 (the cell id) finds the cell's swept values and is not written; they are written
  // after the label as sweep_<name>, empty (null) where a cell did not sweep that variable.
  constexpr int kCellId = 0, kLabel = 3;
  Statement q(db, "SELECT c.cell_id, r.run_id, c.cell_index, c.label, c.family, c.dims, c.n, c.global_loss, "
                  "c.global_loss_kind, e.net_index, e.seed, e.class, e.raw_class, e.class_tol_lo, e.class_tol_hi, "
                  "e.loss, e.grad_norm, e.lambda_min, e.lambda_max, e.n_negative, e.n_near_zero, e.steps, "
                  "e.train_status, e.wall_time, e.kink_distance, e.near_kink, e.orbit_dim, e.data_null_dim, "
                  "e.excess_degeneracy, "
                  "e.non_degenerate, e.locally_open, r.status AS run_status, c.status AS cell_status, "
                  "json_extract(c.config_json, '$.data_seed') AS data_seed, e.loss - c.global_loss AS loss_gap, "
                  "json_extract(e.details, '$.escape.loss_drop') AS escape_drop, e.escape_step, e.loss_drop, "
                  "e.dynamics, e.certified "
                  "FROM endpoints e JOIN cells c ON e.cell_id = c.cell_id "
                  "JOIN runs r ON c.run_id = r.run_id ORDER BY r.run_id, c.cell_index, e.net_index",
              db_path + ": not a landscape results database");
  const int nc = q.columns();
  json rows = json::array();
  if (!as_json) {
    for (int c = kCellId + 1; c < nc; ++c) {
      os << (c > kCellId + 1 ? "," : "") << q.column_name(c);
      if (c == kLabel)
        for (const std::string& name : sweep.names) os << ",sweep_" << name;
    }
    os << "\n";
  }
  static const std::vector<SweptValue> kNone;
  while (q.step()) {
    const auto it = sweep.by_cell.find(q.int64(kCellId));
    const std::vector<SweptValue>& swept = it == sweep.by_cell.end() ? kNone : it->second;
    const auto value_of = [&](const std::string& name) -> const SweptValue* {
      for (const SweptValue& v : swept)
        if (v.name == name) return &v;
      return nullptr;
    };
    json row = json::object();
    for (int c = kCellId + 1; c < nc; ++c) {
      const ColumnType t = q.column_type(c);
      if (as_json) {
        row[q.column_name(c)] = t == ColumnType::null      ? json(nullptr)
                                : t == ColumnType::integer ? json(q.int64(c))
                                : t == ColumnType::real    ? json(q.real(c))
                                                           : json(q.text(c));
      } else {
        if (c > kCellId + 1) os << ",";
        if (t == ColumnType::integer) os << q.int64(c);
        else if (t == ColumnType::real) os << q.real(c);
        else if (t == ColumnType::text) os << csv_field(q.text(c));
      }
      if (c != kLabel) continue;
      for (const std::string& name : sweep.names) {
        const SweptValue* v = value_of(name);
        if (as_json) row["sweep_" + name] = v ? swept_value_json(*v) : json(nullptr);
        else os << "," << (v ? csv_field(v->text) : std::string());
      }
    }
    if (as_json) rows.push_back(std::move(row));
    else os << "\n";
  }
  snapshot.commit();
  if (as_json) os << rows.dump(1) << "\n";
  return os.str();
}

}  // namespace landscape
