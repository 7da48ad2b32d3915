// Backend selection.
#include "landscape/backends/backend.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <vector>

#include "landscape/analysis/hessian.hpp"
#include "landscape/core/common.hpp"
#include "landscape/core/parallel.hpp"

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

void Backend::analyze(const Model& m, const Dataset& d, std::size_t count, const double* weights,
                      EndpointAnalysis* out, double* eigenvalues) {
  if (count == 0 || !reduces_inputs(m, d)) {
    analyze_batch(m, d, count, weights, out, eigenvalues);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const InputReduction r = reduce_inputs(d);
  Model rm = m;
  rm.dims[0] = d.n;
  const std::size_t P = m.param_count(), Pr = rm.param_count(), first = std::size_t(m.dims[1]) * m.dims[0],
                    first_r = std::size_t(m.dims[1]) * d.n, zeros = P - Pr;
  std::vector<double> wr(count * Pr), er(count * Pr);
  const int threads = std::max(1, host_threads());
  // Independent per network (no reductions across them), so the thread count changes no bits.
  ExceptionCollector errors;  // a bad_alloc must not leave a parallel region
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(count); ++i) errors.run([&] {
    const double* w = weights + std::size_t(i) * P;
    double* v = wr.data() + std::size_t(i) * Pr;
    r.first_layer(w, m.dims[1], v);
    std::copy(w + first, w + P, v + first_r);
  });
  errors.rethrow();
  const double prepare = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  analyze_batch(rm, r.data, count, wr.data(), out, er.data());
  const auto t1 = std::chrono::steady_clock::now();
  // The facts at the points as given (loss, gradient and kink distance are the same
  // mathematically; these are the bits every other path reports); the spectrum is the reduced
  // one's with the structural zeros merged in, in ascending order.
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(count); ++i) errors.run([&] {
    EndpointAnalysis& a = out[i];
    a.facts = point_facts(m, d, weights + std::size_t(i) * P);
    a.has_spectrum = a.has_spectrum && a.facts.finite;
    double* ev = eigenvalues + std::size_t(i) * P;
    const double* e = er.data() + std::size_t(i) * Pr;
    if (!a.has_spectrum) {
      std::fill(ev, ev + P, std::numeric_limits<double>::quiet_NaN());
      return;
    }
    const std::size_t below = std::size_t(std::lower_bound(e, e + Pr, 0.0) - e);
    std::copy(e, e + below, ev);
    std::fill(ev + below, ev + below + zeros, 0.0);
    std::copy(e + below, e + Pr, ev + below + zeros);
  });
  errors.rethrow();
  m_times.hessian += prepare + std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
}

int omp_max_threads() { return omp_get_max_threads(); }

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
