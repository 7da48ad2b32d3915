// Probes the batch sizes the batched eigensolvers accept on this device and toolkit, in seconds:
// for each matrix size n and batch b (doubling), the workspace query of
// cusolverDnDsyevjBatched (n ≤ 32) and cusolverDnXsyevBatched, and optionally (--solve) one
// call on identity matrices at the sizes the query accepted. One JSON object per line on
// stdout: {"solver", "n", "batch", "query_status", "workspace_bytes", "solve_status"}.
// The CUDA backend caps its solver calls (LANDSCAPE_CUDA_SOLVER_BATCH overrides the cap); this
// tells where the real limits are.
//
//   landscape_solver_probe [--n 20,32,64,672,768] [--min 1024] [--max 262144] [--solve]
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
  std::vector<int> sizes{20, 32, 64, 672, 768};
  long min_batch = 1024, max_batch = 262144;
  bool solve = false;
};

std::vector<int> parse_list(const char* s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--n" && has_value) o.sizes = parse_list(argv[++i]);
    else if (a == "--min" && has_value) o.min_batch = std::atol(argv[++i]);
    else if (a == "--max" && has_value) o.max_batch = std::atol(argv[++i]);
    else if (a == "--solve") o.solve = true;
    else return false;
  }
  return o.min_batch >= 1 && o.max_batch >= o.min_batch && !o.sizes.empty();
}

/// Fills `count` n×n matrices at A with the identity (a valid input for a one-call solve).
__global__ void identity_kernel(double* A, int n, std::size_t count) {
  const std::size_t nn = std::size_t(n) * n;
  for (std::size_t k = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; k < count * nn;
       k += std::size_t(gridDim.x) * blockDim.x)
    A[k] = (k % nn) % (n + 1) == 0 ? 1.0 : 0.0;
}

struct Probe {
  cusolverDnHandle_t handle = nullptr;
  cusolverDnParams_t params = nullptr;
  syevjInfo_t syevj = nullptr;
};

/// One line for `solver` at (n, batch): the query's status and workspace, then a solve.
void probe(Probe& p, bool xsyev, int n, long batch, bool solve) {
  double *A = nullptr, *W = nullptr;
  void* work = nullptr;
  int* info = nullptr;
  const std::size_t nn = std::size_t(n) * n;
  // The query gets real pointers to one matrix; a solve needs the whole batch.
  const std::size_t matrices = solve ? std::size_t(batch) : 1;
  cudaError_t alloc = cudaMalloc(&A, matrices * nn * sizeof(double));
  if (alloc == cudaSuccess) alloc = cudaMalloc(&W, matrices * n * sizeof(double));
  if (alloc == cudaSuccess) alloc = cudaMalloc(&info, matrices * sizeof(int));
  std::size_t dev_bytes = 0, host_bytes = 0;
  int lwork = 0;
  cusolverStatus_t q = CUSOLVER_STATUS_NOT_INITIALIZED;
  if (alloc == cudaSuccess) {
    if (xsyev)
      q = cusolverDnXsyevBatched_bufferSize(p.handle, p.params, CUSOLVER_EIG_MODE_NOVECTOR,
                                            CUBLAS_FILL_MODE_LOWER, n, CUDA_R_64F, A, n, CUDA_R_64F, W,
                                            CUDA_R_64F, &dev_bytes, &host_bytes, std::int64_t(batch));
    else {
      q = cusolverDnDsyevjBatched_bufferSize(p.handle, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER,
                                             n, A, n, W, &lwork, p.syevj, int(batch));
      dev_bytes = std::size_t(lwork < 0 ? 0 : lwork) * sizeof(double);
    }
  }
  std::string solve_status = "not_run";
  if (solve && alloc == cudaSuccess && q == CUSOLVER_STATUS_SUCCESS) {
    std::vector<char> host(host_bytes ? host_bytes : 1);
    if (cudaMalloc(&work, dev_bytes ? dev_bytes : 8) != cudaSuccess) {
      solve_status = "out_of_memory";
    } else {
      identity_kernel<<<1024, 256>>>(A, n, std::size_t(batch));
      const cusolverStatus_t s =
          xsyev ? cusolverDnXsyevBatched(p.handle, p.params, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER,
                                         n, CUDA_R_64F, A, n, CUDA_R_64F, W, CUDA_R_64F, work, dev_bytes,
                                         host.data(), host_bytes, info, std::int64_t(batch))
                : cusolverDnDsyevjBatched(p.handle, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER, n, A, n,
                                          W, static_cast<double*>(work), lwork, info, p.syevj, int(batch));
      const cudaError_t sync = cudaDeviceSynchronize();
      solve_status = s != CUSOLVER_STATUS_SUCCESS ? "status_" + std::to_string(int(s))
                     : sync != cudaSuccess        ? std::string(cudaGetErrorName(sync))
                                                  : "ok";
    }
  }
  std::printf("{\"solver\": \"%s\", \"n\": %d, \"batch\": %ld, \"query_status\": %s, "
              "\"workspace_bytes\": %zu, \"solve_status\": \"%s\"}\n",
              xsyev ? "cusolverDnXsyevBatched" : "cusolverDnDsyevjBatched", n, batch,
              alloc != cudaSuccess ? "\"out_of_memory\"" : std::to_string(int(q)).c_str(), dev_bytes,
              solve_status.c_str());
  std::fflush(stdout);
  cudaFree(A);
  cudaFree(W);
  cudaFree(work);
  cudaFree(info);
  cudaGetLastError();  // an allocation failure is not sticky; keep probing
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: %s [--n 20,32,64,672,768] [--min 1024] [--max 262144] [--solve]\n", argv[0]);
    return 2;
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::fprintf(stderr, "error: no CUDA device: %s\n", cudaGetErrorString(cudaGetLastError()));
    return 1;
  }
  Probe p;
  if (cusolverDnCreate(&p.handle) != CUSOLVER_STATUS_SUCCESS || cusolverDnCreateParams(&p.params) != CUSOLVER_STATUS_SUCCESS ||
      cusolverDnCreateSyevjInfo(&p.syevj) != CUSOLVER_STATUS_SUCCESS) {
    std::fprintf(stderr, "error: cannot create the cuSOLVER handle\n");
    return 1;
  }
  for (int n : o.sizes)
    for (long b = o.min_batch; b <= o.max_batch; b *= 2) {
      if (n <= 32) probe(p, false, n, b, o.solve);  // syevjBatched accepts n ≤ 32 only
      probe(p, true, n, b, o.solve);
    }
  cusolverDnDestroySyevjInfo(p.syevj);
  cusolverDnDestroyParams(p.params);
  cusolverDnDestroy(p.handle);
  return 0;
}
