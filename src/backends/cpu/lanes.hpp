// A lane vector: N networks' values of one quantity side by side (network index fastest), so the
// single-source per-network math (math/network.hpp, math/train.hpp) runs on N networks at once
// when instantiated with T = Lane<float|double, BYTES, U> (U registers per value).
//
// The type is a GCC/Clang vector extension, not a Highway vector, on purpose: the math templates
// are defined outside Highway's per-target regions, so they cannot call Highway ops (target-
// specific intrinsics refuse to inline into a baseline function). Generic vector arithmetic has
// no target of its own; the per-target training kernel (train_lanes-inl.hpp) is flattened, so
// every math function is inlined into it and compiled for that target's ISA. Every operation is
// element-wise IEEE (add, sub, mul, div, sqrt, compare, select), so a lane computes exactly what
// the scalar code computes for that network, operation for operation.
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>

#include "landscape/math/network.hpp"

namespace landscape::cpu::lanes {

template <class T, int BYTES>
struct VecOf;
template <>
struct VecOf<float, 16> {
  typedef float type __attribute__((vector_size(16)));
};
template <>
struct VecOf<float, 32> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct VecOf<float, 64> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VecOf<double, 16> {
  typedef double type __attribute__((vector_size(16)));
};
template <>
struct VecOf<double, 32> {
  typedef double type __attribute__((vector_size(32)));
};
template <>
struct VecOf<double, 64> {
  typedef double type __attribute__((vector_size(64)));
};

/// N = U · BYTES / sizeof(T) values, one per network, in U registers. U = 2 gives every
/// operation two independent register-wide instructions: the per-network math is one long chain
/// of small dependent products (a step's layers, and a step on the next), so a second,
/// independent group of networks in the same instruction stream fills the multiply-add units
/// that the first one's latency leaves idle.
template <class T, int BYTES, int U = 1>
struct alignas(BYTES) Lane {
  using V = typename VecOf<T, BYTES>::type;
  using Scalar = T;
  static constexpr int W = BYTES / int(sizeof(T));  ///< values per register
  static constexpr int N = W * U;
  V v[U];

  Lane() = default;
  /// Broadcast (bitwise: −0 stays −0, unlike adding to a zero vector).
  template <class S, class = std::enable_if_t<std::is_arithmetic_v<S>>>
  explicit Lane(S x) {
    const T t = T(x);
    V b{};
    for (int i = 0; i < W; ++i) b[i] = t;
    for (int u = 0; u < U; ++u) v[u] = b;
  }
  T operator[](int i) const { return v[i / W][i % W]; }
  void set(int i, T x) { v[i / W][i % W] = x; }

  template <class F>
  static Lane map(Lane a, Lane b, F f) {
    Lane r;
    for (int u = 0; u < U; ++u) r.v[u] = f(a.v[u], b.v[u]);
    return r;
  }
  friend Lane operator+(Lane a, Lane b) { return map(a, b, [](V x, V y) { return x + y; }); }
  friend Lane operator-(Lane a, Lane b) { return map(a, b, [](V x, V y) { return x - y; }); }
  friend Lane operator*(Lane a, Lane b) { return map(a, b, [](V x, V y) { return x * y; }); }
  friend Lane operator/(Lane a, Lane b) { return map(a, b, [](V x, V y) { return x / y; }); }
  friend Lane operator-(Lane a) {
    for (int u = 0; u < U; ++u) a.v[u] = -a.v[u];
    return a;
  }
  Lane& operator+=(Lane b) { return *this = *this + b; }
  Lane& operator-=(Lane b) { return *this = *this - b; }
  Lane& operator*=(Lane b) { return *this = *this * b; }
  Lane& operator/=(Lane b) { return *this = *this / b; }
};

/// Lane-wise mask: all bits set where true.
template <class T, int BYTES, int U = 1>
struct Mask {
  using M = decltype(typename Lane<T, BYTES>::V{} < typename Lane<T, BYTES>::V{});
  M m[U];
  friend Mask operator&(Mask a, Mask b) {
    for (int u = 0; u < U; ++u) a.m[u] = a.m[u] & b.m[u];
    return a;
  }
  friend Mask operator|(Mask a, Mask b) {
    for (int u = 0; u < U; ++u) a.m[u] = a.m[u] | b.m[u];
    return a;
  }
  bool operator[](int i) const { return m[i / Lane<T, BYTES, U>::W][i % Lane<T, BYTES, U>::W] != 0; }
};

// Lane-wise comparisons, by name: comparison operators on Lane would also be found by the
// scalar math templates, whose `a >= b ? x : y` a vector cannot branch on.
#define LS_LANE_COMPARE(name, op)                                                    \
  template <class T, int B, int U>                                                   \
  inline Mask<T, B, U> name(Lane<T, B, U> a, Lane<T, B, U> b) {                      \
    Mask<T, B, U> r;                                                                 \
    for (int u = 0; u < U; ++u) r.m[u] = a.v[u] op b.v[u];                           \
    return r;                                                                        \
  }
LS_LANE_COMPARE(lt, <)
LS_LANE_COMPARE(le, <=)
LS_LANE_COMPARE(gt, >)
LS_LANE_COMPARE(ge, >=)
LS_LANE_COMPARE(eq, ==)
LS_LANE_COMPARE(ne, !=)
#undef LS_LANE_COMPARE

/// True when every lane of the mask is set.
template <class T, int B, int U>
inline bool all_of(Mask<T, B, U> m) {
  for (int i = 0; i < Lane<T, B, U>::N; ++i)
    if (!m[i]) return false;
  return true;
}

template <class T, int B, int U>
inline Lane<T, B, U> select(Mask<T, B, U> m, Lane<T, B, U> a, Lane<T, B, U> b) {
  for (int u = 0; u < U; ++u) a.v[u] = m.m[u] ? a.v[u] : b.v[u];
  return a;
}

// The overloads the math finds by argument-dependent lookup: the scalar versions are
// `z >= 0 ? z : α·z` and `a >= 0 ? 1 : α`, which a vector cannot branch on, so they select.
template <class T, int B, int U>
inline Lane<T, B, U> sigma(Lane<T, B, U> z, Lane<T, B, U> slope) {
  return select(ge(z, Lane<T, B, U>(0)), z, slope * z);
}
template <class T, int B, int U>
inline Lane<T, B, U> dsigma_from_act(Lane<T, B, U> a, Lane<T, B, U> slope) {
  return select(ge(a, Lane<T, B, U>(0)), Lane<T, B, U>(1), slope);
}
/// Lane-wise IEEE square root (correctly rounded, as std::sqrt), so Adam's step matches.
template <class T, int B, int U>
inline Lane<T, B, U> sqrt(Lane<T, B, U> x) {
  for (int i = 0; i < Lane<T, B, U>::N; ++i) x.set(i, std::sqrt(x[i]));
  return x;
}

/// L = ½‖A_h − Y‖², found by argument-dependent lookup from math::loss_and_gradient. float64
/// keeps math::loss_from_acts's single running sum (bitwise the scalar loop); float32, which is
/// not bitwise the scalar loop anyway (FMA), keeps four, so the sum is not one chain of
/// dependent adds (at W-S's d_h·n = 192 terms that chain cost a third as much as the products).
template <class T, int B, int U>
inline Lane<T, B, U> loss_from_acts(const math::Shape& s, const Lane<T, B, U>* Y,
                                    Lane<T, B, U>* acts) {
  using L = Lane<T, B, U>;
  if constexpr (!std::is_same_v<T, float>) {
    return math::loss_from_acts<L, L*>(s, Y, acts);
  } else {
    const L* F = math::layer_ptr(s, acts, s.h);
    const std::size_t m = std::size_t(s.dims[s.h]) * s.n;
    L a0(0), a1(0), a2(0), a3(0);
    std::size_t k = 0;
    for (; k + 4 <= m; k += 4) {
      const L r0 = F[k] - Y[k], r1 = F[k + 1] - Y[k + 1];
      const L r2 = F[k + 2] - Y[k + 2], r3 = F[k + 3] - Y[k + 3];
      a0 += r0 * r0;
      a1 += r1 * r1;
      a2 += r2 * r2;
      a3 += r3 * r3;
    }
    for (; k < m; ++k) {
      const L r = F[k] - Y[k];
      a0 += r * r;
    }
    return L(0.5) * ((a0 + a1) + (a2 + a3));
  }
}

// Register-blocked products for lanes, found by argument-dependent lookup from the math's
// unqualified matmul_rows / matmul_tn / outer_nt calls (more specialized in the output type, so
// chosen over the generic ones). The generic loops load and store an output element for every
// multiply-add, which caps them at one vector multiply-add per cycle (one store port); here a
// block of R output rows × K samples (or columns) accumulates in registers, R·K running sums
// side by side. Each element is still summed in the same order from the same start (+0, or the
// old value when accumulating), so results are bitwise those of math::matmul_rows and
// math::matmul_tn.

/// Output rows per block: 2 with one register per lane value (2 × 6 running sums at most, 12
/// of AVX2's 16 registers), 1 with two (the same count of registers).
template <int U>
constexpr int kRowsPerBlock = U == 1 ? 2 : 1;

// Sample blocks: 4 wide, and a remainder of 1 or 2 joins the last block (5 or 6 wide), so a
// small n such as compressed data's d0 = 6 runs as one block of 12 sums with no narrow tail
// (a tail of 2 samples holds only 4 sums, too few to hide the multiply-add latency).
template <class F>
inline void sample_blocks(int n, F&& block) {
  const int m = n % 4;
  const int body = n >= 4 && (m == 1 || m == 2) ? n - 4 - m : n - m;
  int k = 0;
  for (; k < body; k += 4) block(std::integral_constant<int, 4>{}, k);
  switch (n - k) {
    case 1: block(std::integral_constant<int, 1>{}, k); break;
    case 2: block(std::integral_constant<int, 2>{}, k); break;
    case 3: block(std::integral_constant<int, 3>{}, k); break;
    case 5: block(std::integral_constant<int, 5>{}, k); break;
    case 6: block(std::integral_constant<int, 6>{}, k); break;
    default: break;
  }
}

/// Rows r..r+R−1 × samples k..k+K−1 of matmul_rows.
// Seven parameters: matmul_rows's operands and the block's place.
template <int R, int K, class PW, class PI, class L>
inline void rows_block(PW W, PI in, L* out, int r, int din, std::size_t sn, int k) {
  L a[R][K];
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < K; ++j) a[i][j] = L(0);
  for (int c = 0; c < din; ++c) {
    L u[R];
    for (int i = 0; i < R; ++i) u[i] = W[std::size_t(r + i) * din + c];
    for (int j = 0; j < K; ++j) {
      const L x = in[std::size_t(c) * sn + std::size_t(k + j)];
      for (int i = 0; i < R; ++i) a[i][j] += u[i] * x;
    }
  }
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < K; ++j) out[std::size_t(r + i) * sn + std::size_t(k + j)] = a[i][j];
}

/// Output rows c..c+R−1 × samples k..k+K−1 of matmul_tn.
// Nine parameters: matmul_tn's operands and flag and the block's place.
template <int R, int K, class PW, class PG, class L>
inline void tn_block(PW W, PG g, L* out, int c, int dout, int din, std::size_t sn, int k,
                     bool accumulate) {
  L a[R][K];
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < K; ++j)
      a[i][j] = accumulate ? out[std::size_t(c + i) * sn + std::size_t(k + j)] : L(0);
  for (int r = 0; r < dout; ++r) {
    L u[R];
    for (int i = 0; i < R; ++i) u[i] = W[std::size_t(r) * din + std::size_t(c + i)];
    for (int j = 0; j < K; ++j) {
      const L x = g[std::size_t(r) * sn + std::size_t(k + j)];
      for (int i = 0; i < R; ++i) a[i][j] += u[i] * x;
    }
  }
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < K; ++j) out[std::size_t(c + i) * sn + std::size_t(k + j)] = a[i][j];
}

/// out (dout×n) = W (dout×din) · in (din×n), as math::matmul_rows.
template <class PW, class PI, class T, int B, int U>
inline void matmul_rows(PW W, PI in, Lane<T, B, U>* out, int dout, int din, int n) {
  constexpr int R = kRowsPerBlock<U>;
  const std::size_t sn = std::size_t(n);
  int r = 0;
  for (; r + R <= dout; r += R)
    sample_blocks(n, [&](auto K, int k) { rows_block<R, K()>(W, in, out, r, din, sn, k); });
  for (; r < dout; ++r)
    sample_blocks(n, [&](auto K, int k) { rows_block<1, K()>(W, in, out, r, din, sn, k); });
}

/// out (din×n) (+)= Wᵀ (din×dout) · g (dout×n), as math::matmul_tn.
// Seven parameters, as math::matmul_tn (BLAS gemm's operands, sizes and accumulate flag).
template <class PW, class PG, class T, int B, int U>
inline void matmul_tn(PW W, PG g, Lane<T, B, U>* out, int dout, int din, int n,
                      bool accumulate) {
  constexpr int R = kRowsPerBlock<U>;
  const std::size_t sn = std::size_t(n);
  int c = 0;
  for (; c + R <= din; c += R)
    sample_blocks(n, [&](auto K, int k) {
      tn_block<R, K()>(W, g, out, c, dout, din, sn, k, accumulate);
    });
  for (; c < din; ++c)
    sample_blocks(n, [&](auto K, int k) {
      tn_block<1, K()>(W, g, out, c, dout, din, sn, k, accumulate);
    });
}

/// Rows r..r+R−1 × columns c..c+C−1 of outer_nt (float32 lanes): one running sum per element
/// over the samples, R·C of them side by side.
// Eight parameters: outer_nt's operands and flag and the block's place.
template <int R, int C, class PG, class PA, class L>
inline void outer_block(PG g, PA a, L* out, int r, int c, int din, std::size_t sn,
                        bool accumulate) {
  L acc[R][C];
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < C; ++j) acc[i][j] = L(0);
  for (std::size_t k = 0; k < sn; ++k) {
    L y[C];
    for (int j = 0; j < C; ++j) y[j] = a[std::size_t(c + j) * sn + k];
    for (int i = 0; i < R; ++i) {
      const L u = g[std::size_t(r + i) * sn + k];
      for (int j = 0; j < C; ++j) acc[i][j] += u * y[j];
    }
  }
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < C; ++j) {
      L& o = out[std::size_t(r + i) * din + std::size_t(c + j)];
      o = accumulate ? o + acc[i][j] : acc[i][j];
    }
}

/// out (dout×din) (+)= g (dout×n) · aᵀ (n×din) for float32 lanes, the weight gradients: blocks
/// of R rows × 4 columns (R = kRowsPerBlock) accumulate over the samples, and the last din mod 4
/// columns go 2·R rows at a time, so several sums run side by side instead of one dependent
/// chain at a time (with few samples, as on compressed data, math::dot's partial sums hold one
/// or two terms and its chain is the cost). Each element is one running sum over the samples. float32 lanes are not bitwise the scalar loop anyway (FMA
/// contraction); float64 keeps math::outer_nt and math::dot's order, which the bitwise tests pin.
// Seven parameters, as math::outer_nt (BLAS ger's operands, sizes and accumulate flag).
template <class PG, class PA, int B, int U>
inline void outer_nt(PG g, PA a, Lane<float, B, U>* out, int dout, int din, int n,
                     bool accumulate) {
  constexpr int R = kRowsPerBlock<U>, RT = 2 * R;
  const std::size_t sn = std::size_t(n);
  const int body = din - din % 4;
  int r = 0;
  for (; r + R <= dout; r += R)
    for (int c = 0; c < body; c += 4) outer_block<R, 4>(g, a, out, r, c, din, sn, accumulate);
  for (; r < dout; ++r)
    for (int c = 0; c < body; c += 4) outer_block<1, 4>(g, a, out, r, c, din, sn, accumulate);
  const auto tail = [&](auto C) {
    int q = 0;
    for (; q + RT <= dout; q += RT) outer_block<RT, C()>(g, a, out, q, body, din, sn, accumulate);
    for (; q < dout; ++q) outer_block<1, C()>(g, a, out, q, body, din, sn, accumulate);
  };
  switch (din - body) {
    case 1: tail(std::integral_constant<int, 1>{}); break;
    case 2: tail(std::integral_constant<int, 2>{}); break;
    case 3: tail(std::integral_constant<int, 3>{}); break;
    default: break;
  }
}

}  // namespace landscape::cpu::lanes
