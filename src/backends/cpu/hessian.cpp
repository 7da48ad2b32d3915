// The CPU backend's analysis: float64 facts, the exact Hessian and its eigenvalues (core/linalg:
// LAPACK for large P) per network. Hessians are formed N networks at a time in SIMD lanes
// (hessian_lanes.cpp, bitwise the scalar math::hessian) where a target is available and N
// Hessians fit in 64 MiB, else one network at a time (analysis/hessian); OpenMP over the groups.
#include <hwy/aligned_allocator.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <new>
#include <vector>

#include "cpu_backend.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/backends/simd.hpp"
#include "landscape/core/linalg.hpp"
#include "landscape/core/parallel.hpp"
#include "simd_dispatch.hpp"

namespace landscape::cpu {
namespace {

/// Memory for the N Hessians a lane group forms at once, per thread, beyond which the scalar
/// path (one Hessian per thread, as the run's memory check assumes) is used instead.
constexpr double kLaneHessianBytes = 64.0 * 1024 * 1024;

void fill_nan(double* ev, std::size_t P) {
  std::fill(ev, ev + P, std::numeric_limits<double>::quiet_NaN());
}

}  // namespace

void CpuBackend::analyze_batch(const Model& m, const Dataset& d, std::size_t count, const double* weights,
                         EndpointAnalysis* out, double* eigenvalues) {
  const std::size_t P = m.param_count();
  double t_hess = 0, t_eig = 0;
  // LANDSCAPE_FAULT_EIGEN_FAIL=<index in the batch> makes that network's solve fail (tests).
  const char* fault = std::getenv("LANDSCAPE_FAULT_EIGEN_FAIL");
  const std::ptrdiff_t fault_eigen = fault ? std::ptrdiff_t(std::atol(fault)) : -1;
  // A solve that converges nowhere marks its endpoint alone: no spectrum, NaN eigenvalues.
  const auto solve = [&](std::ptrdiff_t i, double* H) {
    double* ev = eigenvalues + std::size_t(i) * P;
    out[i].has_spectrum = fault_eigen != i && symmetric_spectrum(H, int(P), ev);
    if (!out[i].has_spectrum) fill_nan(ev, P);
  };
  const std::int64_t target = simd_target_bit(simd_target());
  HessianLaneKernel kernel;
  std::size_t lanes = 1;
  if (target != 0) {
    kernel = hessian_lanes(target);
    lanes = kernel.lanes();
    if (double(lanes) * double(P) * double(P) * sizeof(double) > kLaneHessianBytes) lanes = 1;
  }
  const std::size_t groups = (count + lanes - 1) / lanes;
  HessianJob job;
  job.s = m.shape(d.n);
  job.X = d.X.data();
  job.Y = d.Y.data();
  ExceptionCollector errors;  // a bad_alloc must not leave the parallel region
#pragma omp parallel num_threads(m_threads) reduction(+ : t_hess, t_eig)
  {
    hwy::AlignedFreeUniquePtr<unsigned char[]> scratch;
    std::vector<double> Hbuf, gbuf;
    errors.run([&] {
      if (lanes > 1) {
        scratch = hwy::AllocateAligned<unsigned char>(kernel.scratch_bytes(job.s));
        if (!scratch) throw std::bad_alloc();
        Hbuf.resize(lanes * P * P);
        gbuf.resize(lanes * P);
      }
    });
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t gi = 0; gi < std::ptrdiff_t(groups); ++gi) errors.run([&] {
      if (errors.failed()) return;
      const std::ptrdiff_t first = gi * std::ptrdiff_t(lanes);
      const std::ptrdiff_t last = std::min(first + std::ptrdiff_t(lanes), std::ptrdiff_t(count));
      std::vector<std::ptrdiff_t> live;
      for (std::ptrdiff_t i = first; i < last; ++i) {
        EndpointAnalysis& a = out[i];
        a.facts = point_facts(m, d, weights + std::size_t(i) * P);
        a.has_spectrum = a.facts.finite;
        if (a.has_spectrum) live.push_back(i);
        else fill_nan(eigenvalues + std::size_t(i) * P, P);
      }
      if (live.empty()) return;
      const double t0 = omp_get_wtime();
      if (lanes == 1) {
        HessianResult h = exact_hessian(m, d, weights + std::size_t(live[0]) * P);
        const double t1 = omp_get_wtime();
        solve(live[0], h.H.data());
        t_hess += t1 - t0;
        t_eig += omp_get_wtime() - t1;
        return;
      }
      // Padding lanes repeat the first live network; their results are dropped.
      std::vector<const double*> wp(lanes);
      std::vector<double*> Hp(lanes, nullptr), gp(lanes);
      std::vector<double> loss(lanes);
      for (std::size_t l = 0; l < lanes; ++l) {
        const bool used = l < live.size();
        wp[l] = weights + std::size_t(used ? live[l] : live[0]) * P;
        if (used) Hp[l] = Hbuf.data() + l * P * P;
        gp[l] = gbuf.data() + l * P;
      }
      kernel.group(job, wp.data(), Hp.data(), gp.data(), loss.data(), scratch.get());
      const double t1 = omp_get_wtime();
      for (std::size_t l = 0; l < live.size(); ++l) solve(live[l], Hp[l]);
      t_hess += t1 - t0;
      t_eig += omp_get_wtime() - t1;
    });
  }
  errors.rethrow();
  const double used = double(std::min<std::size_t>(groups, std::size_t(m_threads)));
  m_times.hessian = used > 0 ? t_hess / used : 0;
  m_times.eigen = used > 0 ? t_eig / used : 0;
}

}  // namespace landscape::cpu
