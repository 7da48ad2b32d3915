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
bool launch_fused_train(const Dims& d, const T* X, const T* Y, T* w, std::size_t count,
                        const math::TrainParams& p, math::TrainOutcome* o, double* curves,
                        cudaStream_t stream) {
  if (count == 0 || !fused_training_enabled()) return false;
  const math::Shape s = to_shape(d);
  using namespace fused_detail;
  if (FusedWS::matches(s)) { LS_FUSED_DISPATCH(LS_FUSED_WS, T, d, X, Y, w, count, p, o, curves, stream) }
  if (FusedWM::matches(s)) { LS_FUSED_DISPATCH(LS_FUSED_WM, T, d, X, Y, w, count, p, o, curves, stream) }
  if (FusedWP::matches(s)) { LS_FUSED_DISPATCH(LS_FUSED_WP, T, d, X, Y, w, count, p, o, curves, stream) }
  return false;
}

template bool launch_fused_train<float>(const Dims&, const float*, const float*, float*, std::size_t,
                                        const math::TrainParams&, math::TrainOutcome*, double*, cudaStream_t);
template bool launch_fused_train<double>(const Dims&, const double*, const double*, double*, std::size_t,
                                         const math::TrainParams&, math::TrainOutcome*, double*, cudaStream_t);

}  // namespace landscape::kernels
