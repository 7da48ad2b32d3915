// The CPU backend's training: OpenMP over groups of networks trained side by side in SIMD
// lanes (train_lanes-inl.hpp, on the target simd_target() names), or, on the "scalar" path,
// over networks each trained by the single-source loop (math/train.hpp): the reference.
#include "landscape/math/train.hpp"

#include <hwy/aligned_allocator.h>
#include <omp.h>

#include <new>
#include <vector>

#include "cpu_backend.hpp"
#include "landscape/backends/simd.hpp"
#include "landscape/core/parallel.hpp"
#include "landscape/math/network.hpp"
#include "simd_dispatch.hpp"

namespace landscape::cpu {
namespace {

/// Trains the batch in groups of the target's lane count (one or two registers per value, as
/// simd_registers chooses), one group at a time per thread.
// Seven parameters, as Backend::train with the lane trainer of the target.
void train_in_lanes(const LaneTrainer& tr, const Model& m, const Dataset& d,
                    const math::TrainParams& p, std::size_t count, double* weights,
                    math::TrainOutcome* outcomes, double* curves, int threads) {
  LaneJob j;
  j.s = m.shape(d.n);
  j.X = d.X.data();
  j.Y = d.Y.data();
  j.p = p;
  j.count = count;
  j.weights = weights;
  j.outcomes = outcomes;
  j.curves = curves;
  const bool wide = simd_registers(count, int(tr.lanes()), threads) == 2;
  const std::size_t lanes = (wide ? 2 : 1) * tr.lanes();
  const std::size_t groups = (count + lanes - 1) / lanes;
  const auto scratch_bytes = wide ? tr.wide_scratch_bytes : tr.scratch_bytes;
  const auto train_group = wide ? tr.train_wide_group : tr.train_group;
  ExceptionCollector errors;
#pragma omp parallel num_threads(threads)
  {
    hwy::AlignedFreeUniquePtr<unsigned char[]> scratch;
    errors.run([&] {
      scratch = hwy::AllocateAligned<unsigned char>(scratch_bytes(j.s));
      if (!scratch) throw std::bad_alloc();
    });
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t g = 0; g < std::ptrdiff_t(groups); ++g)
      if (scratch) train_group(j, std::size_t(g) * lanes, scratch.get());
  }
  errors.rethrow();
}

}  // namespace

void CpuBackend::train_batch(const Model& m, const Dataset& d, const TrainSettings& st,
                             std::size_t count, double* weights, math::TrainOutcome* outcomes,
                             double* curves) {
  const std::int64_t target = simd_target_bit(simd_target());
  simd_registers_forced();  // a bad LANDSCAPE_SIMD_REGS is an error on every path
  if (target != 0 && count > 0) {
    const LaneTrainer tr =
        st.precision == Precision::f32 ? lane_trainer_f32(target) : lane_trainer_f64(target);
    train_in_lanes(tr, m, d, st.params, count, weights, outcomes, curves, m_threads);
  } else if (st.precision == Precision::f32) {
    train_as<float>(m, d, st.params, count, weights, outcomes, curves);
  } else {
    train_as<double>(m, d, st.params, count, weights, outcomes, curves);
  }
}

template <class T>
void CpuBackend::train_as(const Model& m, const Dataset& d, const math::TrainParams& p,
                          std::size_t count, double* weights, math::TrainOutcome* outcomes,
                          double* curves) {
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
