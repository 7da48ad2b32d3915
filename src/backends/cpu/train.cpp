// The CPU backend's training: OpenMP over networks, each trained by the single-source loop
// (math/train.hpp) in the requested precision.
#include <omp.h>

#include <vector>

#include "cpu_backend.hpp"
#include "landscape/core/parallel.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/train.hpp"

namespace landscape::cpu {

void CpuBackend::train(const Model& m, const Dataset& d, const TrainSettings& st, std::size_t count,
                       double* weights, math::TrainOutcome* outcomes, double* curves) {
  if (st.precision == Precision::f32)
    train_as<float>(m, d, st.params, count, weights, outcomes, curves);
  else
    train_as<double>(m, d, st.params, count, weights, outcomes, curves);
}

template <class T>
void CpuBackend::train_as(const Model& m, const Dataset& d, const math::TrainParams& p, std::size_t count,
              double* weights, math::TrainOutcome* outcomes, double* curves) {
  const math::Shape s = m.shape(d.n);
  const std::size_t P = math::param_count(s);
  const std::vector<T> X(d.X.begin(), d.X.end()), Y(d.Y.begin(), d.Y.end());
  // Every thread must reach the `omp for` (its barrier waits for all), so a failed allocation
  // is recorded and the thread takes part in the loop without working.
  ExceptionCollector errors;
#pragma omp parallel num_threads(m_threads)
  {
    std::vector<T> ws, w;
    bool ready = false;
    errors.run([&] {
      ws.resize(math::train_workspace(s));
      w.resize(P);
      ready = true;
    });
#pragma omp for schedule(dynamic, 16)
    for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(count); ++i) {
      if (!ready) continue;
      double* wi = weights + std::size_t(i) * P;
      for (std::size_t k = 0; k < P; ++k) w[k] = T(wi[k]);
      double* curve = curves ? curves + std::size_t(i) * std::size_t(p.curve_len) : nullptr;
      outcomes[i] = math::train_network(s, X.data(), Y.data(), w.data(), p, ws.data(), curve);
      for (std::size_t k = 0; k < P; ++k) wi[k] = double(w[k]);
    }
  }
  errors.rethrow();
}

}  // namespace landscape::cpu
