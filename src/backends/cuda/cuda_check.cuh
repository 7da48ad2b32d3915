// Check macros for CUDA, cuBLAS and cuSOLVER calls: throw landscape::Error with the failing
// expression and file:line (DeviceOutOfMemory when the device ran out of memory, so callers can
// retry with less). Library code never exits.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <string>

#include "landscape/core/common.hpp"

namespace landscape {

/// The device had no room: for an allocation, for a kernel's local memory at launch, or for a
/// library's internal workspace. The context stays usable, and callers retry with smaller batches.
struct DeviceOutOfMemory : Error {
  using Error::Error;
};

namespace cuda_detail {

[[noreturn]] inline void fail(cudaError_t e, const std::string& where) {
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear it: out of memory is not sticky
    throw DeviceOutOfMemory(where + ": out of device memory");
  }
  throw Error(where + ": " + cudaGetErrorString(e));
}
[[noreturn]] inline void fail(cublasStatus_t s, const std::string& where) {
  if (s == CUBLAS_STATUS_ALLOC_FAILED) throw DeviceOutOfMemory(where + ": out of device memory");
  throw Error(where + ": status " + std::to_string(int(s)));
}
[[noreturn]] inline void fail(cusolverStatus_t s, const std::string& where) {
  if (s == CUSOLVER_STATUS_ALLOC_FAILED) throw DeviceOutOfMemory(where + ": out of device memory");
  throw Error(where + ": status " + std::to_string(int(s)));
}

}  // namespace cuda_detail
}  // namespace landscape

#define LS_CHECK_IMPL(expr, ok)                                                              \
  do {                                                                                       \
    const auto ls_status_ = (expr);                                                          \
    if (!(ls_status_ == (ok)))                                                               \
      ::landscape::cuda_detail::fail(ls_status_, std::string(__FILE__) + ":" +               \
                                                     std::to_string(__LINE__) + ": " #expr " failed"); \
  } while (0)

#define LS_CUDA_CHECK(expr) LS_CHECK_IMPL(expr, cudaSuccess)
#define LS_CUBLAS_CHECK(expr) LS_CHECK_IMPL(expr, CUBLAS_STATUS_SUCCESS)
#define LS_CUSOLVER_CHECK(expr) LS_CHECK_IMPL(expr, CUSOLVER_STATUS_SUCCESS)
