// CPU reference backend: OpenMP over networks, each network running the single-source math.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "landscape/core/linalg.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/core/common.hpp"
#include "landscape/core/parallel.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/train.hpp"

namespace landscape {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads)
      : m_threads(thread_count(threads)) {}

  std::string name() const override { return "cpu"; }
  std::string device() const override {
    return "CPU, " + std::to_string(m_threads) + " thread" + (m_threads == 1 ? "" : "s");
  }

  long preferred_chunk(const Model&) const override { return 32L * m_threads; }

  void train(const Model& m, const Dataset& d, const TrainSettings& st, std::size_t count,
             double* weights, math::TrainOutcome* outcomes, double* curves) override {
    if (st.precision == Precision::f32)
      train_as<float>(m, d, st.params, count, weights, outcomes, curves);
    else
      train_as<double>(m, d, st.params, count, weights, outcomes, curves);
  }

  void analyze(const Model& m, const Dataset& d, std::size_t count, const double* weights,
               EndpointAnalysis* out, double* eigenvalues) override {
    const std::size_t P = m.param_count();
    double t_hess = 0, t_eig = 0;
    ExceptionCollector errors;  // a bad_alloc must not leave the parallel region
#pragma omp parallel for schedule(dynamic, 1) num_threads(m_threads) reduction(+ : t_hess, t_eig)
    for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(count); ++i) errors.run([&] {
      if (errors.failed()) return;
      const double* w = weights + std::size_t(i) * P;
      double* ev = eigenvalues + std::size_t(i) * P;
      EndpointAnalysis& a = out[i];
      a.facts = point_facts(m, d, w);
      a.has_spectrum = a.facts.finite;
      if (!a.has_spectrum) {
        std::fill(ev, ev + P, std::numeric_limits<double>::quiet_NaN());
        return;
      }
      const double t0 = omp_get_wtime();
      const HessianResult h = exact_hessian(m, d, w);
      const double t1 = omp_get_wtime();
      const std::vector<double> lam = symmetric_eigenvalues(h.H.data(), int(P));
      std::copy(lam.begin(), lam.end(), ev);
      t_hess += t1 - t0;
      t_eig += omp_get_wtime() - t1;
    });
    errors.rethrow();
    const double used = double(std::min<std::size_t>(count, std::size_t(m_threads)));
    m_times.hessian = used > 0 ? t_hess / used : 0;
    m_times.eigen = used > 0 ? t_eig / used : 0;
  }

 private:
  // Seven parameters: Backend::train's, in the training precision T.
  template <class T>
  void train_as(const Model& m, const Dataset& d, const math::TrainParams& p, std::size_t count,
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

  int m_threads;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<CpuBackend>(threads);
}

}  // namespace landscape
