// Per-network training kernels running the single-source math. One thread owns one network and
// a private slice of global scratch; this is the general path for any dims. Included by one
// generated translation unit per precision (train_instance.cu.in), so that float64 can be
// compiled without FMA contraction and float32 with it.
#pragma once

#include "landscape/math/network.hpp"
#include "landscape/math/train.hpp"
#include "launchers.cuh"
#include "cuda_check.cuh"

namespace landscape::kernels {
namespace {

// One thread per network with its weights and scratch in global memory, interleaved across the
// networks of the launch (value k of network i at ws[k·count + i], math::Strided) so that a
// warp's accesses to the same value of its 32 networks are one coalesced access. The weights
// are copied in and out of that layout around training.
template <class T>
__global__ void train_kernel(TrainBatch<T> b, T* ws) {
  const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= b.count) return;
  const math::Shape s = to_shape(b.dims);
  const std::size_t P = math::param_count(s);
  const math::Strided<T> w{ws + i, b.count};
  const math::Strided<T> scratch = w + P;
  for (std::size_t k = 0; k < P; ++k) w[k] = b.weights[i * P + k];
  double* curve = b.curves ? b.curves + i * std::size_t(b.params.curve_len) : nullptr;
  b.outcomes[i] = math::train_network(s, b.X, b.Y, w, b.params, scratch, curve);
  for (std::size_t k = 0; k < P; ++k) b.weights[i * P + k] = w[k];
}

// Hot path for small networks: the data lives in shared memory (read by every network of the
// block) and each network's weights and scratch in a fixed-size local array. Local memory is
// interleaved across the threads of a warp by the hardware, so the per-network accesses that
// are strided by the workspace size in the global fallback become coalesced here.
template <class T, int WS>
__global__ void train_local_kernel(TrainBatch<T> b) {
  extern __shared__ unsigned char smem_raw[];
  T* sX = reinterpret_cast<T*>(smem_raw);
  const int nx = b.dims.d[0] * b.dims.n, ny = b.dims.d[b.dims.h] * b.dims.n;
  T* sY = sX + nx;
  for (int k = threadIdx.x; k < nx; k += blockDim.x) sX[k] = b.X[k];
  for (int k = threadIdx.x; k < ny; k += blockDim.x) sY[k] = b.Y[k];
  __syncthreads();
  const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= b.count) return;
  const math::Shape s = to_shape(b.dims);
  const std::size_t P = math::param_count(s);
  T local[WS];
  T* w = local;
  T* ws = local + P;
  for (std::size_t k = 0; k < P; ++k) w[k] = b.weights[i * P + k];
  double* curve = b.curves ? b.curves + i * std::size_t(b.params.curve_len) : nullptr;
  b.outcomes[i] = math::train_network(s, sX, sY, w, b.params, ws, curve);
  for (std::size_t k = 0; k < P; ++k) b.weights[i * P + k] = w[k];
}

constexpr int kBlock = 128;

// The shared-memory budget is the default 48 KiB per block. The local array is capped at
// 8 KiB a thread: the driver reserves a kernel's local memory for every thread the device can
// hold (about 270,000 on an H100, so 2.2 GB at the cap), memory the Hessian batches of the
// other stream would otherwise use (the backend counts it: train_local_bytes).
constexpr std::size_t kSmemLimit = 48 * 1024;
template <class T>
constexpr int kLocalValues = int(8 * 1024 / sizeof(T));

unsigned grid_for(std::size_t count) { return unsigned((count + kBlock - 1) / kBlock); }

}  // namespace

/// True when launch_train takes the local-array kernel for this shape (the data within the
/// shared-memory budget and the network within the local array).
template <class T>
bool uses_local_train_kernel(const Dims& dims) {
  const math::Shape s = to_shape(dims);
  const std::size_t need = math::train_workspace(s) + math::param_count(s);
  const std::size_t smem = std::size_t(dims.d[0] + dims.d[dims.h]) * std::size_t(dims.n) * sizeof(T);
  return need <= std::size_t(kLocalValues<T>) && smem <= kSmemLimit;
}

template <class T>
std::size_t train_local_bytes(const Dims& dims) {
  if (has_fused_kernel(dims) || !uses_local_train_kernel<T>(dims)) return 0;
  return local_memory_reservation(reinterpret_cast<const void*>(train_local_kernel<T, kLocalValues<T>>));
}

template <class T>
void launch_train(const TrainBatch<T>& b, const TrainScratch<T>& scratch, cudaStream_t stream) {
  const Dims& dims = b.dims;
  const std::size_t count = b.count;
  if (count == 0) return;
  if (launch_fused_train<T>(b, stream)) return;
  const math::Shape s = to_shape(dims);
  const std::size_t smem = std::size_t(dims.d[0] + dims.d[dims.h]) * std::size_t(dims.n) * sizeof(T);
  if (uses_local_train_kernel<T>(dims)) {
    train_local_kernel<T, kLocalValues<T>><<<grid_for(count), kBlock, smem, stream>>>(b);
  } else {
    T* ws = scratch(count * (math::param_count(s) + math::train_workspace(s)));
    train_kernel<T><<<grid_for(count), kBlock, 0, stream>>>(b, ws);
  }
  LS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace landscape::kernels
