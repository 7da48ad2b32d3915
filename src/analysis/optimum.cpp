// Closed-form global optimum: least squares onto the row space of X, then Eckart–Young.
#include "landscape/analysis/optimum.hpp"

#include <Eigen/Dense>
#include <algorithm>

#include "landscape/core/linalg.hpp"

namespace landscape {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;


std::optional<double> closed_form_optimum(const Model& m, const Dataset& d) {
  Eigen::Map<const RowMat> X(d.X.data(), d.d0, d.n);
  Eigen::Map<const RowMat> Y(d.Y.data(), d.dh, d.n);
  if (m.family == Family::linear) {
    // P_X = V_r V_rᵀ from the thin SVD of X; Ŷ = Y V_r V_rᵀ. Using the SVD (not a normal-equation
    // solve) keeps rank-deficient X exact up to the stated rank tolerance.
    Eigen::JacobiSVD<Eigen::MatrixXd> sx(X, Eigen::ComputeThinV);
    const int rx = rank_from_singular_values(sx.singularValues().data(), int(sx.singularValues().size()), kDataRankRtol);
    // X = 0 (rank 0): nothing can be fitted, L* = ½‖Y‖² (and Y·V_r would have no columns).
    if (rx == 0) return 0.5 * Y.squaredNorm();
    const Eigen::MatrixXd Vr = sx.matrixV().leftCols(rx);
    const Eigen::MatrixXd Yhat = (Y * Vr) * Vr.transpose();
    const double resid = (Y - Yhat).squaredNorm();
    const int r = *std::min_element(m.dims.begin(), m.dims.end());
    double tail = 0.0;
    // Singular values of Ŷ equal those of Y·V_r (V_r has orthonormal columns): a smaller SVD.
    Eigen::JacobiSVD<Eigen::MatrixXd> sy(Y * Vr);
    const auto& sv = sy.singularValues();
    for (Eigen::Index k = r; k < sv.size(); ++k) tail += sv(k) * sv(k);
    return 0.5 * (resid + tail);
  }
  // Leaky ReLU: every dh×n output is reachable when X has full column rank and the net is
  // pyramidal (σ is a bijection of R, and each W_i can map onto any d_i-row target).
  if (m.pyramidal() && d.d0 >= d.n && numerical_rank(d.X.data(), d.d0, d.n) == d.n) return 0.0;
  return std::nullopt;
}

}  // namespace landscape
