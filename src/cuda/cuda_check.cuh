// Check macros for CUDA, cuBLAS and cuSOLVER calls: throw landscape::Error with the failing
// expression and file:line. Library code never exits.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <string>

#include "landscape/common.hpp"

#define LS_CHECK_IMPL(expr, ok, describe)                                                   \
  do {                                                                                      \
    const auto ls_status_ = (expr);                                                         \
    if (!(ls_status_ == (ok)))                                                              \
      throw ::landscape::Error(std::string(__FILE__) + ":" + std::to_string(__LINE__) +     \
                               ": " #expr " failed: " + describe(ls_status_));             \
  } while (0)

namespace landscape::cuda_detail {
inline std::string describe_cuda(cudaError_t e) { return cudaGetErrorString(e); }
inline std::string describe_code(int e) { return "status " + std::to_string(e); }
}  // namespace landscape::cuda_detail

#define LS_CUDA_CHECK(expr) LS_CHECK_IMPL(expr, cudaSuccess, ::landscape::cuda_detail::describe_cuda)
#define LS_CUBLAS_CHECK(expr) \
  LS_CHECK_IMPL(expr, CUBLAS_STATUS_SUCCESS, [](auto s) { return ::landscape::cuda_detail::describe_code(int(s)); })
#define LS_CUSOLVER_CHECK(expr) \
  LS_CHECK_IMPL(expr, CUSOLVER_STATUS_SUCCESS, [](auto s) { return ::landscape::cuda_detail::describe_code(int(s)); })
