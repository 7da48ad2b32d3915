// Exact float64 Hessians of a batch of networks, spread over (network, column) work items so
// that even a few thousand networks with P in the hundreds fill the GPU. The math is the
// single-source code of landscape/math/hessian.hpp, which the CPU tests replay.
#include <algorithm>

#include "landscape/math/hessian.hpp"
#include "launchers.cuh"
#include "cuda_check.cuh"

namespace landscape::kernels {
namespace {

// One thread per network: forward pass and every G_i, stored once and read by all P column
// items of the network, and the point's first-order facts (loss, gradient norm, kink distance).
// This is 1/P of the Hessian's work, so one thread each is enough.
__global__ void hessian_prepare_kernel(HessianBatch hb) {
  const std::size_t b = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (b >= hb.count) return;
  const math::Shape s = to_shape(hb.dims);
  const std::size_t P = math::param_count(s);
  hb.buf.facts[b] = math::prepare_network_facts(s, hb.X, hb.Y, hb.weights + b * P,
                                                hb.buf.prepared + b * math::prepared_size(s),
                                                hb.buf.gradient + b * P);
}

// Persistent grid: each thread owns one slice of `ws` and walks the items tid, tid + threads, …,
// so the scratch is sized by the grid, not by count × P. Consecutive threads take consecutive
// columns of the same network: a warp reads the same activations, G_i and X (served by L1/L2)
// and the same only_layer keeps it on one control path.
//
// The slices are interleaved (element k of thread t at ws[k·threads + t], math::Strided), so a
// warp's accesses to the same element of its 32 slices are one coalesced access. This is the
// path for large networks; smaller ones take the local-array kernel below.
__global__ void hessian_column_kernel(HessianBatch hb) {
  const math::Shape s = to_shape(hb.dims);
  const std::size_t tid = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t threads = std::size_t(gridDim.x) * blockDim.x;
  const math::Strided<double> my_ws{hb.buf.columns + tid, threads};
  const std::size_t items = hb.count * math::param_count(s);
  for (std::size_t item = tid; item < items; item += threads)
    math::hessian_batch_column(s, hb.X, hb.weights, hb.buf.prepared, hb.buf.facts, hb.buf.H,
                               item, my_ws);
}

// The same walk with the scratch in a fixed-size local array: the hardware interleaves local
// memory across the threads of a warp, so the accesses that are strided in the global fallback
// are coalesced here, and nothing is allocated. CW bounds column_workspace(s).
template <int CW>
__global__ void hessian_column_local_kernel(HessianBatch hb) {
  const math::Shape s = to_shape(hb.dims);
  const std::size_t tid = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t threads = std::size_t(gridDim.x) * blockDim.x;
  double ws[CW];
  const std::size_t items = hb.count * math::param_count(s);
  for (std::size_t item = tid; item < items; item += threads)
    math::hessian_batch_column(s, hb.X, hb.weights, hb.buf.prepared, hb.buf.facts, hb.buf.H,
                               item, ws);
}

// Local-array sizes (doubles per thread): W-S needs 832, W-P 1,472. The driver reserves a
// kernel's local memory (a 12.3 KB frame for the larger variant) for every thread the device
// can hold, up to 3.4 GB of an H100, inside the headroom the batch planner leaves; W-M (5,120)
// takes the global scratch.
constexpr int kLocalSmall = 1024, kLocalLarge = 1536;

/// The local-array variant for `cw` scratch values per thread, or 0 for the global scratch.
int local_variant(std::size_t cw) {
  return cw <= std::size_t(kLocalSmall) ? kLocalSmall : cw <= std::size_t(kLocalLarge) ? kLocalLarge : 0;
}

// One item per entry of every matrix (half of them idle: only i < j averages a pair). Reads
// of H_ij are coalesced, reads of H_ji strided; this pass is O(P²) per network against the
// O(P²·n·Σd) of the columns.
__global__ void hessian_symmetrize_kernel(double* H, std::size_t P, std::size_t count) {
  const std::size_t items = count * P * P;
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  for (std::size_t item = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; item < items;
       item += stride)
    math::hessian_batch_symmetrize(H, P, item);
}

// Grid-stride kernels need no more blocks than this to fill an H100/H200 many times over.
constexpr std::size_t kMaxGridBlocks = std::size_t(1) << 16;

unsigned blocks_for(std::size_t items) {
  return unsigned(std::min(kMaxGridBlocks, (items + kHessianBlock - 1) / kHessianBlock));
}

}  // namespace

std::size_t hessian_column_scratch(const Dims& dims) {
  const std::size_t cw = math::column_workspace(to_shape(dims));
  return local_variant(cw) ? 0 : cw;
}

std::size_t local_memory_reservation(const void* kernel) {
  cudaFuncAttributes attr{};
  LS_CUDA_CHECK(cudaFuncGetAttributes(&attr, kernel));
  int device = 0, per_sm = 0, sms = 0;
  LS_CUDA_CHECK(cudaGetDevice(&device));
  LS_CUDA_CHECK(cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, device));
  LS_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return std::size_t(attr.localSizeBytes) * std::size_t(per_sm) * std::size_t(sms);
}

std::size_t hessian_local_bytes(const Dims& dims) {
  const void* column = nullptr;
  switch (local_variant(math::column_workspace(to_shape(dims)))) {
    case kLocalSmall: column = reinterpret_cast<const void*>(hessian_column_local_kernel<kLocalSmall>); break;
    case kLocalLarge: column = reinterpret_cast<const void*>(hessian_column_local_kernel<kLocalLarge>); break;
    default: column = reinterpret_cast<const void*>(hessian_column_kernel);
  }
  return std::max(local_memory_reservation(column),
                  local_memory_reservation(reinterpret_cast<const void*>(hessian_prepare_kernel)));
}

std::size_t hessian_resident_threads(const Dims& dims, int sms) {
  int blocks = 0;
  switch (local_variant(math::column_workspace(to_shape(dims)))) {
    case kLocalSmall:
      LS_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
          &blocks, hessian_column_local_kernel<kLocalSmall>, kHessianBlock, 0));
      break;
    case kLocalLarge:
      LS_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
          &blocks, hessian_column_local_kernel<kLocalLarge>, kHessianBlock, 0));
      break;
    default:
      LS_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, hessian_column_kernel,
                                                                  kHessianBlock, 0));
  }
  return std::size_t(std::max(blocks, 1)) * std::size_t(std::max(sms, 1)) * kHessianBlock;
}

void launch_hessian(const HessianBatch& hb, cudaStream_t stream) {
  const Dims& dims = hb.dims;
  const HessianBuffers& buf = hb.buf;
  const std::size_t count = hb.count;
  if (count == 0) return;
  if (buf.column_threads == 0 || buf.column_threads % kHessianBlock != 0)
    throw Error("launch_hessian: column_threads must be a positive multiple of " +
                std::to_string(kHessianBlock));
  const std::size_t P = math::param_count(to_shape(dims));
  hessian_prepare_kernel<<<unsigned((count + kHessianBlock - 1) / kHessianBlock), kHessianBlock, 0,
                           stream>>>(hb);
  LS_CUDA_CHECK(cudaGetLastError());
  const unsigned column_blocks = unsigned(buf.column_threads / kHessianBlock);
  switch (local_variant(math::column_workspace(to_shape(dims)))) {
    case kLocalSmall:
      hessian_column_local_kernel<kLocalSmall><<<column_blocks, kHessianBlock, 0, stream>>>(hb);
      break;
    case kLocalLarge:
      hessian_column_local_kernel<kLocalLarge><<<column_blocks, kHessianBlock, 0, stream>>>(hb);
      break;
    default:
      if (buf.columns == nullptr) throw Error("launch_hessian: no column scratch for this shape");
      hessian_column_kernel<<<column_blocks, kHessianBlock, 0, stream>>>(hb);
  }
  LS_CUDA_CHECK(cudaGetLastError());
  hessian_symmetrize_kernel<<<blocks_for(count * P * P), kHessianBlock, 0, stream>>>(buf.H, P,
                                                                                     count);
  LS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace landscape::kernels
