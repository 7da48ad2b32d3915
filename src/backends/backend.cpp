// Backend selection.
#include "landscape/backends/backend.hpp"

#include "landscape/core/common.hpp"

#ifdef LANDSCAPE_HAVE_CUDA
#include "landscape/backends/cuda/cuda_backend.hpp"
#endif

namespace landscape {


bool cuda_available() {
#ifdef LANDSCAPE_HAVE_CUDA
  return cuda_device_count() > 0;
#else
  return false;
#endif
}

std::unique_ptr<Backend> make_backend(const std::string& kind, int threads) {
  if (kind == "cpu") return make_cpu_backend(threads);
  if (kind == "cuda") {
#ifdef LANDSCAPE_HAVE_CUDA
    if (!cuda_available())
      throw Error("backend: 'cuda' requested but no CUDA device can be used (" +
                  cuda_unavailable_reason() + ")");
    return make_cuda_backend();
#else
    throw Error("backend: 'cuda' requested but this build has no CUDA backend (nvcc not found)");
#endif
  }
  if (kind == "auto") {
#ifdef LANDSCAPE_HAVE_CUDA
    if (cuda_available()) return make_cuda_backend();
#endif
    return make_cpu_backend(threads);
  }
  throw Error("backend: unknown backend '" + kind + "' (expected auto, cpu or cuda)");
}

}  // namespace landscape
