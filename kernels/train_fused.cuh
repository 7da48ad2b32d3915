// Fused training kernels for the hot shapes: one launch trains a whole chunk (no launch per step), with
// the data staged once per block in shared memory and each network's state in registers
// (StreamTrainer) or in its group's shared memory and registers (GroupTrainer). The math and
// the control flow are math/train_fused.hpp, tested on the CPU; this header only maps lanes to
// threads.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "landscape/math/train_fused.hpp"
#include "launchers.cuh"
#include "cuda_check.cuh"

namespace landscape::kernels {

using FusedWS = math::StaticShape<6, 4, 4, 6>;      ///< W-S and examples/default.toml
using FusedWM = math::StaticShape<16, 16, 16, 16>;  ///< W-M
using FusedWP = math::StaticShape<32, 16, 8, 4>;    ///< W-P

namespace fused_detail {

// ---------------------------------------------------------------------------------- kernels

/// Runs a group trainer's phases on the G threads of one group: each thread is one lane, and a
/// warp-level barrier over the group's lanes ends every phase (it also orders their shared
/// memory accesses). Groups never span warps (G divides 32).
template <class Trainer, int G>
struct WarpGroupRunner {
  typename Trainer::Lane state;
  int lane;
  unsigned mask;
  template <class F>
  __host__ __device__ __forceinline__ void each(F&& f) {
#if defined(__CUDA_ARCH__)
    f(lane, state);
    __syncwarp(mask);
#endif
  }
  __host__ __device__ bool leader() const { return lane == 0; }
};

template <class S, class T, math::OptimizerKind K>
__global__ void __launch_bounds__(128) stream_train_kernel(TrainBatch<T> b) {
  using Tr = math::StreamTrainer<S, T>;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  const int n = b.dims.n;
  T* Xs = reinterpret_cast<T*>(smem_raw);
  T* Ys = math::stage_data<Tr>(b.X, b.Y, n, Xs, int(threadIdx.x), int(blockDim.x));
  __syncthreads();
  const T slope = T(b.dims.slope);
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  for (std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < b.count; i += stride) {
    double* curve = b.curves ? b.curves + i * std::size_t(b.params.curve_len) : nullptr;
    b.outcomes[i] = Tr::template train_with<K>(Xs, Ys, n, b.weights + i * S::P, b.params, slope, curve);
  }
}

template <class S, int G, int SPL, class T, math::OptimizerKind K>
__global__ void group_train_kernel(TrainBatch<T> b) {
  using Tr = math::GroupTrainer<S, G, SPL, T>;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  const int n = b.dims.n;
  T* Xs = reinterpret_cast<T*>(smem_raw);
  T* Ys = math::stage_data<Tr>(b.X, b.Y, n, Xs, int(threadIdx.x), int(blockDim.x));
  __syncthreads();
  const int groups_per_block = int(blockDim.x) / G;
  const int group = int(threadIdx.x) / G;
  WarpGroupRunner<Tr, G> run;
  run.lane = int(threadIdx.x) % G;
  const int warp_lane = int(threadIdx.x) % 32;
  run.mask = G == 32 ? 0xffffffffu : (((1u << G) - 1u) << (warp_lane / G * G));
  const auto sm = Tr::Smem::carve(Ys + std::size_t(n) * Tr::y_stride() + std::size_t(group) * Tr::group_stride(n), n);
  const T slope = T(b.dims.slope);
  const std::size_t stride = std::size_t(gridDim.x) * groups_per_block;
  for (std::size_t i = std::size_t(blockIdx.x) * groups_per_block + group; i < b.count; i += stride) {
    double* curve = b.curves ? b.curves + i * std::size_t(b.params.curve_len) : nullptr;
    const math::TrainOutcome o = Tr::template train_with<K>(run, sm, Xs, Ys, n, b.weights + i * S::P, b.params, slope, curve);
    if (run.lane == 0) b.outcomes[i] = o;
  }
}

// ---------------------------------------------------------------------------------- launchers

struct DeviceLimits {
  int smem_optin = 0;
};

inline DeviceLimits device_limits() {
  int dev = 0;
  LS_CUDA_CHECK(cudaGetDevice(&dev));
  DeviceLimits l;
  LS_CUDA_CHECK(cudaDeviceGetAttribute(&l.smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  return l;
}

/// One block per unit of work (0 when a block does not fit on the device). Not a persistent
/// grid: blocks retire as their networks finish, so the analysis of the previous chunk (on a
/// higher-priority stream) gets SMs while this chunk still trains, and networks that stop
/// early do not leave a statically assigned block idle. Staging the data per block is cheap.
template <class Kernel>
unsigned training_grid(Kernel kernel, int threads, std::size_t smem, std::size_t blocks_of_work) {
  int per_sm = 0;
  LS_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, smem));
  if (per_sm < 1) return 0;
  return unsigned(std::min<std::size_t>(blocks_of_work, 0x7fffffff));
}

template <class S, class T, math::OptimizerKind K>
bool launch_stream_with(const TrainBatch<T>& b, cudaStream_t stream) {
  const Dims& d = b.dims;
  const std::size_t count = b.count;
  using Tr = math::StreamTrainer<S, T>;
  const DeviceLimits lim = device_limits();
  const std::size_t smem = Tr::data_values(d.n) * sizeof(T);
  if (smem > std::size_t(lim.smem_optin)) return false;
  auto kernel = stream_train_kernel<S, T, K>;
  LS_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  constexpr int kThreads = 128;
  const unsigned grid = training_grid(kernel, kThreads, smem, (count + kThreads - 1) / kThreads);
  if (grid == 0) return false;
  kernel<<<grid, kThreads, smem, stream>>>(b);
  LS_CUDA_CHECK(cudaGetLastError());
  return true;
}

template <class S, int G, int SPL, class T, math::OptimizerKind K>
bool launch_group_with(const TrainBatch<T>& b, cudaStream_t stream) {
  const Dims& d = b.dims;
  const std::size_t count = b.count;
  using Tr = math::GroupTrainer<S, G, SPL, T>;
  if (d.n > Tr::MAX_N) return false;
  const DeviceLimits lim = device_limits();
  const std::size_t data = Tr::data_values(d.n) * sizeof(T);
  const std::size_t group = Tr::group_stride(d.n) * sizeof(T);
  // Four warps per block where shared memory allows, in whole warps; fewer groups otherwise.
  constexpr int kGroupsPerWarp = 32 / G;
  int groups = 4 * kGroupsPerWarp;
  while (groups > kGroupsPerWarp && data + std::size_t(groups) * group > std::size_t(lim.smem_optin))
    groups -= kGroupsPerWarp;
  const std::size_t smem = data + std::size_t(groups) * group;
  if (smem > std::size_t(lim.smem_optin)) return false;
  auto kernel = group_train_kernel<S, G, SPL, T, K>;
  LS_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  const int threads = groups * G;
  const unsigned grid = training_grid(kernel, threads, smem, (count + std::size_t(groups) - 1) / std::size_t(groups));
  if (grid == 0) return false;
  kernel<<<grid, threads, smem, stream>>>(b);
  LS_CUDA_CHECK(cudaGetLastError());
  return true;
}

// ------------------------------------------------------------------- instances and dispatch

// How each hot shape trains: one thread per network (W-S), or G lanes per network with SPL
// samples per lane (W-M: a warp, two samples a lane; W-P: half a warp, one sample a lane).
#define LS_FUSED_WS(T, K) launch_stream_with<FusedWS, T, math::OptimizerKind::K>
#define LS_FUSED_WM(T, K) launch_group_with<FusedWM, 32, 2, T, math::OptimizerKind::K>
#define LS_FUSED_WP(T, K) launch_group_with<FusedWP, 16, 1, T, math::OptimizerKind::K>
#define LS_FUSED_SIGNATURE(T) (const TrainBatch<T>&, cudaStream_t)

// Every (shape, precision, optimizer) kernel is compiled in a translation unit of its own,
// generated by CMake from fused_instance.cu.in, so that the eighteen compile in parallel;
// everywhere else they are only declared.
#define LS_FUSED_EXTERN(SHAPE)                                                                 \
  extern template bool SHAPE(float, gd) LS_FUSED_SIGNATURE(float);                            \
  extern template bool SHAPE(float, momentum) LS_FUSED_SIGNATURE(float);                      \
  extern template bool SHAPE(float, adam) LS_FUSED_SIGNATURE(float);                          \
  extern template bool SHAPE(double, gd) LS_FUSED_SIGNATURE(double);                          \
  extern template bool SHAPE(double, momentum) LS_FUSED_SIGNATURE(double);                    \
  extern template bool SHAPE(double, adam) LS_FUSED_SIGNATURE(double);
LS_FUSED_EXTERN(LS_FUSED_WS)
LS_FUSED_EXTERN(LS_FUSED_WM)
LS_FUSED_EXTERN(LS_FUSED_WP)

/// Launches SHAPE's kernel for the optimizer p.kind (each optimizer has its own kernel, so each
/// gets its own register allocation) and returns its result.
#define LS_FUSED_DISPATCH(SHAPE, T, ...)                                                       \
  switch (p.kind) {                                                                            \
    case math::OptimizerKind::gd: return SHAPE(T, gd)(__VA_ARGS__);                            \
    case math::OptimizerKind::momentum: return SHAPE(T, momentum)(__VA_ARGS__);                \
    default: return SHAPE(T, adam)(__VA_ARGS__);                                               \
  }

}  // namespace fused_detail
}  // namespace landscape::kernels
