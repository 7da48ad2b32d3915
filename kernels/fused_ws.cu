// Fused training for the W-S shape: one thread per network, registers.
#include "fused_train.cuh"

namespace landscape::kernels {

template <class T>
bool launch_fused_ws(const Dims& d, const T* X, const T* Y, T* w, std::size_t count,
                     const math::TrainParams& p, math::TrainOutcome* o, double* curves, cudaStream_t st) {
  return fused_detail::launch_stream<FusedWS, T>(d, X, Y, w, count, p, o, curves, st);
}

template bool launch_fused_ws<float>(const Dims&, const float*, const float*, float*, std::size_t,
                                     const math::TrainParams&, math::TrainOutcome*, double*, cudaStream_t);
template bool launch_fused_ws<double>(const Dims&, const double*, const double*, double*, std::size_t,
                                      const math::TrainParams&, math::TrainOutcome*, double*, cudaStream_t);

}  // namespace landscape::kernels
