// MPI transport of the distributed sweep: start-up when launched by mpirun/srun, node-local
// ranks, point-to-point messages polled without busy waiting, and the chunk's binary form.
#include "landscape/run/mpi.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

#include "landscape/core/common.hpp"

#ifdef LANDSCAPE_HAVE_MPI
#include <mpi.h>
#endif

namespace landscape {
namespace {

MpiWorld g_world;
bool g_started = false;
bool g_released = false;

#ifdef LANDSCAPE_HAVE_MPI
/// Set by every launcher we know: Open MPI's mpirun, MPICH's Hydra (PMI), PMIx (Open MPI 5,
/// srun --mpi=pmix) and srun --mpi=pmi2.
bool launched_by_mpi() {
  if (const char* v = std::getenv("LANDSCAPE_MPI")) return std::string(v) == "1";
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(name)) return true;
  return false;
}

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  throw Error(std::string("MPI: ") + what + ": " + std::string(msg, std::size_t(len)));
}
#endif

#ifndef LANDSCAPE_HAVE_MPI
[[noreturn]] void no_mpi() {
  throw Error("MPI: this build of landscape has no MPI (configure with MPI installed)");
}
#endif

}  // namespace

std::string mpi_library() {
#ifdef LANDSCAPE_HAVE_MPI
  char v[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(v, &len);
  std::string s(v, std::size_t(len));
  const auto cut = s.find_first_of(",\n");
  return cut == std::string::npos ? s : s.substr(0, cut);
#else
  return "";
#endif
}

const MpiWorld& mpi_world() {
  if (g_started) return g_world;
  g_started = true;
#ifdef LANDSCAPE_HAVE_MPI
  if (!launched_by_mpi()) return g_world;
  int provided = 0;
  // Only the main thread calls MPI; chunks are computed on other threads meanwhile.
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  g_world.active = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_world.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_world.size);
  MPI_Comm local;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_world.rank, MPI_INFO_NULL, &local),
        "MPI_Comm_split_type");
  MPI_Comm_rank(local, &g_world.local_rank);
  MPI_Comm_size(local, &g_world.local_size);
  MPI_Comm_free(&local);
#else
  // K copies of a build without MPI would each run the whole experiment into the same files.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* v = std::getenv(name); v && std::atoi(v) > 1)
      throw Error("MPI: started as one of " + std::string(v) + " MPI ranks, but this build of landscape has no "
                  "MPI (install libopenmpi-dev or MPICH and rebuild, or run a single process)");
#endif
  return g_world;
}

bool mpi_active() { return g_started && g_world.active; }

void mpi_finalize() {
#ifdef LANDSCAPE_HAVE_MPI
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin) MPI_Finalize();
#endif
}

void mpi_abort(int code) {
#ifdef LANDSCAPE_HAVE_MPI
  if (g_world.active) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::_Exit(code);
}

void mpi_set_workers_released(bool released) { g_released = released; }
bool mpi_workers_released() { return g_released; }

void mpi_send(int dest, int tag, const std::vector<char>& bytes) {
#ifdef LANDSCAPE_HAVE_MPI
  require(bytes.size() < std::size_t(1) << 31, "MPI", "a message of " + std::to_string(bytes.size()) +
          " bytes is too large for one send (use a smaller experiment.chunk)");
  check(MPI_Send(bytes.data(), int(bytes.size()), MPI_BYTE, dest, tag, MPI_COMM_WORLD), "MPI_Send");
#else
  (void)dest, (void)tag, (void)bytes;
  no_mpi();
#endif
}

std::optional<MpiMessage> mpi_poll(int source) {
#ifdef LANDSCAPE_HAVE_MPI
  int flag = 0;
  MPI_Status st;
  check(MPI_Iprobe(source < 0 ? MPI_ANY_SOURCE : source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st), "MPI_Iprobe");
  if (!flag) return std::nullopt;
  int count = 0;
  MPI_Get_count(&st, MPI_BYTE, &count);
  MpiMessage m;
  m.source = st.MPI_SOURCE;
  m.tag = st.MPI_TAG;
  m.bytes.resize(std::size_t(count));
  check(MPI_Recv(m.bytes.data(), count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
        "MPI_Recv");
  return m;
#else
  (void)source;
  no_mpi();
#endif
}

MpiMessage mpi_wait(int source) {
  // Back off from 20 µs to 2 ms between probes: a reply from rank 0 normally comes within
  // microseconds, and a long wait (a worker idle at the end of a run) costs no CPU.
  auto pause = std::chrono::microseconds(20);
  for (;;) {
    if (auto m = mpi_poll(source)) return std::move(*m);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
}

void mpi_barrier() {
#ifdef LANDSCAPE_HAVE_MPI
  check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
#else
  no_mpi();
#endif
}

std::vector<std::vector<double>> mpi_gather(const std::vector<double>& values) {
#ifdef LANDSCAPE_HAVE_MPI
  const int n = int(values.size());
  std::vector<double> all(g_world.rank == 0 ? std::size_t(n) * std::size_t(g_world.size) : 0);
  check(MPI_Gather(values.data(), n, MPI_DOUBLE, all.data(), n, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Gather");
  std::vector<std::vector<double>> out;
  if (g_world.rank == 0)
    for (int r = 0; r < g_world.size; ++r)
      out.emplace_back(all.begin() + std::ptrdiff_t(r) * n, all.begin() + std::ptrdiff_t(r + 1) * n);
  return out;
#else
  (void)values;
  no_mpi();
#endif
}

// ---- bytes --------------------------------------------------------------------------------------

ByteWriter& ByteWriter::put_string(const std::string& s) {
  put<std::uint64_t>(s.size());
  m_bytes.insert(m_bytes.end(), s.begin(), s.end());
  return *this;
}

ByteWriter& ByteWriter::put_doubles(const std::vector<double>& v) {
  put<std::uint64_t>(v.size());
  const auto* p = reinterpret_cast<const char*>(v.data());
  m_bytes.insert(m_bytes.end(), p, p + v.size() * sizeof(double));
  return *this;
}

ByteWriter& ByteWriter::put_longs(const std::vector<long>& v) {
  put<std::uint64_t>(v.size());
  for (long x : v) put<std::int64_t>(x);
  return *this;
}

void ByteReader::need(std::size_t n) const {
  if (m_bytes.size() - m_pos < n)
    throw Error("MPI: a message ended early (" + std::to_string(m_bytes.size()) + " bytes, wanted " +
                std::to_string(m_pos + n) + ")");
}

std::string ByteReader::get_string() {
  const auto n = std::size_t(get<std::uint64_t>());
  need(n);
  std::string s(m_bytes.data() + m_pos, n);
  m_pos += n;
  return s;
}

std::vector<double> ByteReader::get_doubles() {
  const auto n = std::size_t(get<std::uint64_t>());
  need(n * sizeof(double));
  std::vector<double> v(n);
  if (n) std::memcpy(v.data(), m_bytes.data() + m_pos, n * sizeof(double));
  m_pos += n * sizeof(double);
  return v;
}

std::vector<long> ByteReader::get_longs() {
  const auto n = std::size_t(get<std::uint64_t>());
  need(n * sizeof(std::int64_t));
  std::vector<long> v(n);
  for (auto& x : v) x = long(get<std::int64_t>());
  return v;
}

// ---- chunks -------------------------------------------------------------------------------------

namespace {

void put_spectrum(ByteWriter& w, const SpectrumSummary& s) {
  w.put(s.lambda_min).put(s.lambda_max).put(s.eig_threshold);
  w.put<std::int32_t>(s.n_negative).put<std::int32_t>(s.n_near_zero).put<std::int32_t>(s.n_positive);
  w.put<std::uint8_t>(s.finite);
}

SpectrumSummary get_spectrum(ByteReader& r) {
  SpectrumSummary s;
  s.lambda_min = r.get<double>();
  s.lambda_max = r.get<double>();
  s.eig_threshold = r.get<double>();
  s.n_negative = r.get<std::int32_t>();
  s.n_near_zero = r.get<std::int32_t>();
  s.n_positive = r.get<std::int32_t>();
  s.finite = r.get<std::uint8_t>() != 0;
  return s;
}

void put_opt_bool(ByteWriter& w, const std::optional<bool>& b) { w.put<std::int8_t>(b ? std::int8_t(*b) : std::int8_t(-1)); }

std::optional<bool> get_opt_bool(ByteReader& r) {
  const auto v = r.get<std::int8_t>();
  return v < 0 ? std::nullopt : std::optional<bool>(v != 0);
}

/// Refinement, escape, symmetry and openness in binary: the JSON codec costs tens of
/// microseconds per endpoint, which rank 0 would pay for every endpoint of the run.
void put_details(ByteWriter& w, const EndpointRecord& e) {
  w.put<std::uint8_t>(e.refined.has_value());
  if (const auto& f = e.refined) {
    w.put<std::uint8_t>(f->converged).put<std::int32_t>(f->iterations).put(f->distance).put(f->grad_norm_before);
    w.put(f->grad_norm_after).put(f->loss_before).put(f->loss_after).put<std::int32_t>(int(f->class_before));
    put_spectrum(w, f->spectrum_before);
  }
  w.put<std::uint8_t>(e.escape.has_value());
  if (const auto& x = e.escape) {
    w.put<std::uint8_t>(x->escaped).put_string(x->method).put_doubles(x->direction).put(x->step).put(x->loss_drop);
    w.put<std::int64_t>(x->probes).put<std::int64_t>(x->descent_steps).put<std::int32_t>(x->null_space_dim);
  }
  w.put<std::uint8_t>(e.symmetry.has_value());
  if (const auto& y = e.symmetry)
    w.put<std::int32_t>(y->orbit_dim).put<std::int32_t>(y->orbit_dim_max).put<std::int32_t>(y->data_null_dim)
        .put<std::int32_t>(y->near_zero)
        .put<std::int32_t>(y->excess).put(y->normal_margin).put(y->spectrum_error);
  w.put<std::uint8_t>(e.openness.has_value());
  if (const auto& o = e.openness) {
    w.put<std::uint64_t>(o->layer_ranks.size());
    for (int k : o->layer_ranks) w.put<std::int32_t>(k);
    w.put<std::uint64_t>(o->partial.size());
    for (const PartialRank& p : o->partial) w.put<std::int32_t>(p.from).put<std::int32_t>(p.to).put<std::int32_t>(p.rank);
    w.put<std::int32_t>(o->product_rank).put<std::int32_t>(o->min_width);
    put_opt_bool(w, o->non_degenerate);
    put_opt_bool(w, o->locally_open);
    w.put_string(o->openness_rule);
    put_opt_bool(w, o->all_full_row_rank);
  }
  w.put<std::uint8_t>(e.dynamics.has_value());
  if (const auto& d = e.dynamics) {
    w.put(d->initial_loss).put<std::int64_t>(d->escape_step).put(d->loss_drop).put(d->late_loss);
    w.put<std::uint8_t>(d->on_plateau).put<std::uint8_t>(d->still_descending);
  }
  w.put<std::uint8_t>(e.minimum.has_value());
  if (const auto& m = e.minimum) w.put_string(m->status).put(m->margin).put(m->error_bound);
}

void get_details(ByteReader& r, EndpointRecord& e) {
  if (r.get<std::uint8_t>()) {
    RefineSummary f;
    f.converged = r.get<std::uint8_t>() != 0;
    f.iterations = r.get<std::int32_t>();
    f.distance = r.get<double>();
    f.grad_norm_before = r.get<double>();
    f.grad_norm_after = r.get<double>();
    f.loss_before = r.get<double>();
    f.loss_after = r.get<double>();
    f.class_before = PointClass(r.get<std::int32_t>());
    f.spectrum_before = get_spectrum(r);
    e.refined = f;
  }
  if (r.get<std::uint8_t>()) {
    EscapeResult x;
    x.escaped = r.get<std::uint8_t>() != 0;
    x.method = r.get_string();
    x.direction = r.get_doubles();
    x.step = r.get<double>();
    x.loss_drop = r.get<double>();
    x.probes = long(r.get<std::int64_t>());
    x.descent_steps = long(r.get<std::int64_t>());
    x.null_space_dim = r.get<std::int32_t>();
    e.escape = std::move(x);
  }
  if (r.get<std::uint8_t>()) {
    SymmetryInfo y;
    y.orbit_dim = r.get<std::int32_t>();
    y.orbit_dim_max = r.get<std::int32_t>();
    y.data_null_dim = r.get<std::int32_t>();
    y.near_zero = r.get<std::int32_t>();
    y.excess = r.get<std::int32_t>();
    y.normal_margin = r.get<double>();
    y.spectrum_error = r.get<double>();
    e.symmetry = y;
  }
  if (r.get<std::uint8_t>()) {
    OpennessInfo o;
    const auto nl = std::size_t(r.get<std::uint64_t>());
    for (std::size_t i = 0; i < nl; ++i) o.layer_ranks.push_back(r.get<std::int32_t>());
    const auto np = std::size_t(r.get<std::uint64_t>());
    for (std::size_t i = 0; i < np; ++i) {
      PartialRank p;
      p.from = r.get<std::int32_t>();
      p.to = r.get<std::int32_t>();
      p.rank = r.get<std::int32_t>();
      o.partial.push_back(p);
    }
    o.product_rank = r.get<std::int32_t>();
    o.min_width = r.get<std::int32_t>();
    o.non_degenerate = get_opt_bool(r);
    o.locally_open = get_opt_bool(r);
    o.openness_rule = r.get_string();
    o.all_full_row_rank = get_opt_bool(r);
    e.openness = std::move(o);
  }
  if (r.get<std::uint8_t>()) {
    DynamicsInfo d;
    d.initial_loss = r.get<double>();
    d.escape_step = long(r.get<std::int64_t>());
    d.loss_drop = r.get<double>();
    d.late_loss = r.get<double>();
    d.on_plateau = r.get<std::uint8_t>() != 0;
    d.still_descending = r.get<std::uint8_t>() != 0;
    e.dynamics = d;
  }
  if (r.get<std::uint8_t>()) {
    MinimumCertificate m;
    m.status = r.get_string();
    m.margin = r.get<double>();
    m.error_bound = r.get<double>();
    e.minimum = std::move(m);
  }
}

}  // namespace

std::vector<char> encode_chunk(int cell, const ChunkResult& chunk) {
  ByteWriter w;
  w.put<std::int32_t>(cell).put(chunk.seconds_train).put(chunk.seconds_analyze).put(chunk.seconds_decide);
  w.put<std::int32_t>(chunk.curve_len).put<std::int32_t>(chunk.curve_every).put_doubles(chunk.curves);
  w.put_doubles(chunk.weights);
  w.put<std::uint64_t>(chunk.endpoints.size());
  for (const EndpointRecord& e : chunk.endpoints) {
    w.put<std::int64_t>(e.index).put<std::int32_t>(int(e.cls)).put<std::int32_t>(int(e.raw_class));
    for (PointClass c : e.cls_by_tol) w.put<std::int32_t>(int(c));
    w.put<std::int32_t>(int(e.train_status)).put<std::int64_t>(e.steps);
    w.put(e.loss).put(e.grad_norm).put(e.kink_distance).put(e.wall_time);
    w.put<std::uint8_t>(e.finite).put<std::uint8_t>(e.near_kink);
    for (const SpectrumSummary& s : e.spectrum) put_spectrum(w, s);
    w.put_doubles(e.eigenvalues);
    put_details(w, e);
  }
  w.put<std::uint64_t>(chunk.candidates.size());
  for (const auto& [idx, weights] : chunk.candidates) w.put<std::int64_t>(idx).put_doubles(weights);
  return std::move(w.bytes());
}

ChunkResult decode_chunk(const std::vector<char>& bytes, int& cell) {
  ByteReader r(bytes);
  ChunkResult c;
  cell = r.get<std::int32_t>();
  c.seconds_train = r.get<double>();
  c.seconds_analyze = r.get<double>();
  c.seconds_decide = r.get<double>();
  c.curve_len = r.get<std::int32_t>();
  c.curve_every = r.get<std::int32_t>();
  c.curves = r.get_doubles();
  c.weights = r.get_doubles();
  const auto n = std::size_t(r.get<std::uint64_t>());
  c.endpoints.resize(n);
  for (EndpointRecord& e : c.endpoints) {
    e.index = long(r.get<std::int64_t>());
    e.cls = PointClass(r.get<std::int32_t>());
    e.raw_class = PointClass(r.get<std::int32_t>());
    for (PointClass& k : e.cls_by_tol) k = PointClass(r.get<std::int32_t>());
    e.train_status = math::TrainStatus(r.get<std::int32_t>());
    e.steps = long(r.get<std::int64_t>());
    e.loss = r.get<double>();
    e.grad_norm = r.get<double>();
    e.kink_distance = r.get<double>();
    e.wall_time = r.get<double>();
    e.finite = r.get<std::uint8_t>() != 0;
    e.near_kink = r.get<std::uint8_t>() != 0;
    for (SpectrumSummary& s : e.spectrum) s = get_spectrum(r);
    e.eigenvalues = r.get_doubles();
    get_details(r, e);
  }
  const auto k = std::size_t(r.get<std::uint64_t>());
  for (std::size_t i = 0; i < k; ++i) {
    const long idx = long(r.get<std::int64_t>());
    c.candidates[idx] = r.get_doubles();
  }
  require(r.at_end(), "MPI", "a chunk message has trailing bytes");
  return c;
}

}  // namespace landscape
