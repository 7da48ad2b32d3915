// CUDA backend: batched training and float64 Hessians on the GPU, eigenvalues with cuSOLVER
// (syevjBatched for small P, XsyevBatched above). Every cuSOLVER info is read; a matrix that
// did not converge is re-solved on the host, never used silently.
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <vector>

#include "cuda_check.cuh"
#include "landscape/core/linalg.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/backends/cuda/cuda_backend.hpp"
#include "landscape/math/hessian.hpp"
#include "landscape/math/network.hpp"
#include "launchers.cuh"

namespace landscape {
namespace {

/// Allocates `bytes` on the device, stream-ordered on `stream` where memory pools are
/// supported (cudaMallocAsync does not synchronize the device as cudaMalloc/cudaFree can, so
/// one stream can allocate while the other computes). Throws DeviceOutOfMemory when full.
inline void* device_alloc(std::size_t bytes, cudaStream_t stream, bool pools) {
  void* p = nullptr;
  const cudaError_t e = pools ? cudaMallocAsync(&p, bytes, stream) : cudaMalloc(&p, bytes);
  if (e != cudaSuccess)
    cuda_detail::fail(e, "cuda backend: allocating " + std::to_string(bytes) + " bytes");
  return p;
}

/// Frees what device_alloc returned, after the work already queued on `stream`.
inline void device_free(void* p, cudaStream_t stream, bool pools) {
  if (!p) return;
  if (pools)
    cudaFreeAsync(p, stream);
  else
    cudaFree(p);
}

/// Growable device buffer of n values of T, allocated in the order of one stream (bind() it
/// first); resize() keeps the allocation when it is large enough.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void bind(cudaStream_t stream, bool pools) {
    m_stream = stream;
    m_pools = pools;
  }
  void resize(std::size_t n) {
    if (n <= m_n) return;
    release();
    m_p = static_cast<T*>(device_alloc(n * sizeof(T), m_stream, m_pools));
    m_n = n;
  }
  T* data() { return m_p; }
  std::size_t size() const { return m_n; }
  std::size_t bytes() const { return m_n * sizeof(T); }
  void clear() { release(); }

 private:
  void release() {
    device_free(m_p, m_stream, m_pools);
    m_p = nullptr;
    m_n = 0;
  }
  T* m_p = nullptr;
  std::size_t m_n = 0;
  cudaStream_t m_stream = nullptr;
  bool m_pools = false;
};

/// Device allocation of n values of T for the lifetime of one call, in the order of `stream`
/// (device_alloc); freed after the work queued on the stream when it goes out of scope.
template <class T>
class StreamBuffer {
 public:
  StreamBuffer(std::size_t n, cudaStream_t stream, bool pools)
      : m_p(static_cast<T*>(device_alloc(std::max<std::size_t>(n, 1) * sizeof(T), stream, pools))),
        m_stream(stream),
        m_pools(pools) {}
  ~StreamBuffer() { device_free(m_p, m_stream, m_pools); }
  StreamBuffer(const StreamBuffer&) = delete;
  StreamBuffer& operator=(const StreamBuffer&) = delete;
  T* data() { return m_p; }

 private:
  T* m_p = nullptr;
  cudaStream_t m_stream;
  bool m_pools;
};

kernels::Dims make_dims(const Model& m, int n) {
  if (m.depth() > kernels::kMaxDepth)
    throw Error("cuda backend: depth " + std::to_string(m.depth()) + " exceeds the maximum " +
                std::to_string(kernels::kMaxDepth));
  kernels::Dims d;
  d.h = m.depth();
  for (int i = 0; i <= d.h; ++i) d.d[i] = m.dims[std::size_t(i)];
  d.n = n;
  d.slope = m.family == Family::leaky_relu ? m.slope : 1.0;
  return d;
}

// syevj is fastest for small matrices; above this size the batched QR-based solver wins, and
// cusolverDnDsyevjBatched only accepts n ≤ 32.
constexpr int kSyevjMaxN = 32;

// Device memory left free when sizing Hessian batches, the larger of the two: room for what the
// context allocates on its own (kernel local memory, cuSOLVER internals) and for other streams
// (training) allocating while a batch is in flight. Running out anyway halves the batch.
constexpr std::size_t kMinHeadroomBytes = std::size_t(1) << 30;
constexpr std::size_t kHeadroomFraction = 10;  // of the device's memory

/// The batched values-only eigensolvers: the eigen stage takes solver_for(P); the bench's
/// eigen check runs cusolverDnXsyevBatched beside it on the same matrices.
enum class Solver { syevj, xsyev };
Solver solver_for(int P) { return P <= kSyevjMaxN ? Solver::syevj : Solver::xsyev; }
const char* solver_name(Solver s) {
  return s == Solver::syevj ? "cusolverDnDsyevjBatched" : "cusolverDnXsyevBatched";
}

// Matrices per eigensolver call, by the documented limits: cusolverDnXsyevBatched needs
// n·lda·batchSize ≤ INT32_MAX; cusolverDnDsyevjBatched takes n, lda, lwork and batchSize as int
// and its lwork (in doubles) grows with the batch, so batch·n² stays 8× below INT32_MAX there.
std::size_t documented_batch_limit(Solver solver, int P) {
  const std::size_t nn = std::size_t(P) * std::size_t(P);
  const std::size_t int_max = std::size_t(std::numeric_limits<int>::max());
  const std::size_t cap = solver == Solver::syevj ? int_max / 8 : int_max;
  return std::max<std::size_t>(1, cap / nn);
}

// Matrices per solver call beyond which we do not go, whatever the documentation allows: the
// batched solvers are reported to refuse batches above about 32k matrices with
// CUSOLVER_STATUS_INVALID_VALUE (in the workspace query too), a limit not documented.
// LANDSCAPE_CUDA_SOLVER_BATCH overrides it (the GPU check probes the real limits); a refusal at
// run time halves it (SolverRefusedBatch).
constexpr std::size_t kSolverBatchCap = std::size_t(1) << 14;

std::size_t initial_solver_batch_cap() {
  if (const char* v = std::getenv("LANDSCAPE_CUDA_SOLVER_BATCH"))
    if (std::atol(v) > 0) return std::size_t(std::atol(v));
  return kSolverBatchCap;
}

/// A solver refused a batch of more than one matrix as an invalid value: retry with fewer.
struct SolverRefusedBatch : Error {
  using Error::Error;
};

/// Throws SolverRefusedBatch for INVALID_VALUE on a batch of `nb` > 1, else checks `s`.
void check_solver_batch(cusolverStatus_t s, std::size_t nb, const char* what) {
  if (s == CUSOLVER_STATUS_INVALID_VALUE && nb > 1)
    throw SolverRefusedBatch(std::string(what) + " refused a batch of " + std::to_string(nb));
  if (s != CUSOLVER_STATUS_SUCCESS) cuda_detail::fail(s, what);
}

// Column-kernel threads for `items` work items: at most `max_threads` (no fewer than one block),
// a multiple of the block size.
std::size_t column_threads(std::size_t max_threads, std::size_t items) {
  const std::size_t b = kernels::kHessianBlock;
  const std::size_t want = std::min(max_threads, (items + b - 1) / b * b);
  return std::max(b, want / b * b);
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : m_device(device) {
    LS_CUDA_CHECK(cudaSetDevice(device));
    cudaDeviceProp prop{};
    LS_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    m_name = prop.name;
    m_sms = prop.multiProcessorCount;
    m_major = prop.major;
    m_minor = prop.minor;
    int clock_khz = 0;
    LS_CUDA_CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, device));
    m_clock_khz = double(clock_khz);
    int pools = 0;
    LS_CUDA_CHECK(cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, device));
    m_pools = pools != 0;
    if (m_pools) {
      // The pool's default release threshold is 0: every synchronization hands its free memory
      // back to the driver, so each chunk's training buffers are allocated afresh. Keep it
      // instead; return_freed_memory trims the pool explicitly when the device runs short.
      cudaMemPool_t pool = nullptr;
      LS_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
      std::uint64_t keep = std::numeric_limits<std::uint64_t>::max();
      LS_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
    }
    // Analysis gets the higher priority: as blocks of a chunk's training retire, the block
    // scheduler hands the SMs to the previous chunk's Hessians and eigen-solves first.
    int least = 0, greatest = 0;
    LS_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    LS_CUDA_CHECK(cudaStreamCreateWithPriority(&m_stream, cudaStreamNonBlocking, greatest));
    LS_CUDA_CHECK(cudaStreamCreateWithFlags(&m_train_stream, cudaStreamNonBlocking));
    // Blocking sync: the training thread sleeps while its kernel runs instead of spinning on a
    // core that the analysis of the previous chunk can use.
    LS_CUDA_CHECK(
        cudaEventCreateWithFlags(&m_train_done, cudaEventBlockingSync | cudaEventDisableTiming));
    LS_CUSOLVER_CHECK(cusolverDnCreate(&m_solver));
    LS_CUSOLVER_CHECK(cusolverDnSetStream(m_solver, m_stream));
    LS_CUSOLVER_CHECK(cusolverDnCreateSyevjInfo(&m_syevj));
    LS_CUSOLVER_CHECK(cusolverDnCreateParams(&m_params));
    for (auto& e : m_ev) LS_CUDA_CHECK(cudaEventCreate(&e));
    for (DeviceBuffer<double>* b : {&m_X64, &m_Y64, &m_w64, &m_H, &m_prepared, &m_grad, &m_colws,
                                    &m_eig, &m_work})
      b->bind(m_stream, m_pools);
    m_info.bind(m_stream, m_pools);
    m_facts.bind(m_stream, m_pools);
  }
  ~CudaBackend() override {
    // The buffers free on m_stream, so before it goes.
    release_hessian();
    m_X64.clear();
    m_Y64.clear();
    cudaStreamSynchronize(m_stream);
    for (auto& e : m_ev) cudaEventDestroy(e);
    cusolverDnDestroyParams(m_params);
    cusolverDnDestroySyevjInfo(m_syevj);
    cusolverDnDestroy(m_solver);
    cudaEventDestroy(m_train_done);
    cudaStreamDestroy(m_train_stream);
    cudaStreamDestroy(m_stream);
  }

  std::string name() const override { return "cuda"; }
  std::string device() const override { return m_name + " (device " + std::to_string(m_device) + ")"; }
  double peak_flops(Precision p) const override {
    // Non-tensor lanes per SM, 2 flops per FMA. FP32: 64 on sm_80 (A100), 128 on sm_86 and
    // later (H100/H200 included). FP64: 64 on the data-center parts sm_80 and sm_90+, 32 on
    // sm_70 (V100), 2 on the consumer parts.
    const bool a100 = m_major == 8 && m_minor == 0;
    const double lanes = p == Precision::f32 ? (a100 ? 64.0 : 128.0)
                                             : (m_major >= 9 || a100 ? 64.0 : m_major == 7 && m_minor == 0 ? 32.0 : 2.0);
    return double(m_sms) * lanes * 2.0 * m_clock_khz * 1e3;
  }
  long preferred_chunk(const Model& m) const override {
    // Training wants every SM full (an H100 holds 2,048 threads on each of 132 SMs), so small
    // networks come in large chunks; analyze() splits a chunk into Hessian batches that fit the
    // free device memory. For large P the eigen-solve dominates, and chunks of 4,096 (still two
    // per SM for a lane-group kernel) let training of the next chunk hide behind it.
    return m.param_count() <= 128 ? (1L << 18) : (1L << 12);
  }
  /// train() works on its own stream and buffers, analyze() on m_stream and the members, so
  /// one thread can train while another analyzes (two concurrent train() calls are not allowed).
  bool supports_overlap() const override { return true; }

  void train_batch(const Model& m, const Dataset& d, const TrainSettings& st, std::size_t count,
             double* weights, math::TrainOutcome* outcomes, double* curves) override {
    // The current device is per host thread, and train() may run on a thread of its own.
    LS_CUDA_CHECK(cudaSetDevice(m_device));
    // Running out of device memory halves the batch instead of failing; networks are
    // independent, so the split does not change any result.
    try {
      if (st.precision == Precision::f32)
        train_as<float>(m, d, st.params, count, weights, outcomes, curves);
      else
        train_as<double>(m, d, st.params, count, weights, outcomes, curves);
    } catch (const DeviceOutOfMemory&) {
      if (count <= 1) throw;
      return_freed_memory(m_train_stream);
      const std::size_t half = count / 2, P = m.param_count();
      const std::size_t len = std::size_t(std::max(0, st.params.curve_len));
      train_batch(m, d, st, half, weights, outcomes, curves);
      train_batch(m, d, st, count - half, weights + half * P, outcomes + half,
                  curves ? curves + half * len : nullptr);
    }
  }

  void analyze_batch(const Model& m, const Dataset& d, std::size_t count, const double* weights,
               EndpointAnalysis* out, double* eigenvalues) override {
    LS_CUDA_CHECK(cudaSetDevice(m_device));
    const std::size_t P = m.param_count();
    const kernels::Dims dims = make_dims(m, d.n);
    const math::Shape s = m.shape(d.n);
    if (P * P > std::size_t(std::numeric_limits<int>::max()))
      throw Error("cuda backend: P = " + std::to_string(P) +
                  " is beyond the batched eigensolvers (P² must fit in a 32-bit int)");
    m_times = AnalyzeTimes{};
    if (count == 0) return;
    upload(m_X64, d.X);
    upload(m_Y64, d.Y);
    HessianPlan plan = plan_hessian(s, dims, count);
    std::vector<math::PointFacts> facts;
    std::vector<int> info;
    for (std::size_t first = 0; first < count;) {
      const std::size_t cnt = std::min(plan.networks, count - first);
      const std::size_t threads = column_threads(plan.threads, cnt * P);
      double* ev = eigenvalues + first * P;
      // The first-order facts come from the Hessian preparation on the device; a point whose
      // facts are not finite gets a zero matrix there, so it cannot disturb the batch, and NaN
      // eigenvalues below.
      facts.resize(cnt);
      info.resize(cnt);
      try {
        reserve_hessian(s, dims, cnt, threads);
        LS_CUDA_CHECK(cudaMemcpyAsync(m_w64.data(), weights + first * P, cnt * P * sizeof(double),
                                      cudaMemcpyHostToDevice, m_stream));
        LS_CUDA_CHECK(cudaEventRecord(m_ev[0], m_stream));
        kernels::launch_hessian(hessian_batch(dims, cnt, threads), m_stream);
        LS_CUDA_CHECK(cudaEventRecord(m_ev[1], m_stream));
        eigensolve(int(P), cnt);
        LS_CUDA_CHECK(cudaEventRecord(m_ev[2], m_stream));
      } catch (const DeviceOutOfMemory&) {
        // No room for the buffers, a kernel's local memory or the solver's internals (nothing
        // has been copied back yet): retry this part of the chunk in smaller Hessian batches,
        // then with less scratch. Buffers only grow, so drop them all first.
        release_hessian();
        return_freed_memory(m_stream);
        if (!shrink_hessian_plan(plan, cnt)) throw;
        continue;
      }
      download(ev, m_eig.data(), cnt * P);
      download(info.data(), m_info.data(), cnt);
      download(facts.data(), m_facts.data(), cnt);
      LS_CUDA_CHECK(cudaStreamSynchronize(m_stream));
      m_times.hessian += seconds_between(m_ev[0], m_ev[1]);
      m_times.eigen += seconds_between(m_ev[1], m_ev[2]);
      for (std::size_t i = 0; i < cnt; ++i) {
        EndpointAnalysis& a = out[first + i];
        a.facts = facts[i];
        a.has_spectrum = a.facts.finite;
        double* e = ev + i * P;
        if (!a.has_spectrum) {
          std::fill(e, e + P, std::numeric_limits<double>::quiet_NaN());
          continue;
        }
        const bool finite = std::all_of(e, e + P, [](double x) { return std::isfinite(x); });
        if (info[i] != 0 || !finite) {
          // Not converged (info > 0) or broken input: re-solve this one on the host.
          const HessianResult h = exact_hessian(m, d, weights + (first + i) * P);
          const std::vector<double> lam = symmetric_eigenvalues(h.H.data(), int(P));
          std::copy(lam.begin(), lam.end(), e);
        }
      }
      first += cnt;
    }
  }

  bool compare_eigen(const Model& m, const Dataset& d, std::size_t count, const double* weights,
                     EigenComparison& out) override {
    LS_CUDA_CHECK(cudaSetDevice(m_device));
    if (count == 0) return false;
    const std::size_t P = m.param_count(), nn = P * P;
    const kernels::Dims dims = make_dims(m, d.n);
    const math::Shape s = m.shape(d.n);
    upload(m_X64, d.X);
    upload(m_Y64, d.Y);
    // Three copies of the matrices: the eigen stage's input, a pristine copy, the reference's.
    // The plan is for 3·count networks' worth of memory, so cnt = count when it all fits.
    const HessianPlan plan = plan_hessian(s, dims, 3 * count);
    const std::size_t cnt = std::max<std::size_t>(1, std::min(count, plan.networks / 3));
    const std::size_t threads = column_threads(plan.threads, cnt * P);
    reserve_hessian(s, dims, cnt, threads);
    DeviceBuffer<double> pristine, ref_in, ref_eig, ref_work;
    DeviceBuffer<int> ref_info;
    for (DeviceBuffer<double>* b : {&pristine, &ref_in, &ref_eig, &ref_work}) b->bind(m_stream, m_pools);
    ref_info.bind(m_stream, m_pools);
    pristine.resize(cnt * nn);
    ref_in.resize(cnt * nn);
    ref_eig.resize(cnt * P);
    ref_info.resize(cnt);
    // The reference: cusolverDnXsyevBatched in as few calls as its size limit allows.
    const EigenWork rw = eigen_work_for(Solver::xsyev, int(P), cnt, ref_in.data(), ref_eig.data());
    ref_work.resize(std::max<std::size_t>(1, (rw.device + sizeof(double) - 1) / sizeof(double)));
    std::vector<char> ref_host(std::max<std::size_t>(1, rw.host));
    const auto reference = [&](std::size_t batch) {
      eigensolve(Solver::xsyev, int(P), batch, ref_in.data(), ref_eig.data(), ref_info.data(),
                 ref_work, ref_host);
    };
    const auto copy_matrices = [&](double* dst, const double* src) {
      LS_CUDA_CHECK(cudaMemcpyAsync(dst, src, cnt * nn * sizeof(double), cudaMemcpyDeviceToDevice,
                                    m_stream));
    };
    const auto restore = [&](double* dst) { copy_matrices(dst, pristine.data()); };
    LS_CUDA_CHECK(cudaMemcpyAsync(m_w64.data(), weights, cnt * P * sizeof(double),
                                  cudaMemcpyHostToDevice, m_stream));
    kernels::launch_hessian(hessian_batch(dims, cnt, threads), m_stream);
    copy_matrices(pristine.data(), m_H.data());
    // Warm-up of both on one matrix: one-time initialization is part of neither time.
    eigensolve(int(P), 1);
    restore(ref_in.data());
    reference(1);
    restore(m_H.data());
    restore(ref_in.data());
    LS_CUDA_CHECK(cudaEventRecord(m_ev[0], m_stream));
    eigensolve(int(P), cnt);
    LS_CUDA_CHECK(cudaEventRecord(m_ev[1], m_stream));
    reference(cnt);
    LS_CUDA_CHECK(cudaEventRecord(m_ev[2], m_stream));
    std::vector<double> ours(cnt * P), ref(cnt * P);
    std::vector<int> info(cnt), rinfo(cnt);
    std::vector<math::PointFacts> facts(cnt);
    download(ours.data(), m_eig.data(), cnt * P);
    download(ref.data(), ref_eig.data(), cnt * P);
    download(info.data(), m_info.data(), cnt);
    download(rinfo.data(), ref_info.data(), cnt);
    download(facts.data(), m_facts.data(), cnt);
    LS_CUDA_CHECK(cudaStreamSynchronize(m_stream));
    out = EigenComparison{};
    out.networks = cnt;
    out.solver = solver_name(solver_for(int(P)));
    out.reference = solver_name(Solver::xsyev);
    out.solver_batch = std::min(cnt, eigen_chunk_limit(solver_for(int(P)), int(P)));
    out.reference_batch = std::min(cnt, eigen_chunk_limit(Solver::xsyev, int(P)));
    out.seconds = seconds_between(m_ev[0], m_ev[1]);
    out.reference_seconds = seconds_between(m_ev[1], m_ev[2]);
    for (std::size_t i = 0; i < cnt; ++i) {
      if (!facts[i].finite || info[i] != 0 || rinfo[i] != 0) continue;
      for (std::size_t k = 0; k < P; ++k)
        out.max_abs_difference =
            std::max(out.max_abs_difference, std::abs(ours[i * P + k] - ref[i * P + k]));
    }
    return true;
  }

 private:
  /// A Hessian batch of `count` networks: the uploaded data and weights (m_X64, m_Y64, m_w64)
  /// and the buffers reserve_hessian sized for a column grid of `threads`.
  kernels::HessianBatch hessian_batch(const kernels::Dims& dims, std::size_t count,
                                      std::size_t threads) {
    kernels::HessianBatch hb;
    hb.dims = dims;
    hb.X = m_X64.data();
    hb.Y = m_Y64.data();
    hb.weights = m_w64.data();
    hb.count = count;
    hb.buf.H = m_H.data();
    hb.buf.prepared = m_prepared.data();
    hb.buf.gradient = m_grad.data();
    hb.buf.facts = m_facts.data();
    hb.buf.columns = m_colws.data();
    hb.buf.column_threads = threads;
    return hb;
  }

  /// After out of memory: waits for the frees queued on `stream`, then hands the pool's unused
  /// memory back to the device, so that the retry's kernel local memory and library internals
  /// (allocated outside the pool) can use it too, not only the pool's own allocations.
  void return_freed_memory(cudaStream_t stream) {
    LS_CUDA_CHECK(cudaStreamSynchronize(stream));
    if (!m_pools) return;
    cudaMemPool_t pool = nullptr;
    LS_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, m_device));
    LS_CUDA_CHECK(cudaMemPoolTrimTo(pool, 0));
  }

  /// Queues a copy of n values from the device to the host on m_stream.
  template <class T>
  void download(T* dst, const T* src, std::size_t n) {
    LS_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyDeviceToHost, m_stream));
  }

  template <class T>
  void upload(DeviceBuffer<T>& dst, const std::vector<double>& src) {
    std::vector<T> tmp(src.begin(), src.end());
    dst.resize(tmp.size());
    LS_CUDA_CHECK(cudaMemcpyAsync(dst.data(), tmp.data(), tmp.size() * sizeof(T),
                                  cudaMemcpyHostToDevice, m_stream));
    LS_CUDA_CHECK(cudaStreamSynchronize(m_stream));
  }

  /// Trains on m_train_stream with buffers of its own (nothing that analyze() uses), so it
  /// can run while analyze() works on m_stream from another thread.
  // Seven parameters: Backend::train's, in the training precision T.
  template <class T>
  void train_as(const Model& m, const Dataset& d, const math::TrainParams& p, std::size_t count,
                double* weights, math::TrainOutcome* outcomes, double* curves) {
    const math::Shape s = m.shape(d.n);
    const std::size_t P = math::param_count(s);
    const kernels::Dims dims = make_dims(m, d.n);
    const cudaStream_t st = m_train_stream;
    // The local memory the training kernel's launch reserves, for plan_hessian's headroom.
    m_train_local.store(kernels::train_local_bytes<T>(dims));
    // Host copies in T. Copies from pageable memory are staged before cudaMemcpyAsync returns,
    // and device-to-host ones return when done; they stay alive to the end regardless.
    const std::vector<T> xt(d.X.begin(), d.X.end()), yt(d.Y.begin(), d.Y.end());
    // Conversions to and from T on every core: a W-S chunk is 17 million values.
    std::vector<T> wt(count * P);
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t k = 0; k < std::ptrdiff_t(wt.size()); ++k) wt[std::size_t(k)] = T(weights[k]);
    const std::size_t curve_size = curves ? count * std::size_t(p.curve_len) : 0;
    StreamBuffer<T> X(xt.size(), st, m_pools), Y(yt.size(), st, m_pools), w(wt.size(), st, m_pools);
    std::optional<StreamBuffer<T>> ws;  // only the general global-scratch kernel asks for it
    StreamBuffer<math::TrainOutcome> o(count, st, m_pools);
    StreamBuffer<double> c(curve_size, st, m_pools);
    LS_CUDA_CHECK(
        cudaMemcpyAsync(X.data(), xt.data(), xt.size() * sizeof(T), cudaMemcpyHostToDevice, st));
    LS_CUDA_CHECK(
        cudaMemcpyAsync(Y.data(), yt.data(), yt.size() * sizeof(T), cudaMemcpyHostToDevice, st));
    LS_CUDA_CHECK(
        cudaMemcpyAsync(w.data(), wt.data(), wt.size() * sizeof(T), cudaMemcpyHostToDevice, st));
    const kernels::TrainScratch<T> scratch = [&](std::size_t values) {
      ws.emplace(values, st, m_pools);
      return ws->data();
    };
    kernels::TrainBatch<T> batch;
    batch.dims = dims;
    batch.X = X.data();
    batch.Y = Y.data();
    batch.weights = w.data();
    batch.count = count;
    batch.params = p;
    batch.outcomes = o.data();
    batch.curves = curves ? c.data() : nullptr;
    kernels::launch_train<T>(batch, scratch, st);
    LS_CUDA_CHECK(cudaEventRecord(m_train_done, st));
    LS_CUDA_CHECK(cudaEventSynchronize(m_train_done));
    if (curves)
      LS_CUDA_CHECK(cudaMemcpyAsync(curves, c.data(), curve_size * sizeof(double),
                                    cudaMemcpyDeviceToHost, st));
    LS_CUDA_CHECK(
        cudaMemcpyAsync(wt.data(), w.data(), wt.size() * sizeof(T), cudaMemcpyDeviceToHost, st));
    LS_CUDA_CHECK(cudaMemcpyAsync(outcomes, o.data(), count * sizeof(math::TrainOutcome),
                                  cudaMemcpyDeviceToHost, st));
    LS_CUDA_CHECK(cudaStreamSynchronize(st));
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t k = 0; k < std::ptrdiff_t(wt.size()); ++k) weights[k] = double(wt[std::size_t(k)]);
  }

  struct HessianPlan {
    std::size_t networks = 1;                                   // per Hessian batch
    std::size_t threads = std::size_t(kernels::kHessianBlock);  // most column-kernel threads
  };

  /// After a batch of `cnt` networks ran out of memory: halves the batch, or else the column
  /// scratch; false when both are at their least.
  static bool shrink_hessian_plan(HessianPlan& plan, std::size_t cnt) {
    if (cnt > 1)
      plan.networks = cnt / 2;
    else if (plan.threads > std::size_t(kernels::kHessianBlock))
      plan.threads = column_threads(plan.threads / 2, plan.threads / 2);
    else
      return false;
    return true;
  }

  /// Seconds between two events recorded on a stream (both complete).
  static double seconds_between(cudaEvent_t from, cudaEvent_t to) {
    float ms = 0;
    LS_CUDA_CHECK(cudaEventElapsedTime(&ms, from, to));
    return ms * 1e-3;
  }

  /// Sizes Hessian batches from the device's free memory (less headroom): the column scratch
  /// for a grid that fills the device, then as many networks as fit beside it with their
  /// eigensolver workspace, as the cuSOLVER bufferSize queries report it.
  HessianPlan plan_hessian(const math::Shape& s, const kernels::Dims& dims, std::size_t count) {
    const std::size_t P = math::param_count(s);
    // The workspace queries get real device pointers (one matrix), whatever the batch.
    m_H.resize(P * P);
    m_eig.resize(P);
    std::size_t free = 0, total = 0;
    LS_CUDA_CHECK(cudaMemGetInfo(&free, &total));
    // This backend's batch buffers are reused or replaced, so they count as available.
    const std::size_t held = m_w64.bytes() + m_H.bytes() + m_prepared.bytes() + m_grad.bytes() +
                             m_colws.bytes() + m_eig.bytes() + m_work.bytes() + m_info.bytes() +
                             m_facts.bytes();
    // Kernel local memory is reserved by the driver for every resident thread at a kernel's
    // first launch and cannot be given back by the out-of-memory retries: the Hessian kernels'
    // and (training may run beside this batch) the training kernel's come off the top.
    // The driver keeps one local-memory area, sized by the largest reservation so far.
    const std::size_t local = std::max(kernels::hessian_local_bytes(dims), m_train_local.load());
    const std::size_t headroom = std::max(kMinHeadroomBytes, total / kHeadroomFraction) + local;
    const std::size_t avail = free + held > headroom ? free + held - headroom : 0;
    HessianPlan plan;
    // Threads beyond those resident only cost scratch, and memory is better spent on networks
    // per batch than on more than a quarter of it for scratch.
    // (Small networks keep their scratch in local memory: then only residency counts.)
    const std::size_t col_bytes = kernels::hessian_column_scratch(dims) * sizeof(double);
    const std::size_t resident = kernels::hessian_resident_threads(dims, m_sms);
    plan.threads = column_threads(col_bytes ? std::min(resident, avail / 4 / col_bytes) : resident,
                                  count * P);
    const std::size_t scratch = plan.threads * col_bytes;
    // Per network: weights, H, prepared state, gradient, eigenvalues, info and facts.
    const std::size_t per_net = (P * P + 3 * P + math::prepared_size(s)) * sizeof(double) +
                                sizeof(int) + sizeof(math::PointFacts);
    // The eigensolver workspace shrinks with the batch, so a few rounds settle the size.
    // LANDSCAPE_CUDA_HESSIAN_BATCH caps it (to exercise the multi-batch path in tests).
    plan.networks = count;
    if (const char* cap = std::getenv("LANDSCAPE_CUDA_HESSIAN_BATCH"))
      if (std::atol(cap) > 0) plan.networks = std::min(count, std::size_t(std::atol(cap)));
    for (int round = 0; round < 8 && plan.networks > 1; ++round) {
      const std::size_t work =
          eigen_work_for(solver_for(int(P)), int(P), plan.networks, m_H.data(), m_eig.data()).device;
      if (scratch + plan.networks * per_net + work <= avail) break;
      const std::size_t rest = avail > scratch + work ? avail - scratch - work : 0;
      plan.networks = std::max<std::size_t>(1, rest / per_net);
    }
    return plan;
  }

  /// Device buffers for a batch of `cnt` networks and a column grid of `threads`; throws
  /// DeviceOutOfMemory (the buffers stay usable) when they do not fit.
  void reserve_hessian(const math::Shape& s, const kernels::Dims& dims, std::size_t cnt,
                       std::size_t threads) {
    const std::size_t P = math::param_count(s);
    m_H.resize(cnt * P * P);
    m_prepared.resize(cnt * math::prepared_size(s));
    m_colws.resize(std::max<std::size_t>(1, threads * kernels::hessian_column_scratch(dims)));
    m_w64.resize(cnt * P);
    m_grad.resize(cnt * P);
    m_eig.resize(cnt * P);
    m_info.resize(cnt);
    m_facts.resize(cnt);
    const EigenWork work = eigen_work_for(solver_for(int(P)), int(P), cnt, m_H.data(), m_eig.data());
    m_work.resize(std::max<std::size_t>(1, (work.device + sizeof(double) - 1) / sizeof(double)));
    m_host_work.resize(std::max<std::size_t>(1, work.host));
  }

  void release_hessian() {
    for (DeviceBuffer<double>* b : {&m_w64, &m_H, &m_prepared, &m_grad, &m_colws, &m_eig, &m_work})
      b->clear();
    m_info.clear();
    m_facts.clear();
  }

  struct EigenWork {
    std::size_t device = 0;  // bytes
    std::size_t host = 0;    // bytes
  };

  /// Matrices per call of `solver` at size P: the documented limit and the batch cap, which a
  /// refusal lowers for the rest of this backend's life.
  std::size_t eigen_chunk_limit(Solver solver, int P) const {
    return std::max<std::size_t>(1, std::min(documented_batch_limit(solver, P), m_batch_cap[int(solver)]));
  }

  /// After `solver` refused a batch of `nb`: the cap becomes half of it (the size that works is
  /// then what eigen_chunk_limit reports).
  void lower_batch_cap(Solver solver, std::size_t nb) {
    m_batch_cap[int(solver)] = std::max<std::size_t>(1, nb / 2);
  }

  /// Workspace of one call of `solver` on `nb` matrices of size P at A (eigenvalues at W).
  /// Throws SolverRefusedBatch when the query refuses the batch size.
  EigenWork eigen_work(Solver solver, int P, std::size_t nb, double* A, double* W) {
    EigenWork w;
    if (solver == Solver::syevj) {
      // The workspace is an int count of doubles: checked in 64 bits before the call, so a
      // batch whose workspace would overflow it is refused here rather than wrapped.
      if (std::uint64_t(nb) * std::uint64_t(P) * std::uint64_t(P) * 8 >
          std::uint64_t(std::numeric_limits<int>::max()))
        throw SolverRefusedBatch("syevjBatched workspace for " + std::to_string(nb) +
                                 " matrices would overflow its int size");
      int lwork = 0;
      check_solver_batch(cusolverDnDsyevjBatched_bufferSize(m_solver, CUSOLVER_EIG_MODE_NOVECTOR,
                                                            CUBLAS_FILL_MODE_LOWER, P, A, P, W,
                                                            &lwork, m_syevj, int(nb)),
                         nb, "cusolverDnDsyevjBatched_bufferSize");
      if (lwork < 0) throw Error("cuda backend: syevjBatched reported a negative workspace");
      w.device = std::size_t(lwork) * sizeof(double);
      return w;
    }
    check_solver_batch(cusolverDnXsyevBatched_bufferSize(
                           m_solver, m_params, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER, P,
                           CUDA_R_64F, A, P, CUDA_R_64F, W, CUDA_R_64F, &w.device, &w.host,
                           std::int64_t(nb)),
                       nb, "cusolverDnXsyevBatched_bufferSize");
    return w;
  }

  /// Workspace for `batch` ≥ 1 matrices solved in calls of at most eigen_chunk_limit; a
  /// refused batch size lowers the cap and is asked again.
  EigenWork eigen_work_for(Solver solver, int P, std::size_t batch, double* A, double* W) {
    for (;;) {
      const std::size_t full = std::min(batch, eigen_chunk_limit(solver, P));
      try {
        EigenWork w = eigen_work(solver, P, full, A, W);
        if (batch % full != 0) {
          const EigenWork r = eigen_work(solver, P, batch % full, A, W);
          w.device = std::max(w.device, r.device);
          w.host = std::max(w.host, r.host);
        }
        return w;
      } catch (const SolverRefusedBatch&) {
        if (full <= 1) throw;
        lower_batch_cap(solver, full);
      }
    }
  }

  /// Values-only symmetric eigensolve of the `batch` matrices at A into W, info per matrix, in
  /// calls of `solver` within its limits (eigen_chunk_limit) on the given workspace, queued on
  /// m_stream. Eigenvalues come back ascending (syevj sorts by default). The workspaces are
  /// reserved beforehand (eigen_work_for); should a call need more than that (a solver may pick
  /// another algorithm for another batch size), they grow, which may raise DeviceOutOfMemory.
  // Eight parameters, as the cuSOLVER calls: the bench's reference passes its own buffers.
  void eigensolve(Solver solver, int P, std::size_t batch, double* A, double* W, int* info,
                  DeviceBuffer<double>& work, std::vector<char>& host) {
    const std::size_t nn = std::size_t(P) * std::size_t(P);
    for (std::size_t first = 0, nb = 0; first < batch; first += nb) {
      nb = std::min(eigen_chunk_limit(solver, P), batch - first);
      double* a = A + first * nn;
      double* w = W + first * std::size_t(P);
      EigenWork need;
      try {
        need = eigen_work(solver, P, nb, a, w);
      } catch (const SolverRefusedBatch&) {
        if (nb <= 1) throw;
        lower_batch_cap(solver, nb);
        nb = 0;  // this part again, in smaller calls
        continue;
      }
      if (need.device > work.bytes()) work.resize((need.device + sizeof(double) - 1) / sizeof(double));
      if (need.host > host.size()) {
        // An earlier call queued on m_stream may still use the host workspace.
        LS_CUDA_CHECK(cudaStreamSynchronize(m_stream));
        host.resize(need.host);
      }
      // The size query accepted nb, so a refusal here is an error like any other.
      if (solver == Solver::syevj) {
        LS_CUSOLVER_CHECK(cusolverDnDsyevjBatched(
            m_solver, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER, P, a, P, w, work.data(),
            int(need.device / sizeof(double)), info + first, m_syevj, int(nb)));
      } else {
        LS_CUSOLVER_CHECK(cusolverDnXsyevBatched(
            m_solver, m_params, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER, P, CUDA_R_64F,
            a, P, CUDA_R_64F, w, CUDA_R_64F, work.data(), need.device, host.data(), need.host,
            info + first, std::int64_t(nb)));
      }
    }
  }

  /// The eigen stage: the `batch` Hessians in m_H into m_eig and m_info, on the workspace
  /// reserve_hessian allocated.
  void eigensolve(int P, std::size_t batch) {
    eigensolve(solver_for(P), P, batch, m_H.data(), m_eig.data(), m_info.data(), m_work,
               m_host_work);
  }

  int m_device;
  std::string m_name;
  int m_sms = 0, m_major = 0, m_minor = 0;
  double m_clock_khz = 0;
  bool m_pools = false;             ///< stream-ordered allocation (cudaMallocAsync) is supported
  cudaStream_t m_stream = nullptr;  ///< analyze()
  cudaStream_t m_train_stream = nullptr;  ///< train(), which may run on another thread
  cudaEvent_t m_train_done = nullptr;     ///< end of a training kernel (blocking sync)
  cudaEvent_t m_ev[3] = {};
  cusolverDnHandle_t m_solver = nullptr;
  syevjInfo_t m_syevj = nullptr;
  cusolverDnParams_t m_params = nullptr;
  std::atomic<std::size_t> m_train_local{0};  ///< local memory of the last training launch (bytes)
  /// Matrices per solver call (syevj, xsyev): kSolverBatchCap or its override, lowered when a
  /// solver refuses a batch; the eigen check reports the value in use.
  std::size_t m_batch_cap[2] = {initial_solver_batch_cap(), initial_solver_batch_cap()};
  DeviceBuffer<double> m_X64, m_Y64;
  // Hessian batch: weights, the eigensolver's matrices, prepared state, gradients, column
  // scratch, eigenvalues and the eigensolver workspace.
  DeviceBuffer<double> m_w64, m_H, m_prepared, m_grad, m_colws, m_eig, m_work;
  DeviceBuffer<int> m_info;
  DeviceBuffer<math::PointFacts> m_facts;
  std::vector<char> m_host_work;
};

}  // namespace

namespace {
/// Visible devices, 0 on error with the error in `e` (cleared, as a missing driver is sticky).
int device_count(cudaError_t& e) {
  int n = 0;
  e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}
}  // namespace

int cuda_device_count() {
  cudaError_t e;
  return device_count(e);
}

std::string cuda_unavailable_reason() {
  cudaError_t e;
  if (device_count(e) > 0) return "";
  if (e != cudaSuccess) return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
  return "no CUDA device visible";
}

std::unique_ptr<Backend> make_cuda_backend(int device) {
  return std::make_unique<CudaBackend>(device);
}

}  // namespace landscape
