// Single-source per-network math: forward pass, loss, exact gradient and exact Hessian-vector
// products (Pearlmutter's R-operator) for deep linear and leaky-ReLU networks.
//
// Conventions (docs/math.md §1–2): X is d0×n, Y is dh×n, both row-major (row = feature, column =
// sample). W_i is d_i×d_{i−1} row-major; w = [vec(W_1); …; vec(W_h)]. L = ½‖F(W) − Y‖²_F.
// Every function takes pointers and sizes, never allocates, throws or uses virtuals, so the CPU
// backend loops over it and CUDA threads call the very same code.
#pragma once

#include <cstddef>
#include <type_traits>

#include "landscape/math/hd.hpp"

namespace landscape::math {

/// Shape of one network and its data. `slope` is the leaky-ReLU negative slope α; a deep linear
/// network is the special case α = 1 (σ(z) = z, σ' ≡ 1), so both families share one code path.
struct Shape {
  int h = 0;                  ///< number of weight matrices
  const int* dims = nullptr;  ///< h + 1 layer widths d0..dh
  int n = 0;                  ///< number of samples
  double slope = 1.0;         ///< α; 1 for linear networks
};

/// Pointer to every `stride`-th value: element k lives at base[k·stride]. The scratch-taking
/// functions below accept it in place of T*, so GPU threads can interleave their scratch
/// (thread t: base = ws + t, stride = threads) and a warp's accesses to the same element fall
/// on adjacent addresses.
template <class T>
struct Strided {
  T* base = nullptr;
  std::size_t stride = 1;
  LS_HD T& operator[](std::size_t k) const { return base[k * stride]; }
  LS_HD Strided operator+(std::size_t k) const { return Strided{base + k * stride, stride}; }
  LS_HD bool operator==(const Strided& o) const { return base == o.base; }
  LS_HD explicit operator bool() const { return base != nullptr; }
};

/// The value type behind a pointer-like P (T* or Strided<T>).
template <class P>
using value_of = std::remove_cv_t<std::remove_reference_t<decltype(std::declval<P>()[0])>>;

LS_HD inline std::size_t param_count(const Shape& s) {
  std::size_t p = 0;
  for (int i = 1; i <= s.h; ++i) p += std::size_t(s.dims[i]) * std::size_t(s.dims[i - 1]);
  return p;
}

LS_HD inline int max_width(const Shape& s) {
  int m = 0;
  for (int i = 0; i <= s.h; ++i) m = s.dims[i] > m ? s.dims[i] : m;
  return m;
}

/// Total size of the activations A_1..A_h (A_0 = X is never copied).
LS_HD inline std::size_t activation_size(const Shape& s) {
  std::size_t a = 0;
  for (int i = 1; i <= s.h; ++i) a += std::size_t(s.dims[i]) * std::size_t(s.n);
  return a;
}

/// Scratch needed by `loss_and_gradient` (activations + two back-propagation buffers).
LS_HD inline std::size_t gradient_workspace(const Shape& s) {
  return activation_size(s) + 2 * std::size_t(max_width(s)) * std::size_t(s.n);
}

/// Scratch needed by `hessian_vector` and `hessian` (A, all G_i, R{A}, two R{G} buffers).
LS_HD inline std::size_t hessian_workspace(const Shape& s) {
  return 3 * activation_size(s) + 2 * std::size_t(max_width(s)) * std::size_t(s.n);
}

template <class T>
LS_HD inline T sigma(T z, T slope) {
  return z >= T(0) ? z : slope * z;
}

// σ'(Z) read off A = σ(Z): α > 0 keeps the sign, and σ'(0) := 1 (right derivative; the Hessian
// is undefined at the kink anyway and such endpoints are flagged by the analysis).
template <class T>
LS_HD inline T dsigma_from_act(T a, T slope) {
  return a >= T(0) ? T(1) : slope;
}

/// out (dout×n) = W (dout×din) · in (din×n). Row-major; the inner loop runs over samples so it
/// is contiguous in both `in` and `out` and vectorizes. (Here and below each pointer may be a
/// T* or a Strided<T>.)
template <class PW, class PI, class PO>
LS_HD inline void matmul_rows(PW W, PI in, PO out, int dout, int din, int n) {
  using T = value_of<PO>;
  for (int r = 0; r < dout; ++r) {
    const PO o = out + std::size_t(r) * n;
    for (int k = 0; k < n; ++k) o[k] = T(0);
    for (int c = 0; c < din; ++c) {
      const T a = W[std::size_t(r) * din + c];
      const PI x = in + std::size_t(c) * n;
      for (int k = 0; k < n; ++k) o[k] += a * x[k];
    }
  }
}

/// out (din×n) = Wᵀ (din×dout) · g (dout×n), optionally accumulating.
// Seven parameters, like BLAS gemm's: operands, sizes and the accumulate flag.
template <class PW, class PG, class PO>
LS_HD inline void matmul_tn(PW W, PG g, PO out, int dout, int din, int n, bool accumulate) {
  using T = value_of<PO>;
  if (!accumulate)
    for (std::size_t k = 0; k < std::size_t(din) * n; ++k) out[k] = T(0);
  for (int r = 0; r < dout; ++r) {
    const PG gr = g + std::size_t(r) * n;
    for (int c = 0; c < din; ++c) {
      const T a = W[std::size_t(r) * din + c];
      const PO o = out + std::size_t(c) * n;
      for (int k = 0; k < n; ++k) o[k] += a * gr[k];
    }
  }
}

/// Dot product with eight independent partial sums: without them the strict left-to-right
/// reduction cannot be vectorized (no reassociation without fast-math), and these reductions
/// over samples are the weight-gradient hot loop. The order is fixed, so results stay
/// deterministic.
template <class PX, class PY>
LS_HD inline value_of<PX> dot(PX x, PY y, int n) {
  using T = value_of<PX>;
  T s[8] = {T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0)};
  int k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j) s[j] += x[k + j] * y[k + j];
  for (; k < n; ++k) s[0] += x[k] * y[k];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/// out (dout×din) (+)= g (dout×n) · aᵀ (n×din).
// Seven parameters, like BLAS ger's: operands, sizes and the accumulate flag.
template <class PG, class PA, class PO>
LS_HD inline void outer_nt(PG g, PA a, PO out, int dout, int din, int n, bool accumulate) {
  using T = value_of<PO>;
  for (int r = 0; r < dout; ++r) {
    const PG gr = g + std::size_t(r) * n;
    for (int c = 0; c < din; ++c) {
      const T acc = dot(gr, a + std::size_t(c) * n, n);
      T& o = out[std::size_t(r) * din + c];
      o = accumulate ? o + acc : acc;
    }
  }
}

/// Pointer to A_i inside the activation buffer (i ≥ 1); A_0 is X.
template <class P>
LS_HD inline P layer_ptr(const Shape& s, P acts, int i) {
  std::size_t off = 0;
  for (int j = 1; j < i; ++j) off += std::size_t(s.dims[j]) * s.n;
  return acts + off;
}

LS_HD inline std::size_t weight_offset(const Shape& s, int i) {
  std::size_t off = 0;
  for (int j = 1; j < i; ++j) off += std::size_t(s.dims[j]) * s.dims[j - 1];
  return off;
}

/// Forward pass: fills A_1..A_h (activation_size(s) entries). `w` and `acts` (here and in the
/// functions below) may be T* or Strided<T>.
template <class T, class PW, class PA>
LS_HD inline void forward(const Shape& s, const T* X, PW w, PA acts) {
  const T slope = T(s.slope);
  for (int i = 1; i <= s.h; ++i) {
    const int din = s.dims[i - 1], dout = s.dims[i];
    const PA out = layer_ptr(s, acts, i);
    if (i == 1)
      matmul_rows(w, X, out, dout, din, s.n);
    else
      matmul_rows(w + weight_offset(s, i), layer_ptr(s, acts, i - 1), out, dout, din, s.n);
    if (s.slope != 1.0)
      for (std::size_t k = 0; k < std::size_t(dout) * s.n; ++k) out[k] = sigma(out[k], slope);
  }
}

/// L = ½‖A_h − Y‖² from a completed forward pass.
template <class T, class PA>
LS_HD inline T loss_from_acts(const Shape& s, const T* Y, PA acts) {
  const PA F = layer_ptr(s, acts, s.h);
  T acc = T(0);
  for (std::size_t k = 0; k < std::size_t(s.dims[s.h]) * s.n; ++k) {
    const T r = F[k] - Y[k];
    acc += r * r;
  }
  return T(0.5) * acc;
}

/// Loss only. `ws` needs activation_size(s) entries.
template <class T>
LS_HD inline T loss(const Shape& s, const T* X, const T* Y, const T* w, T* ws) {
  forward(s, X, w, ws);
  return loss_from_acts(s, Y, ws);
}

/// Back-propagation of G_h = (A_h − Y) ⊙ σ'(Z_h) through the layers, writing ∇L into `grad`
/// (param_count entries). When `G_all` is non-null every G_i is also stored there (same layout
/// as the activations); otherwise two ping-pong buffers `gbuf` (2·maxw·n) are used.
// Eight parameters: arrays, each of its own pointer or strided-view type (single-source).
template <class T, class PW, class PA, class PD, class PS>
LS_HD inline void backward(const Shape& s, const T* X, const T* Y, PW w, PA acts, PD grad,
                           PS G_all, PS gbuf) {
  const T slope = T(s.slope);
  const std::size_t mw = std::size_t(max_width(s)) * s.n;
  PS G = G_all ? layer_ptr(s, G_all, s.h) : gbuf;
  {
    const PA F = layer_ptr(s, acts, s.h);
    for (std::size_t k = 0; k < std::size_t(s.dims[s.h]) * s.n; ++k)
      G[k] = (F[k] - Y[k]) * dsigma_from_act(F[k], slope);
  }
  for (int i = s.h; i >= 1; --i) {
    const int din = s.dims[i - 1], dout = s.dims[i];
    if (i == 1) {
      outer_nt(G, X, grad + weight_offset(s, i), dout, din, s.n, false);
      break;
    }
    const PA Ain = layer_ptr(s, acts, i - 1);
    outer_nt(G, Ain, grad + weight_offset(s, i), dout, din, s.n, false);
    const PS Gp = G_all ? layer_ptr(s, G_all, i - 1) : (G == gbuf ? gbuf + mw : gbuf);
    matmul_tn(w + weight_offset(s, i), G, Gp, dout, din, s.n, false);
    if (s.slope != 1.0)
      for (std::size_t k = 0; k < std::size_t(din) * s.n; ++k)
        Gp[k] *= dsigma_from_act(Ain[k], slope);
    G = Gp;
  }
}

/// Loss and exact gradient. `ws` needs gradient_workspace(s) entries.
template <class T, class PW, class PD, class PS>
LS_HD inline T loss_and_gradient(const Shape& s, const T* X, const T* Y, PW w, PD grad, PS ws) {
  const PS acts = ws;
  forward(s, X, w, acts);
  const T L = loss_from_acts(s, Y, acts);
  backward(s, X, Y, w, acts, grad, PS{}, acts + activation_size(s));
  return L;
}

/// Hessian-vector product H·v given the forward activations `acts` and all back-propagated
/// signals `G_all` at w (see `prepare_hessian`). When `only_layer` ≥ 1, v is known to vanish
/// outside layer `only_layer`, which skips the zero part of the R-forward pass; −1 means dense.
/// `rws` needs activation_size(s) + 2·maxw·n entries. Derivation (σ'' = 0 off the kink):
///   R{Z_i} = V_i A_{i−1} + W_i R{A_{i−1}},  R{A_i} = σ'_i ⊙ R{Z_i},  R{A_0} = 0
///   R{G_h} = R{A_h} ⊙ σ'_h,  R{G_{i−1}} = (V_iᵀ G_i + W_iᵀ R{G_i}) ⊙ σ'_{i−1}
///   (Hv)_i = R{G_i} A_{i−1}ᵀ + G_i R{A_{i−1}}ᵀ
/// `v` and `rws` may be T* or Strided<T> (per-thread scratch interleaved on a GPU).
/// `unit` ≥ 0 says v is the unit vector e_unit (in layer only_layer): v is then not read (it may
/// be null), and the two products with V touch only its one row and column. For finite inputs this gives bitwise the dense
/// products' values, because every sum here starts from +0 and so never holds −0, and adding
/// ±0 to anything else changes nothing.
// Stays whole: the bitwise Hessian parity tests pin the order of its two R-operator sweeps.
template <class T, class PV, class PR>
LS_HD inline void hessian_vector_prepared(const Shape& s, const T* X, const T* w, PV v,
                                          const T* acts, const T* G_all, T* out, PR rws,
                                          int only_layer = -1, long unit = -1) {
  const T slope = T(s.slope);
  const std::size_t mw = std::size_t(max_width(s)) * s.n;
  const PR RA = rws;
  const PR rg0 = rws + activation_size(s);
  const PR rg1 = rg0 + mw;
  const int first = only_layer >= 1 ? only_layer : 1;
  auto in_v = [&](int i) { return only_layer < 1 || only_layer == i; };
  // R-forward. Layers below `first` have R{A} = 0 and are never read.
  for (int i = first; i <= s.h; ++i) {
    const int din = s.dims[i - 1], dout = s.dims[i];
    const T* Ain = i == 1 ? X : layer_ptr(s, const_cast<T*>(acts), i - 1);
    const PR RAi = layer_ptr(s, RA, i);
    if (in_v(i) && unit >= 0) {
      // R{Z_i} = E_{r0,c0} A_{i−1}: row r0 is row c0 of A_{i−1}, the rest zero.
      const std::size_t u = std::size_t(unit) - weight_offset(s, i);
      const int r0 = int(u / std::size_t(din)), c0 = int(u % std::size_t(din));
      for (int r = 0; r < dout; ++r)
        for (int k = 0; k < s.n; ++k)
          RAi[std::size_t(r) * s.n + k] = r == r0 ? T(0) + Ain[std::size_t(c0) * s.n + k] : T(0);
    } else if (in_v(i)) {
      matmul_rows(v + weight_offset(s, i), Ain, RAi, dout, din, s.n);
      if (i > first) {
        const PR RAin = layer_ptr(s, RA, i - 1);
        const T* W = w + weight_offset(s, i);
        for (int r = 0; r < dout; ++r)
          for (int c = 0; c < din; ++c) {
            const T a = W[std::size_t(r) * din + c];
            for (int k = 0; k < s.n; ++k)
              RAi[std::size_t(r) * s.n + k] += a * RAin[std::size_t(c) * s.n + k];
          }
      }
    } else {
      matmul_rows(w + weight_offset(s, i), layer_ptr(s, RA, i - 1), RAi, dout, din, s.n);
    }
    if (s.slope != 1.0) {
      const T* Ai = layer_ptr(s, const_cast<T*>(acts), i);
      for (std::size_t k = 0; k < std::size_t(dout) * s.n; ++k)
        RAi[k] *= dsigma_from_act(Ai[k], slope);
    }
  }
  // R-backward.
  PR RG = rg0;
  {
    const PR RAh = layer_ptr(s, RA, s.h);
    const T* Ah = layer_ptr(s, const_cast<T*>(acts), s.h);
    for (std::size_t k = 0; k < std::size_t(s.dims[s.h]) * s.n; ++k)
      RG[k] = RAh[k] * dsigma_from_act(Ah[k], slope);
  }
  for (int i = s.h; i >= 1; --i) {
    const int din = s.dims[i - 1], dout = s.dims[i];
    const T* Ain = i == 1 ? X : layer_ptr(s, const_cast<T*>(acts), i - 1);
    const T* Gi = layer_ptr(s, const_cast<T*>(G_all), i);
    T* Hv = out + weight_offset(s, i);
    outer_nt(RG, Ain, Hv, dout, din, s.n, false);
    if (i - 1 >= first && i > 1) outer_nt(Gi, layer_ptr(s, RA, i - 1), Hv, dout, din, s.n, true);
    if (i > 1) {
      const PR RGp = RG == rg0 ? rg1 : rg0;
      matmul_tn(w + weight_offset(s, i), RG, RGp, dout, din, s.n, false);
      if (in_v(i) && unit >= 0) {
        // += E_{r0,c0}ᵀ G_i: row c0 gains row r0 of G_i.
        const std::size_t u = std::size_t(unit) - weight_offset(s, i);
        const std::size_t r0 = u / std::size_t(din), c0 = u % std::size_t(din);
        for (int k = 0; k < s.n; ++k) RGp[c0 * s.n + k] += Gi[r0 * s.n + k];
      } else if (in_v(i)) {
        matmul_tn(v + weight_offset(s, i), Gi, RGp, dout, din, s.n, true);
      }
      if (s.slope != 1.0)
        for (std::size_t k = 0; k < std::size_t(din) * s.n; ++k)
          RGp[k] *= dsigma_from_act(Ain[k], slope);
      RG = RGp;
    }
  }
}

/// Forward pass and all G_i at w, shared by every Hessian-vector product at that point.
/// `acts` and `G_all` need activation_size(s) entries each; `gradient` param_count entries.
// Seven parameters: shape, data, weights and three outputs (single-source).
template <class T>
LS_HD inline T prepare_hessian(const Shape& s, const T* X, const T* Y, const T* w, T* acts,
                               T* G_all, T* gradient) {
  forward(s, X, w, acts);
  const T L = loss_from_acts(s, Y, acts);
  backward(s, X, Y, w, acts, gradient, G_all, static_cast<T*>(nullptr));
  return L;
}

/// Dense Hessian-vector product at w. `ws` needs hessian_workspace(s) + param_count(s).
// Seven parameters: shape, data, weights, direction, output, workspace (single-source).
template <class T>
LS_HD inline void hessian_vector(const Shape& s, const T* X, const T* Y, const T* w, const T* v,
                                 T* out, T* ws) {
  const std::size_t as = activation_size(s);
  T* acts = ws;
  T* G_all = ws + as;
  T* rws = ws + 2 * as;
  T* grad = ws + hessian_workspace(s);
  prepare_hessian(s, X, Y, w, acts, G_all, grad);
  hessian_vector_prepared(s, X, w, v, acts, G_all, out, rws);
}

/// Column j of the unsymmetrized Hessian, H·e_j, from the prepared state: the R-operator
/// products with the unit direction e_j = E_{r0,c0} of W_layer (layer = the layer of parameter
/// j), which touch only its one row and column. The direction is never materialized, so `rws`
/// needs only the R-operator buffers, hessian_workspace(s) − 2·activation_size(s) values.
// Nine parameters: hessian_vector_prepared's, the direction given as (j, layer).
template <class T, class PR>
LS_HD inline void hessian_unit_column(const Shape& s, const T* X, const T* w, const T* acts,
                                      const T* G_all, std::size_t j, int layer, T* out, PR rws) {
  hessian_vector_prepared(s, X, w, static_cast<const T*>(nullptr), acts, G_all, out, rws, layer,
                          long(j));
}

/// Exact Hessian H (P×P, row-major, symmetrized) with P unit-vector R-operator products.
/// Returns the loss; writes the gradient too. `ws` needs hessian_workspace(s) entries.
// Seven parameters: shape, data, weights, two outputs and workspace (single-source).
template <class T>
LS_HD inline T hessian(const Shape& s, const T* X, const T* Y, const T* w, T* H, T* gradient,
                       T* ws) {
  const std::size_t P = param_count(s);
  const std::size_t as = activation_size(s);
  T* acts = ws;
  T* G_all = ws + as;
  T* rws = ws + 2 * as;
  const T L = prepare_hessian(s, X, Y, w, acts, G_all, gradient);
  int layer = 1;
  std::size_t layer_end = std::size_t(s.dims[1]) * s.dims[0];
  for (std::size_t j = 0; j < P; ++j) {
    while (j >= layer_end) {
      ++layer;
      layer_end += std::size_t(s.dims[layer]) * s.dims[layer - 1];
    }
    hessian_unit_column(s, X, w, acts, G_all, j, layer, H + j * P, rws);
  }
  // Columns are computed independently, so H is symmetric only to rounding; average it.
  for (std::size_t i = 0; i < P; ++i)
    for (std::size_t j = i + 1; j < P; ++j) {
      const T m = T(0.5) * (H[i * P + j] + H[j * P + i]);
      H[i * P + j] = m;
      H[j * P + i] = m;
    }
  return L;
}

}  // namespace landscape::math
