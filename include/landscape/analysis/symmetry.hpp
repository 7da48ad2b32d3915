// Symmetry orbit dimension at an endpoint (docs/math.md §6).
#pragma once

#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"

namespace landscape {

/// Orbit dimension at w: numerical rank (relative tolerance `rank_rtol`) of the P × K matrix of
/// tangent vectors δW_i = M W_i, δW_{i+1} = −W_{i+1} M over a basis of M for every hidden layer
/// (M general for linear networks, diagonal for leaky ReLU).
int orbit_dimension(const Model& m, const double* w, double rank_rtol);
/// The known null directions of the Hessian at a critical point w (docs/math.md §6): the orbit's
/// tangent space and the data's null directions δW_1 = A·Zᵀ with Z ⊥ col(X) (along which the loss
/// is constant everywhere; d1·(d0 − rank X) of them, §2b).
struct KnownNullSpace {
  int orbit = 0;  ///< orbit_dimension(m, w, rank_rtol)
  int data = 0;   ///< rank[T | D] − orbit: what the data's null directions add to the orbit's
};
/// An orthonormal basis of col(X) (d0 × rank, column-major) with X's rank taken at rounding
/// level: what known_null_space needs of the data, to be computed once per dataset.
struct DataColumnSpace {
  int d0 = 0, rank = 0;
  std::vector<double> basis;
};
DataColumnSpace data_column_space(const Dataset& d);
/// `given` when it is d's (a caller computed it once for many endpoints), else
/// data_column_space(d) computed into `own`.
const DataColumnSpace& column_space_of(const Dataset& d, const DataColumnSpace* given,
                                       DataColumnSpace& own);
/// `columns`: data_column_space(d) when the caller has it (else it is computed here).
KnownNullSpace known_null_space(const Model& m, const Dataset& d, const double* w, double rank_rtol,
                                const DataColumnSpace* columns = nullptr);

/// K = Σ d_i² (linear) or Σ d_i (leaky ReLU) over the hidden layers. A size_t like
/// Model::param_count: the memory estimate asks for it before the dimensions are known to fit.
std::size_t orbit_dimension_max(const Model& m);

}  // namespace landscape
