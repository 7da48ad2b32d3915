// Symmetry orbit dimension at an endpoint (docs/math.md §6).
#pragma once

#include "landscape/core/model.hpp"

namespace landscape {

/// Orbit dimension at w: numerical rank (relative tolerance `rank_rtol`) of the P × K matrix of
/// tangent vectors δW_i = M W_i, δW_{i+1} = −W_{i+1} M over a basis of M for every hidden layer
/// (M general for linear networks, diagonal for leaky ReLU).
int orbit_dimension(const Model& m, const double* w, double rank_rtol);
/// K = Σ d_i² (linear) or Σ d_i (leaky ReLU) over the hidden layers. A size_t like
/// Model::param_count: the memory estimate asks for it before the dimensions are known to fit.
std::size_t orbit_dimension_max(const Model& m);

}  // namespace landscape
