// Large P: exact matrix-free Hessian-vector products and Lanczos (Spectra) for the extreme
// eigenvalues, where the dense P × P Hessian and its eigendecomposition do not fit comfortably.
#pragma once

#include <functional>
#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/records.hpp"

namespace landscape {

/// Bytes the dense path holds for one point: the Hessian, the solver's copy, its eigenvectors
/// and the escape test's copy, 4·P² float64 (the figure the memory checks use).
double dense_hessian_bytes(const Model& m);

/// Default threshold of the dense path, in MiB: 2048 MiB keeps P ≈ 8000 dense (4·P²·8 bytes ≈
/// 1.9 GiB) and sends the [128,128,128,10] network (P = 34,048, ≈ 35 GiB dense) to Lanczos.
inline constexpr double kDefaultMaxDenseMb = 2048;

/// Exact Hessian-vector products at one point with the R-operator of math/network.hpp
/// (Pearlmutter 1994): the forward pass and the back-propagated signals are computed once, each
/// product then costs about two more passes. Never forms H.
class HessianOperator {
 public:
  HessianOperator(const Model& m, const Dataset& d, const double* w);
  std::size_t size() const { return m_P; }
  double loss() const { return m_loss; }
  /// out = H·v (P numbers each).
  void apply(const double* v, double* out);
  long products() const { return m_products; }

 private:
  const Dataset& m_d;
  std::vector<int> m_dims;
  math::Shape m_s;
  std::size_t m_P;
  std::vector<double> m_w, m_acts, m_G, m_grad, m_rws;
  double m_loss = 0;
  long m_products = 0;
};

/// Called now and then during a long Lanczos run with (products so far, seconds so far).
using LanczosProgress = std::function<void(long, double)>;

/// The k smallest and the k largest eigenvalues (ascending each) of the exact Hessian at w, and
/// the eigenvectors of the k smallest, by restarted Lanczos (Spectra's SymEigsSolver) on
/// HessianOperator products. Needs 1 ≤ k and 2k < P. Each Ritz pair is converged to a residual
/// ‖Hv − θv‖ ≤ tol·max(|θ|, ε^{2/3}); throws Error when it does not converge within the
/// iteration budget.
struct PartialSpectrum {
  std::vector<double> smallest, largest;
  Eigenpairs smallest_pairs;
  long products = 0;
};
PartialSpectrum lanczos_extreme(const Model& m, const Dataset& d, const double* w, int k,
                                double tol = 1e-10, const LanczosProgress& progress = {});

}  // namespace landscape
