// Exact float64 Hessians of N networks at once, one per SIMD lane (N = 2, 4 or 8 by target):
// the single-source R-operator (math::prepare_hessian, math::hessian_unit_column) instantiated
// with T = lanes::Lane<double>, then each network's columns scattered into its own matrix and
// symmetrized exactly as math::hessian does. Compiled with -ffp-contract=off (CMakeLists.txt),
// so every lane is bitwise the scalar math::hessian of its network.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "hessian_lanes.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstddef>

#include "landscape/math/network.hpp"
#include "lanes.hpp"
#include "simd_dispatch.hpp"

HWY_BEFORE_NAMESPACE();
namespace landscape::cpu {
namespace HWY_NAMESPACE {

constexpr int kHessLaneBytes = HWY_MAX_BYTES >= 64 ? 64 : HWY_MAX_BYTES >= 32 ? 32 : 16;
using HL = lanes::Lane<double, kHessLaneBytes>;

std::size_t HessianLanes() { return std::size_t(HL::N); }

std::size_t HessianScratchBytes(const math::Shape& s) {
  const std::size_t P = math::param_count(s);
  const std::size_t values = std::size_t(s.dims[0]) * s.n + std::size_t(s.dims[s.h]) * s.n + 2 * P +
                             P + math::hessian_workspace(s);
  return values * sizeof(HL);
}

/// Hessians (P×P row-major, symmetrized) and gradients of the networks at w[0..N): lane l
/// reads w[l] and writes H[l], grad[l] and loss[l]; a lane whose H[l] is null is padding (its
/// values are computed and dropped).
__attribute__((flatten)) void HessianGroup(const HessianJob& j, const double* const* w,
                                           double* const* H, double* const* grad, double* loss,
                                           void* scratch) {
  constexpr int N = HL::N;
  const math::Shape& s = j.s;
  const std::size_t P = math::param_count(s);
  const std::size_t nx = std::size_t(s.dims[0]) * s.n, ny = std::size_t(s.dims[s.h]) * s.n;
  const std::size_t as = math::activation_size(s);
  HL* X = static_cast<HL*>(scratch);
  HL* Y = X + nx;
  HL* wl = Y + ny;
  HL* g = wl + P;
  HL* col = g + P;
  HL* acts = col + P;
  HL* G_all = acts + as;
  HL* rws = acts + 2 * as;
  for (std::size_t k = 0; k < nx; ++k) X[k] = HL(j.X[k]);
  for (std::size_t k = 0; k < ny; ++k) Y[k] = HL(j.Y[k]);
  for (std::size_t k = 0; k < P; ++k)
    for (int l = 0; l < N; ++l) wl[k].set(l, w[l][k]);
  const HL L = math::prepare_hessian(s, X, Y, wl, acts, G_all, g);
  for (int l = 0; l < N; ++l) {
    if (H[l] == nullptr) continue;
    loss[l] = L[l];
    for (std::size_t k = 0; k < P; ++k) grad[l][k] = g[k][l];
  }
  int layer = 1;
  std::size_t layer_end = std::size_t(s.dims[1]) * s.dims[0];
  for (std::size_t c = 0; c < P; ++c) {
    while (c >= layer_end) {
      ++layer;
      layer_end += std::size_t(s.dims[layer]) * s.dims[layer - 1];
    }
    math::hessian_unit_column(s, X, wl, acts, G_all, c, layer, col, rws);
    for (int l = 0; l < N; ++l) {
      if (H[l] == nullptr) continue;
      double* row = H[l] + c * P;
      for (std::size_t i = 0; i < P; ++i) row[i] = col[i][l];
    }
  }
  // As math::hessian: columns are computed independently, so average H with its transpose.
  for (int l = 0; l < N; ++l) {
    if (H[l] == nullptr) continue;
    double* h = H[l];
    for (std::size_t i = 0; i < P; ++i)
      for (std::size_t k = i + 1; k < P; ++k) {
        const double m = 0.5 * (h[i * P + k] + h[k * P + i]);
        h[i * P + k] = m;
        h[k * P + i] = m;
      }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace landscape::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace landscape::cpu {

HWY_EXPORT(HessianLanes);
HWY_EXPORT(HessianScratchBytes);
HWY_EXPORT(HessianGroup);

HessianLaneKernel hessian_lanes(std::int64_t target) {
  const std::size_t i = dispatch_index(target);
  HessianLaneKernel k;
  k.lanes = HWY_DISPATCH_TABLE(HessianLanes)[i];
  k.scratch_bytes = HWY_DISPATCH_TABLE(HessianScratchBytes)[i];
  k.group = HWY_DISPATCH_TABLE(HessianGroup)[i];
  return k;
}

}  // namespace landscape::cpu
#endif  // HWY_ONCE
