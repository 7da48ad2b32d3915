// Per-network training and Hessian kernels running the single-source math. One thread owns one
// network and a private slice of global scratch; this is the general path for any dims.
#include "landscape/math/network.hpp"
#include "landscape/math/optim.hpp"
#include "network_kernels.cuh"
#include "../src/cuda/cuda_check.cuh"

namespace landscape::kernels {
namespace {

__device__ math::Shape make_shape(const Dims& d) {
  math::Shape s;
  s.h = d.h;
  s.dims = d.d;
  s.n = d.n;
  s.slope = d.slope;
  return s;
}

template <class T>
__global__ void train_kernel(Dims dims, const T* X, const T* Y, T* weights, T* ws,
                             std::size_t count, math::TrainParams params,
                             math::TrainOutcome* outcomes, double* curves) {
  const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const math::Shape s = make_shape(dims);
  const std::size_t P = math::param_count(s);
  double* curve = curves ? curves + i * std::size_t(params.curve_len) : nullptr;
  outcomes[i] = math::train_network(s, X, Y, weights + i * P, params,
                                    ws + i * math::train_workspace(s), curve);
}

__global__ void hessian_kernel(Dims dims, const double* X, const double* Y,
                               const double* weights, double* H, double* ws, std::size_t count) {
  const std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  const math::Shape s = make_shape(dims);
  const std::size_t P = math::param_count(s);
  double* my_ws = ws + i * (math::hessian_workspace(s) + 2 * P);
  // The gradient goes to the tail of this thread's scratch; it is not needed by the caller.
  math::hessian(s, X, Y, weights + i * P, H + i * P * P, my_ws + math::hessian_workspace(s) + P,
                my_ws);
}

constexpr int kBlock = 128;

unsigned grid_for(std::size_t count) { return unsigned((count + kBlock - 1) / kBlock); }

}  // namespace

template <class T>
void launch_train(const Dims& dims, const T* X, const T* Y, T* weights, T* ws, std::size_t count,
                  const math::TrainParams& params, math::TrainOutcome* outcomes, double* curves,
                  cudaStream_t stream) {
  if (count == 0) return;
  train_kernel<T><<<grid_for(count), kBlock, 0, stream>>>(dims, X, Y, weights, ws, count, params,
                                                          outcomes, curves);
  LS_CUDA_CHECK(cudaGetLastError());
}

template void launch_train<float>(const Dims&, const float*, const float*, float*, float*,
                                  std::size_t, const math::TrainParams&, math::TrainOutcome*,
                                  double*, cudaStream_t);
template void launch_train<double>(const Dims&, const double*, const double*, double*, double*,
                                   std::size_t, const math::TrainParams&, math::TrainOutcome*,
                                   double*, cudaStream_t);

void launch_hessian(const Dims& dims, const double* X, const double* Y, const double* weights,
                    double* H, double* ws, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  hessian_kernel<<<grid_for(count), kBlock, 0, stream>>>(dims, X, Y, weights, H, ws, count);
  LS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace landscape::kernels
