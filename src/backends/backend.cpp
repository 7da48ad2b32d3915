// Backend selection.
#include "landscape/backends/backend.hpp"

#include <algorithm>

#include "landscape/core/common.hpp"

#ifdef LANDSCAPE_HAVE_CUDA
#include "landscape/backends/cuda/cuda_backend.hpp"
#endif

namespace landscape {

void Backend::train(const Model& m, const Dataset& d, const TrainSettings& settings,
                    std::size_t count, double* weights, math::TrainOutcome* outcomes,
                    double* curves) {
  if (!settings.compress || count == 0 || !compresses(m, d)) {
    train_batch(m, d, settings, count, weights, outcomes, curves);
    return;
  }
  const CompressedData c = compress_linear_data(d);
  TrainSettings s = settings;
  s.params.loss_offset = c.loss_offset;
  train_batch(m, c.data, s, count, weights, outcomes, curves);
}

bool cuda_available() {
#ifdef LANDSCAPE_HAVE_CUDA
  return cuda_device_count() > 0;
#else
  return false;
#endif
}

std::unique_ptr<Backend> make_backend(const std::string& kind, int threads, int device_slot) {
#ifdef LANDSCAPE_HAVE_CUDA
  const auto device = [device_slot] {
    return std::max(0, device_slot) % std::max(1, cuda_device_count());
  };
#else
  (void)device_slot;
#endif
  if (kind == "cpu") return make_cpu_backend(threads);
  if (kind == "cuda") {
#ifdef LANDSCAPE_HAVE_CUDA
    if (!cuda_available())
      throw Error("backend: 'cuda' requested but no CUDA device can be used (" +
                  cuda_unavailable_reason() + ")");
    return make_cuda_backend(device());
#else
    throw Error("backend: 'cuda' requested but this build has no CUDA backend (nvcc not found)");
#endif
  }
  if (kind == "auto") {
#ifdef LANDSCAPE_HAVE_CUDA
    if (cuda_available()) return make_cuda_backend(device());
#endif
    return make_cpu_backend(threads);
  }
  throw Error("backend: unknown backend '" + kind + "' (expected auto, cpu or cuda)");
}

}  // namespace landscape
