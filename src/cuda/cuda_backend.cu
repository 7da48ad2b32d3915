// CUDA backend: batched training and float64 Hessians on the GPU, eigenvalues with cuSOLVER
// (syevjBatched for small P, XsyevBatched above). Every cuSOLVER info is read; a matrix that
// did not converge is re-solved on the host, never used silently.
#include <cuda_runtime.h>
#include <cusolverDn.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cuda_check.cuh"
#include "landscape/analysis.hpp"
#include "landscape/cuda_backend.hpp"
#include "landscape/math/network.hpp"
#include "../../kernels/network_kernels.cuh"

namespace landscape {
namespace {

/// Thrown when the device has no room for a buffer; callers retry with smaller batches.
struct DeviceOutOfMemory : Error {
  using Error::Error;
};

/// RAII device allocation of n values of T.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t n) { resize(n); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void resize(std::size_t n) {
    if (n <= m_n) return;
    release();
    const cudaError_t e = cudaMalloc(&m_p, n * sizeof(T));
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear it: the context stays usable
      m_p = nullptr;
      throw DeviceOutOfMemory("cuda backend: out of device memory for " + std::to_string(n * sizeof(T)) + " bytes");
    }
    LS_CUDA_CHECK(e);
    m_n = n;
  }
  T* data() { return m_p; }
  std::size_t size() const { return m_n; }

 private:
  void release() {
    if (m_p) cudaFree(m_p);
    m_p = nullptr;
    m_n = 0;
  }
  T* m_p = nullptr;
  std::size_t m_n = 0;
};

/// Stream-ordered device allocation of n values of T (cudaMallocAsync): allocating and freeing
/// do not synchronize the device as cudaMalloc/cudaFree can, so training can allocate while
/// analyze runs on another stream. Falls back to cudaMalloc where memory pools are unsupported.
template <class T>
class StreamBuffer {
 public:
  StreamBuffer(std::size_t n, cudaStream_t stream, bool pools) : m_stream(stream), m_pools(pools) {
    const std::size_t bytes = std::max<std::size_t>(n, 1) * sizeof(T);
    void* p = nullptr;
    const cudaError_t e = pools ? cudaMallocAsync(&p, bytes, stream) : cudaMalloc(&p, bytes);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear it: the context stays usable
      throw DeviceOutOfMemory("cuda backend: out of device memory for " + std::to_string(bytes) +
                              " bytes");
    }
    LS_CUDA_CHECK(e);
    m_p = static_cast<T*>(p);
  }
  ~StreamBuffer() {
    if (!m_p) return;
    if (m_pools)
      cudaFreeAsync(m_p, m_stream);  // after the work already queued on the stream
    else
      cudaFree(m_p);
  }
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

// syevj is fastest for small matrices; above this size the batched QR-based solver wins and
// syevjBatched is limited to n ≤ 32 anyway.
constexpr int kSyevjMaxN = 32;
// Scratch budget for one Hessian sub-batch; larger chunks are processed in pieces.
constexpr std::size_t kHessianBytes = std::size_t(1) << 30;

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : m_device(device) {
    LS_CUDA_CHECK(cudaSetDevice(device));
    cudaDeviceProp prop{};
    LS_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    m_name = prop.name;
    m_sms = prop.multiProcessorCount;
    m_major = prop.major;
    int clock_khz = 0;
    LS_CUDA_CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, device));
    m_clock_khz = double(clock_khz);
    int pools = 0;
    LS_CUDA_CHECK(cudaDeviceGetAttribute(&pools, cudaDevAttrMemoryPoolsSupported, device));
    m_pools = pools != 0;
    LS_CUDA_CHECK(cudaStreamCreateWithFlags(&m_stream, cudaStreamNonBlocking));
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
  }
  ~CudaBackend() override {
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
    // FP32: 128 lanes per SM on sm_80 and later, FP64: 64 on sm_90 (H100/H200), 2 flops per FMA.
    const double lanes = p == Precision::f32 ? 128.0 : (m_major >= 9 ? 64.0 : 32.0);
    return double(m_sms) * lanes * 2.0 * m_clock_khz * 1e3;
  }
  long preferred_chunk(const Model& m) const override {
    // Training wants every SM full (an H100 holds 2,048 threads on each of 132 SMs), so chunks
    // are large; analyze() splits a chunk into Hessian batches that fit kHessianBytes itself.
    return m.param_count() <= 128 ? (1L << 18) : (1L << 14);
  }
  /// train() works on its own stream and buffers, analyze() on m_stream and the members, so
  /// one thread can train while another analyzes (two concurrent train() calls are not allowed).
  bool supports_overlap() const override { return true; }

  void train(const Model& m, const Dataset& d, const TrainSettings& st, std::size_t count,
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
      const std::size_t half = count / 2, P = m.param_count();
      const std::size_t len = std::size_t(std::max(0, st.params.curve_len));
      train(m, d, st, half, weights, outcomes, curves);
      train(m, d, st, count - half, weights + half * P, outcomes + half, curves ? curves + half * len : nullptr);
    }
  }

  void analyze(const Model& m, const Dataset& d, std::size_t count, const double* weights,
               EndpointAnalysis* out, double* eigenvalues) override {
    const std::size_t P = m.param_count();
    const kernels::Dims dims = make_dims(m, d.n);
    const math::Shape s = m.shape(d.n);
    // First-order facts (and the kink distance) on the host: one gradient per network.
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(count); ++i) {
      out[i].facts = point_facts(m, d, weights + std::size_t(i) * P);
      out[i].has_spectrum = out[i].facts.finite;
    }
    upload(m_X64, d.X);
    upload(m_Y64, d.Y);
    const std::size_t ws_per = math::hessian_workspace(s) + 2 * P;
    const std::size_t per_net = (P * P + ws_per + 2 * P) * sizeof(double);
    std::size_t batch = std::max<std::size_t>(1, std::min(count, kHessianBytes / per_net));
    std::vector<double> wbuf(batch * P);
    std::vector<int> info(batch);
    m_times = AnalyzeTimes{};
    for (std::size_t first = 0; first < count;) {
      const std::size_t cnt = std::min(batch, count - first);
      // Non-finite points get zero weights on the device so they cannot disturb the batch;
      // their eigenvalues are replaced by NaN below.
      for (std::size_t i = 0; i < cnt; ++i) {
        const double* w = weights + (first + i) * P;
        const bool ok = out[first + i].has_spectrum;
        for (std::size_t k = 0; k < P; ++k) wbuf[i * P + k] = ok ? w[k] : 0.0;
      }
      try {
        m_w64.resize(cnt * P);
        m_H.resize(cnt * P * P);
        m_ws64.resize(cnt * ws_per);
        m_eig.resize(cnt * P);
        m_info.resize(cnt);
      } catch (const DeviceOutOfMemory&) {
        if (batch <= 1) throw;
        batch /= 2;  // retry this part of the chunk in smaller Hessian batches
        continue;
      }
      LS_CUDA_CHECK(cudaMemcpyAsync(m_w64.data(), wbuf.data(), cnt * P * sizeof(double),
                                    cudaMemcpyHostToDevice, m_stream));
      LS_CUDA_CHECK(cudaEventRecord(m_ev[0], m_stream));
      kernels::launch_hessian(dims, m_X64.data(), m_Y64.data(), m_w64.data(), m_H.data(),
                              m_ws64.data(), cnt, m_stream);
      LS_CUDA_CHECK(cudaEventRecord(m_ev[1], m_stream));
      eigensolve(int(P), int(cnt));
      LS_CUDA_CHECK(cudaEventRecord(m_ev[2], m_stream));
      double* ev = eigenvalues + first * P;
      LS_CUDA_CHECK(cudaMemcpyAsync(ev, m_eig.data(), cnt * P * sizeof(double),
                                    cudaMemcpyDeviceToHost, m_stream));
      LS_CUDA_CHECK(cudaMemcpyAsync(info.data(), m_info.data(), cnt * sizeof(int),
                                    cudaMemcpyDeviceToHost, m_stream));
      LS_CUDA_CHECK(cudaStreamSynchronize(m_stream));
      float ms_h = 0, ms_e = 0;
      LS_CUDA_CHECK(cudaEventElapsedTime(&ms_h, m_ev[0], m_ev[1]));
      LS_CUDA_CHECK(cudaEventElapsedTime(&ms_e, m_ev[1], m_ev[2]));
      m_times.hessian += ms_h * 1e-3;
      m_times.eigen += ms_e * 1e-3;
      for (std::size_t i = 0; i < cnt; ++i) {
        EndpointAnalysis& a = out[first + i];
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

 private:
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
  template <class T>
  void train_as(const Model& m, const Dataset& d, const math::TrainParams& p, std::size_t count,
                double* weights, math::TrainOutcome* outcomes, double* curves) {
    const math::Shape s = m.shape(d.n);
    const std::size_t P = math::param_count(s);
    const kernels::Dims dims = make_dims(m, d.n);
    const cudaStream_t st = m_train_stream;
    // Host copies in T. Copies from pageable memory are staged before cudaMemcpyAsync returns,
    // and device-to-host ones return when done; they stay alive to the end regardless.
    const std::vector<T> xt(d.X.begin(), d.X.end()), yt(d.Y.begin(), d.Y.end());
    std::vector<T> wt(weights, weights + count * P);
    const std::size_t curve_size = curves ? count * std::size_t(p.curve_len) : 0;
    StreamBuffer<T> X(xt.size(), st, m_pools), Y(yt.size(), st, m_pools), w(wt.size(), st, m_pools),
        ws(count * math::train_workspace(s), st, m_pools);
    StreamBuffer<math::TrainOutcome> o(count, st, m_pools);
    StreamBuffer<double> c(curve_size, st, m_pools);
    LS_CUDA_CHECK(
        cudaMemcpyAsync(X.data(), xt.data(), xt.size() * sizeof(T), cudaMemcpyHostToDevice, st));
    LS_CUDA_CHECK(
        cudaMemcpyAsync(Y.data(), yt.data(), yt.size() * sizeof(T), cudaMemcpyHostToDevice, st));
    LS_CUDA_CHECK(
        cudaMemcpyAsync(w.data(), wt.data(), wt.size() * sizeof(T), cudaMemcpyHostToDevice, st));
    kernels::launch_train<T>(dims, X.data(), Y.data(), w.data(), ws.data(), count, p, o.data(),
                             curves ? c.data() : nullptr, st);
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
    std::copy(wt.begin(), wt.end(), weights);
  }

  /// Values-only symmetric eigensolve of the `batch` matrices in m_H into m_eig, info in m_info.
  void eigensolve(int P, int batch) {
    if (P <= kSyevjMaxN) {
      int lwork = 0;
      LS_CUSOLVER_CHECK(cusolverDnDsyevjBatched_bufferSize(
          m_solver, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER, P, m_H.data(), P,
          m_eig.data(), &lwork, m_syevj, batch));
      m_work.resize(std::size_t(std::max(lwork, 1)));
      LS_CUSOLVER_CHECK(cusolverDnDsyevjBatched(m_solver, CUSOLVER_EIG_MODE_NOVECTOR,
                                                CUBLAS_FILL_MODE_LOWER, P, m_H.data(), P,
                                                m_eig.data(), m_work.data(), lwork, m_info.data(),
                                                m_syevj, batch));
      return;
    }
    std::size_t dev_bytes = 0, host_bytes = 0;
    LS_CUSOLVER_CHECK(cusolverDnXsyevBatched_bufferSize(
        m_solver, m_params, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER, P, CUDA_R_64F,
        m_H.data(), P, CUDA_R_64F, m_eig.data(), CUDA_R_64F, &dev_bytes, &host_bytes, batch));
    m_work.resize(dev_bytes / sizeof(double) + 1);
    m_host_work.resize(host_bytes + 1);
    LS_CUSOLVER_CHECK(cusolverDnXsyevBatched(
        m_solver, m_params, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER, P, CUDA_R_64F,
        m_H.data(), P, CUDA_R_64F, m_eig.data(), CUDA_R_64F, m_work.data(), dev_bytes,
        m_host_work.data(), host_bytes, m_info.data(), batch));
  }

  int m_device;
  std::string m_name;
  int m_sms = 0, m_major = 0;
  double m_clock_khz = 0;
  bool m_pools = false;             ///< stream-ordered allocation (cudaMallocAsync) is supported
  cudaStream_t m_stream = nullptr;  ///< analyze()
  cudaStream_t m_train_stream = nullptr;  ///< train(), which may run on another thread
  cudaEvent_t m_train_done = nullptr;     ///< end of a training kernel (blocking sync)
  cudaEvent_t m_ev[3] = {};
  cusolverDnHandle_t m_solver = nullptr;
  syevjInfo_t m_syevj = nullptr;
  cusolverDnParams_t m_params = nullptr;
  DeviceBuffer<double> m_X64, m_Y64, m_w64, m_H, m_ws64, m_eig, m_work;
  DeviceBuffer<int> m_info;
  std::vector<char> m_host_work;
};

}  // namespace

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

std::unique_ptr<Backend> make_cuda_backend(int device) {
  return std::make_unique<CudaBackend>(device);
}

}  // namespace landscape
