// Dispatch of the fused training kernels (fused_train.cuh) over the hot shapes.
#include <cstdlib>
#include <cstring>

#include "train_fused.cuh"

namespace landscape::kernels {

namespace {
bool fused_training_enabled() {
  const char* v = std::getenv("LANDSCAPE_CUDA_FUSED");
  return v == nullptr || std::strcmp(v, "0") != 0;
}
}  // namespace

// The hot shapes, picked by one dispatch: the benchmark workloads and the default experiment.
// Anything else (or LANDSCAPE_CUDA_FUSED=0) takes the general per-network kernels.
template <class T>
bool launch_fused_train(const TrainBatch<T>& b, cudaStream_t stream) {
  if (b.count == 0 || !fused_training_enabled()) return false;
  const math::Shape s = to_shape(b.dims);
  const math::TrainParams& p = b.params;  // LS_FUSED_DISPATCH switches on p.kind
  using namespace fused_detail;
  if (FusedWS::matches(s)) { LS_FUSED_DISPATCH(LS_FUSED_WS, T, b, stream) }
  if (FusedWM::matches(s)) { LS_FUSED_DISPATCH(LS_FUSED_WM, T, b, stream) }
  if (FusedWP::matches(s)) { LS_FUSED_DISPATCH(LS_FUSED_WP, T, b, stream) }
  return false;
}

bool has_fused_kernel(const Dims& dims) {
  const math::Shape s = to_shape(dims);
  using namespace fused_detail;
  return fused_training_enabled() && (FusedWS::matches(s) || FusedWM::matches(s) || FusedWP::matches(s));
}

template bool launch_fused_train<float>(const TrainBatch<float>&, cudaStream_t);
template bool launch_fused_train<double>(const TrainBatch<double>&, cudaStream_t);

}  // namespace landscape::kernels
