// The CPU backend's analysis: float64 facts, the exact Hessian (analysis/hessian) and its
// eigenvalues (core/linalg) per network, OpenMP over networks.
#include <omp.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "cpu_backend.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/core/linalg.hpp"
#include "landscape/core/parallel.hpp"

namespace landscape::cpu {

void CpuBackend::analyze(const Model& m, const Dataset& d, std::size_t count, const double* weights,
                         EndpointAnalysis* out, double* eigenvalues) {
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

}  // namespace landscape::cpu
