// Matrix-free Hessian-vector products and Lanczos for the extreme eigenvalues (Spectra).
#include "landscape/analysis/lanczos.hpp"

#include <Spectra/SymEigsSolver.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "landscape/core/common.hpp"
#include "landscape/math/network.hpp"

namespace landscape {

double dense_hessian_bytes(const Model& m) {
  const double P = double(m.param_count());
  return 4.0 * P * P * sizeof(double);
}

HessianOperator::HessianOperator(const Model& m, const Dataset& d, const double* w)
    : m_d(d), m_dims(m.dims), m_P(m.param_count()), m_w(w, w + m.param_count()) {
  m_s = m.shape(d.n);
  m_s.dims = m_dims.data();  // our own copy, so the operator outlives no one's model
  const std::size_t as = math::activation_size(m_s);
  m_acts.resize(as);
  m_G.resize(as);
  m_grad.resize(m_P);
  m_rws.resize(math::hessian_workspace(m_s) - 2 * as);
  m_loss = math::prepare_hessian(m_s, d.X.data(), d.Y.data(), m_w.data(), m_acts.data(), m_G.data(),
                                 m_grad.data());
}

void HessianOperator::apply(const double* v, double* out) {
  math::hessian_vector_prepared(m_s, m_d.X.data(), m_w.data(), v, m_acts.data(), m_G.data(), out,
                                m_rws.data());
  ++m_products;
}

namespace {

/// Spectra's operator concept over HessianOperator, with the progress callback every two
/// seconds (Spectra itself has no hook).
class SpectraOp {
 public:
  using Scalar = double;
  SpectraOp(HessianOperator& h, const LanczosProgress& progress, long& products)
      : m_h(h),
        m_progress(progress),
        m_products(products),
        m_t0(std::chrono::steady_clock::now()),
        m_next(2.0) {}
  Eigen::Index rows() const { return Eigen::Index(m_h.size()); }
  Eigen::Index cols() const { return Eigen::Index(m_h.size()); }
  void perform_op(const double* x, double* y) const {
    m_h.apply(x, y);
    ++m_products;
    if (!m_progress) return;
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_t0).count();
    if (t >= m_next) {
      m_progress(m_products, t);
      m_next = t + 2.0;
    }
  }

 private:
  HessianOperator& m_h;
  const LanczosProgress& m_progress;
  long& m_products;
  std::chrono::steady_clock::time_point m_t0;
  mutable double m_next;
};

}  // namespace

PartialSpectrum lanczos_extreme(const Model& m, const Dataset& d, const double* w, int k,
                                double tol, const LanczosProgress& progress) {
  const long P = long(m.param_count());
  require(k >= 1 && 2L * k < P, "lanczos",
          "needs 1 <= k and 2k < P = " + std::to_string(P) + ", got k = " + std::to_string(k));
  HessianOperator h(m, d, w);
  PartialSpectrum r;
  SpectraOp op(h, progress, r.products);
  // A Krylov space of at least 2k + 1 and 40 vectors: large enough that restarts converge in a
  // few dozen iterations even when the ends of the spectrum are clustered.
  const Eigen::Index ncv = Eigen::Index(std::min<long>(P, std::max<long>(2L * k + 1, 40)));
  const auto run = [&](Spectra::SortRule rule, const char* which) {
    Spectra::SymEigsSolver<SpectraOp> eigs(op, k, ncv);
    eigs.init();
    eigs.compute(rule, 10000, tol, Spectra::SortRule::SmallestAlge);
    require(eigs.info() == Spectra::CompInfo::Successful, "lanczos",
            std::string("the ") + which + " " + std::to_string(k) +
                " eigenvalues did not converge (P = " + std::to_string(P) + ")");
    return std::make_pair(Eigen::VectorXd(eigs.eigenvalues()),
                          Eigen::MatrixXd(eigs.eigenvectors()));
  };
  const auto lo = run(Spectra::SortRule::SmallestAlge, "smallest");
  const auto hi = run(Spectra::SortRule::LargestAlge, "largest");
  r.smallest.assign(lo.first.data(), lo.first.data() + k);
  r.largest.assign(hi.first.data(), hi.first.data() + k);
  std::sort(r.largest.begin(), r.largest.end());
  Eigenpairs& e = r.smallest_pairs;
  e.count = k;
  e.P = int(P);
  e.values = r.smallest;
  e.vectors.resize(std::size_t(k) * std::size_t(P));
  for (int i = 0; i < k; ++i)
    for (long p = 0; p < P; ++p)
      e.vectors[std::size_t(i) * std::size_t(P) + std::size_t(p)] = lo.second(p, i);
  return r;
}

}  // namespace landscape
