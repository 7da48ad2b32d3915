// Launchers for the per-network kernels (one thread per network, general fallback for any
// dims). Included only by CUDA translation units.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "landscape/math/optim.hpp"

namespace landscape::kernels {

/// Layer widths passed by value to kernels (no device allocation for a handful of ints).
inline constexpr int kMaxDepth = 16;
struct Dims {
  int h = 0;
  int d[kMaxDepth + 1] = {};
  int n = 0;
  double slope = 1.0;
};

/// Trains `count` networks in place (weights count × P in T): the fused kernel where the shape
/// has one, else one thread per network with the data in shared memory. `ws` holds
/// count × train_workspace(shape) values of T.
template <class T>
void launch_train(const Dims& dims, const T* X, const T* Y, T* weights, T* ws, std::size_t count,
                  const math::TrainParams& params, math::TrainOutcome* outcomes, double* curves,
                  cudaStream_t stream);

/// Trains `count` networks with the fused kernel of a hot shape (math/fused.hpp) and returns
/// true, or returns false without launching when the shape has no fused kernel, the data do not
/// fit in shared memory, or LANDSCAPE_CUDA_FUSED=0 asks for the general kernels.
template <class T>
bool launch_fused_train(const Dims& dims, const T* X, const T* Y, T* weights, std::size_t count,
                        const math::TrainParams& params, math::TrainOutcome* outcomes,
                        double* curves, cudaStream_t stream);

/// Exact float64 Hessians into a batched buffer (count × P × P; symmetric, so row- and
/// column-major coincide). `ws` holds count × (hessian_workspace + P) doubles.
void launch_hessian(const Dims& dims, const double* X, const double* Y, const double* weights,
                    double* H, double* ws, std::size_t count, cudaStream_t stream);

}  // namespace landscape::kernels
