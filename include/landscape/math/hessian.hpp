// Exact Hessians of a batch of networks split into independent work items (one column of one
// network; one symmetric pair), so that a GPU can spread every Hessian over many threads.
// Single source: the CUDA kernels loop over these functions and the CPU tests replay them.
#pragma once

#include <cstddef>

#include "landscape/math/facts.hpp"
#include "landscape/math/hd.hpp"
#include "landscape/math/network.hpp"

namespace landscape::math {

/// Where parameter (= Hessian column) j sits in w: entry (row, col) of W_layer, layer ≥ 1.
struct ParamIndex {
  int layer = 1;
  int row = 0;
  int col = 0;
};

/// Maps j < param_count(s) to its weight matrix and entry:
/// j = weight_offset(s, layer) + row · d_{layer−1} + col.
LS_HD inline ParamIndex param_index(const Shape& s, std::size_t j) {
  ParamIndex p;
  std::size_t off = 0;
  for (int i = 1; i <= s.h; ++i) {
    const std::size_t din = std::size_t(s.dims[i - 1]);
    const std::size_t size = std::size_t(s.dims[i]) * din;
    if (j < off + size || i == s.h) {
      p.layer = i;
      p.row = int((j - off) / din);
      p.col = int((j - off) % din);
      break;
    }
    off += size;
  }
  return p;
}

/// Values per network left by `prepare_network`: A_1..A_h, then G_1..G_h.
LS_HD inline std::size_t prepared_size(const Shape& s) { return 2 * activation_size(s); }

/// Scratch per worker of `hessian_column`: the R-operator buffers of `hessian_vector_prepared`.
/// The scratch (here and below) is a T* or a Strided<T>; it holds nothing between columns.
LS_HD inline std::size_t column_workspace(const Shape& s) {
  return activation_size(s) + 2 * std::size_t(max_width(s)) * std::size_t(s.n);
}

/// Loss, gradient and the shared forward/backward state of one network (`prepare_hessian`);
/// `prepared` needs prepared_size(s) values, `gradient` param_count(s).
template <class T>
LS_HD inline T prepare_network(const Shape& s, const T* X, const T* Y, const T* w, T* prepared,
                               T* gradient) {
  return prepare_hessian(s, X, Y, w, prepared, prepared + activation_size(s), gradient);
}

/// prepare_network for the batch (float64) and the point's first-order facts from its
/// by-products, exactly as the host's point_facts forms them. A point whose facts are not
/// finite gets no Hessian: hessian_batch_column writes zeros for it.
LS_HD inline PointFacts prepare_network_facts(const Shape& s, const double* X, const double* Y,
                                              const double* w, double* prepared,
                                              double* gradient) {
  const double L = prepare_network(s, X, Y, w, prepared, gradient);
  return facts_from(s, w, L, gradient, prepared);  // prepared starts with A_1..A_h
}

/// Column j of the unsymmetrized Hessian, H·e_j, into out[0..P), exactly as `hessian` forms it
/// (`hessian_unit_column`), so the values are bitwise those of `hessian` before its
/// symmetrization. `ws` needs column_workspace(s) values.
// Seven parameters: shape, data, weights, state, column, output, workspace (single-source).
template <class T, class PS>
LS_HD inline void hessian_column(const Shape& s, const T* X, const T* w, const T* prepared,
                                 std::size_t j, T* out, PS ws) {
  hessian_unit_column(s, X, w, prepared, prepared + activation_size(s), j,
                      param_index(s, j).layer, out, ws);
}

/// Work item `item` < count·P of a batch: column item % P of network item / P. `weights` holds
/// count × P values, `prepared` count × prepared_size(s), `facts` count (from
/// prepare_network_facts), H count × P × P; column j of a network goes to H[j·P ..), which is
/// column j in column-major and row j in row-major storage. A network whose facts are not
/// finite gets a zero column: its weights or state may be NaN, and the eigensolver must not see
/// them (the caller discards that spectrum).
// Eight parameters: the batch's arrays and one work item (single-source).
template <class T, class PS>
LS_HD inline void hessian_batch_column(const Shape& s, const T* X, const T* weights,
                                       const T* prepared, const PointFacts* facts, T* H,
                                       std::size_t item, PS ws) {
  const std::size_t P = param_count(s);
  const std::size_t b = item / P, j = item % P;
  T* out = H + (b * P + j) * P;
  if (!facts[b].finite) {
    for (std::size_t k = 0; k < P; ++k) out[k] = T(0);
    return;
  }
  hessian_column(s, X, weights + b * P, prepared + b * prepared_size(s), j, out, ws);
}

/// Replaces H_ij and H_ji (i ≠ j) by their mean, the expression `hessian` uses: the columns are
/// formed independently, so H is symmetric only to rounding.
template <class T>
LS_HD inline void symmetrize_pair(T* H, std::size_t P, std::size_t i, std::size_t j) {
  const T m = T(0.5) * (H[i * P + j] + H[j * P + i]);
  H[i * P + j] = m;
  H[j * P + i] = m;
}

/// Work item `item` < count·P·P of the batched symmetrization: entry (i, j) = (e / P, e % P),
/// e = item % P², of network item / P²; only i < j does work. Pairs are disjoint, so the items
/// may run in any order and concurrently.
template <class T>
LS_HD inline void hessian_batch_symmetrize(T* H, std::size_t P, std::size_t item) {
  const std::size_t e = item % (P * P);
  const std::size_t i = e / P, j = e % P;
  if (i < j) symmetrize_pair(H + (item - e), P, i, j);
}

}  // namespace landscape::math
