// Launchers for the per-network kernels: training (one thread per network) and exact float64
// Hessians (one thread per network and column). Included only by CUDA translation units.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <functional>

#include "landscape/math/facts.hpp"
#include "landscape/math/train.hpp"

namespace landscape::kernels {

/// Layer widths passed by value to kernels (no device allocation for a handful of ints).
inline constexpr int kMaxDepth = 16;
struct Dims {
  int h = 0;
  int d[kMaxDepth + 1] = {};
  int n = 0;
  double slope = 1.0;
};

/// The math's view of `d` (its dims point into `d`, which must outlive the result).
__host__ __device__ inline math::Shape to_shape(const Dims& d) {
  math::Shape s;
  s.h = d.h;
  s.dims = d.d;
  s.n = d.n;
  s.slope = d.slope;
  return s;
}

/// One training launch, passed by value to the kernels: `count` networks trained in place
/// (weights count × P in T) on the data X (d0 × n) and Y (dh × n), all device pointers, with
/// one outcome each and, when `curves` is non-null, params.curve_len loss slots each.
template <class T>
struct TrainBatch {
  Dims dims;
  const T* X = nullptr;
  const T* Y = nullptr;
  T* weights = nullptr;
  std::size_t count = 0;
  math::TrainParams params;
  math::TrainOutcome* outcomes = nullptr;
  double* curves = nullptr;
};

/// Global scratch for the general training kernel: returns a device pointer to `values` values
/// of T that stay valid for work queued on the launch stream (or throws).
template <class T>
using TrainScratch = std::function<T*(std::size_t values)>;

/// Trains the batch's networks in place: the fused kernel where the shape
/// has one, else one thread per network with the data in shared memory and the network's
/// weights and scratch in a fixed-size local array when they fit, else in global scratch from
/// `scratch` (count × (P + train_workspace(shape)) values, interleaved across the networks),
/// which is asked for only on that path.
template <class T>
void launch_train(const TrainBatch<T>& batch, const TrainScratch<T>& scratch, cudaStream_t stream);

// Each precision is instantiated in its own generated translation unit (train_instance.cu.in)
// with its own FMA setting; no other file may instantiate them.
extern template void launch_train<float>(const TrainBatch<float>&, const TrainScratch<float>&,
                                         cudaStream_t);
extern template void launch_train<double>(const TrainBatch<double>&, const TrainScratch<double>&,
                                          cudaStream_t);

/// Trains the batch's networks with the fused kernel of a hot shape (math/train_fused.hpp) and returns
/// true, or returns false without launching when the shape has no fused kernel, the data do not
/// fit in shared memory, or LANDSCAPE_CUDA_FUSED=0 asks for the general kernels.
template <class T>
bool launch_fused_train(const TrainBatch<T>& batch, cudaStream_t stream);

/// Threads per block of the Hessian kernels; column-kernel thread counts are multiples of it.
inline constexpr int kHessianBlock = 128;

/// Global scratch (doubles) per column-kernel thread for this shape: 0 where the kernel keeps
/// its scratch in a local array (small networks), else math::column_workspace.
std::size_t hessian_column_scratch(const Dims& dims);

/// Column-kernel threads resident at once on the current device (`sms` multiprocessors at the
/// occupancy of the kernel this shape takes): more threads only cost scratch.
std::size_t hessian_resident_threads(const Dims& dims, int sms);

/// Bytes the driver reserves for the local memory of a kernel (`attr.localSizeBytes` for every
/// thread the current device can hold, which it sets aside at the kernel's first launch and
/// keeps); out-of-memory retries cannot shrink it, so memory planning counts it up front.
std::size_t local_memory_reservation(const void* kernel);

/// The same for the Hessian kernels this shape takes (the largest of them).
std::size_t hessian_local_bytes(const Dims& dims);

/// True when training this shape takes a fused kernel (a hot shape, LANDSCAPE_CUDA_FUSED not 0).
bool has_fused_kernel(const Dims& dims);

/// The same for the general training kernel this shape takes in precision T: 0 for a fused
/// shape (its state lives in registers and shared memory; its few spills fit in the fixed
/// headroom) and for the global-scratch kernel, which has no local array.
template <class T>
std::size_t train_local_bytes(const Dims& dims);
extern template std::size_t train_local_bytes<float>(const Dims&);
extern template std::size_t train_local_bytes<double>(const Dims&);

/// Device buffers of one Hessian batch of `count` networks (sizes in doubles; shape s, P params).
struct HessianBuffers {
  double* H = nullptr;             ///< count × P × P: the batched eigensolver's input
  double* prepared = nullptr;      ///< count × math::prepared_size(s)
  double* gradient = nullptr;      ///< count × P (the preparation's gradient)
  math::PointFacts* facts = nullptr;  ///< count: first-order facts; not finite → zero Hessian
  double* columns = nullptr;       ///< column_threads × hessian_column_scratch(dims), if > 0
  std::size_t column_threads = 0;  ///< column-kernel threads, a positive multiple of kHessianBlock
};

/// One Hessian launch, passed by value to the kernels: `count` networks (weights count × P, any
/// values) on the data X, Y (device pointers), into the buffers `buf`.
struct HessianBatch {
  Dims dims;
  const double* X = nullptr;
  const double* Y = nullptr;
  const double* weights = nullptr;
  std::size_t count = 0;
  HessianBuffers buf;
};

/// Exact float64 Hessians of the batch's networks into buf.H, symmetrized exactly as
/// math::hessian does (symmetric, so row- and column-major coincide), and their first-order
/// facts into buf.facts; a network whose facts are not finite gets a zero matrix. Three
/// kernels: per-network preparation, then (network, column) work items over a grid of
/// column_threads threads, then the symmetrization.
void launch_hessian(const HessianBatch& batch, cudaStream_t stream);

}  // namespace landscape::kernels
