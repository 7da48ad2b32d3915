// Backend selection.
#include "landscape/backend.hpp"

#include "landscape/common.hpp"

#ifdef LANDSCAPE_HAVE_CUDA
#include "landscape/cuda_backend.hpp"
#endif

namespace landscape {

std::string to_string(Precision p) { return p == Precision::f32 ? "float32" : "float64"; }

std::string to_string(math::TrainStatus s) {
  switch (s) {
    case math::TrainStatus::converged: return "converged";
    case math::TrainStatus::budget: return "budget";
    case math::TrainStatus::diverged: return "diverged";
  }
  return "budget";
}

math::TrainStatus parse_train_status(const std::string& s) {
  if (s == "converged") return math::TrainStatus::converged;
  if (s == "diverged") return math::TrainStatus::diverged;
  if (s == "budget") return math::TrainStatus::budget;
  throw Error("unknown training status '" + s + "'");
}

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
