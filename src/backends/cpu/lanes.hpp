// A lane vector: N networks' values of one quantity side by side (network index fastest), so the
// single-source per-network math (math/network.hpp, math/train.hpp) runs on N networks at once
// when instantiated with T = Lane<float|double, BYTES>.
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

/// N = BYTES / sizeof(T) values, one per network.
template <class T, int BYTES>
struct alignas(BYTES) Lane {
  using V = typename VecOf<T, BYTES>::type;
  using Scalar = T;
  static constexpr int N = BYTES / int(sizeof(T));
  V v;

  Lane() = default;
  /// Broadcast (bitwise: −0 stays −0, unlike adding to a zero vector).
  template <class S, class = std::enable_if_t<std::is_arithmetic_v<S>>>
  explicit Lane(S x) {
    const T t = T(x);
    for (int i = 0; i < N; ++i) v[i] = t;
  }
  static Lane from(V x) {
    Lane l;
    l.v = x;
    return l;
  }
  T operator[](int i) const { return v[i]; }
  void set(int i, T x) { v[i] = x; }

  friend Lane operator+(Lane a, Lane b) { return from(a.v + b.v); }
  friend Lane operator-(Lane a, Lane b) { return from(a.v - b.v); }
  friend Lane operator*(Lane a, Lane b) { return from(a.v * b.v); }
  friend Lane operator/(Lane a, Lane b) { return from(a.v / b.v); }
  friend Lane operator-(Lane a) { return from(-a.v); }
  Lane& operator+=(Lane b) {
    v = v + b.v;
    return *this;
  }
  Lane& operator-=(Lane b) {
    v = v - b.v;
    return *this;
  }
  Lane& operator*=(Lane b) {
    v = v * b.v;
    return *this;
  }
  Lane& operator/=(Lane b) {
    v = v / b.v;
    return *this;
  }
};

/// Lane-wise mask: all bits set where true.
template <class T, int BYTES>
using MaskOf = decltype(typename Lane<T, BYTES>::V{} < typename Lane<T, BYTES>::V{});

template <class T, int BYTES>
inline Lane<T, BYTES> select(MaskOf<T, BYTES> m, Lane<T, BYTES> a, Lane<T, BYTES> b) {
  return Lane<T, BYTES>::from(m ? a.v : b.v);
}

// The overloads the math finds by argument-dependent lookup: the scalar versions are
// `z >= 0 ? z : α·z` and `a >= 0 ? 1 : α`, which a vector cannot branch on, so they select.
template <class T, int BYTES>
inline Lane<T, BYTES> sigma(Lane<T, BYTES> z, Lane<T, BYTES> slope) {
  const typename Lane<T, BYTES>::V zero{};
  return Lane<T, BYTES>::from(z.v >= zero ? z.v : slope.v * z.v);
}
template <class T, int BYTES>
inline Lane<T, BYTES> dsigma_from_act(Lane<T, BYTES> a, Lane<T, BYTES> slope) {
  const typename Lane<T, BYTES>::V zero{};
  return select<T, BYTES>(a.v >= zero, Lane<T, BYTES>(1), slope);
}
/// Lane-wise IEEE square root (correctly rounded, as std::sqrt), so Adam's step matches.
template <class T, int BYTES>
inline Lane<T, BYTES> sqrt(Lane<T, BYTES> x) {
  Lane<T, BYTES> r;
  for (int i = 0; i < Lane<T, BYTES>::N; ++i) r.v[i] = std::sqrt(x.v[i]);
  return r;
}

/// L = ½‖A_h − Y‖², found by argument-dependent lookup from math::loss_and_gradient. float64
/// keeps math::loss_from_acts's single running sum (bitwise the scalar loop); float32, which is
/// not bitwise the scalar loop anyway (FMA), keeps four, so the sum is not one chain of
/// dependent adds (at W-S's d_h·n = 192 terms that chain cost a third as much as the products).
template <class T, int B>
inline Lane<T, B> loss_from_acts(const math::Shape& s, const Lane<T, B>* Y, Lane<T, B>* acts) {
  using L = Lane<T, B>;
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
// unqualified matmul_rows / matmul_tn calls (more specialized in the output type, so chosen
// over the generic ones). The generic loops load and store an output element for every
// multiply-add, which caps them at one vector multiply-add per cycle (one store port); here
// 2 rows × 4 samples accumulate in registers. Each element is still summed in the same order
// from the same start (+0, or the old value when accumulating), so results are bitwise those of
// math::matmul_rows and math::matmul_tn.

/// The last K < 4 samples of rows r and r + 1 of matmul_rows: 2·K running sums side by side
/// (one chain per element would leave the multiply-add units waiting on its latency).
// Seven parameters: matmul_rows's operands and the block's place.
template <int K, class PW, class PI, class L>
inline void rows_tail(PW W, PI in, L* out, int r, int din, std::size_t sn, int k) {
  const std::size_t w0 = std::size_t(r) * din, w1 = w0 + std::size_t(din);
  L a[K], b[K];
  for (int j = 0; j < K; ++j) a[j] = b[j] = L(0);
  for (int c = 0; c < din; ++c) {
    const L u = W[w0 + c], v = W[w1 + c];
    for (int j = 0; j < K; ++j) {
      const L x = in[std::size_t(c) * sn + std::size_t(k + j)];
      a[j] += u * x;
      b[j] += v * x;
    }
  }
  for (int j = 0; j < K; ++j) {
    out[std::size_t(r) * sn + std::size_t(k + j)] = a[j];
    out[std::size_t(r + 1) * sn + std::size_t(k + j)] = b[j];
  }
}

/// The last K < 4 samples of output rows c and c + 1 of matmul_tn, likewise side by side.
// Nine parameters: matmul_tn's operands and flag and the block's place.
template <int K, class PW, class PG, class L>
inline void tn_tail(PW W, PG g, L* out, int c, int dout, int din, std::size_t sn, int k,
                    bool accumulate) {
  L a[K], b[K];
  for (int j = 0; j < K; ++j) {
    a[j] = accumulate ? out[std::size_t(c) * sn + std::size_t(k + j)] : L(0);
    b[j] = accumulate ? out[std::size_t(c + 1) * sn + std::size_t(k + j)] : L(0);
  }
  for (int r = 0; r < dout; ++r) {
    const L u = W[std::size_t(r) * din + c], v = W[std::size_t(r) * din + c + 1];
    for (int j = 0; j < K; ++j) {
      const L x = g[std::size_t(r) * sn + std::size_t(k + j)];
      a[j] += u * x;
      b[j] += v * x;
    }
  }
  for (int j = 0; j < K; ++j) {
    out[std::size_t(c) * sn + std::size_t(k + j)] = a[j];
    out[std::size_t(c + 1) * sn + std::size_t(k + j)] = b[j];
  }
}

/// out (dout×n) = W (dout×din) · in (din×n), as math::matmul_rows.
template <class PW, class PI, class T, int B>
inline void matmul_rows(PW W, PI in, Lane<T, B>* out, int dout, int din, int n) {
  using L = Lane<T, B>;
  const std::size_t sn = std::size_t(n);
  int r = 0;
  for (; r + 2 <= dout; r += 2) {
    const std::size_t w0 = std::size_t(r) * din, w1 = w0 + std::size_t(din);
    int k = 0;
    for (; k + 4 <= n; k += 4) {
      L a0(0), a1(0), a2(0), a3(0), b0(0), b1(0), b2(0), b3(0);
      for (int c = 0; c < din; ++c) {
        const L u = W[w0 + c], v = W[w1 + c];
        const std::size_t x = std::size_t(c) * sn + std::size_t(k);
        const L x0 = in[x], x1 = in[x + 1], x2 = in[x + 2], x3 = in[x + 3];
        a0 += u * x0;
        a1 += u * x1;
        a2 += u * x2;
        a3 += u * x3;
        b0 += v * x0;
        b1 += v * x1;
        b2 += v * x2;
        b3 += v * x3;
      }
      L* o0 = out + std::size_t(r) * sn + std::size_t(k);
      L* o1 = o0 + sn;
      o0[0] = a0, o0[1] = a1, o0[2] = a2, o0[3] = a3;
      o1[0] = b0, o1[1] = b1, o1[2] = b2, o1[3] = b3;
    }
    switch (n - k) {
      case 1: rows_tail<1>(W, in, out, r, din, sn, k); break;
      case 2: rows_tail<2>(W, in, out, r, din, sn, k); break;
      case 3: rows_tail<3>(W, in, out, r, din, sn, k); break;
      default: break;
    }
  }
  for (; r < dout; ++r)
    for (int k = 0; k < n; ++k) {
      L a(0);
      for (int c = 0; c < din; ++c) a += W[std::size_t(r) * din + c] * in[std::size_t(c) * sn + k];
      out[std::size_t(r) * sn + k] = a;
    }
}

/// out (din×n) (+)= Wᵀ (din×dout) · g (dout×n), as math::matmul_tn.
// Seven parameters, as math::matmul_tn (BLAS gemm's operands, sizes and accumulate flag).
template <class PW, class PG, class T, int B>
inline void matmul_tn(PW W, PG g, Lane<T, B>* out, int dout, int din, int n, bool accumulate) {
  using L = Lane<T, B>;
  const std::size_t sn = std::size_t(n);
  const auto start = [&](std::size_t i) { return accumulate ? out[i] : L(0); };
  int c = 0;
  for (; c + 2 <= din; c += 2) {
    L* o0 = out + std::size_t(c) * sn;
    L* o1 = o0 + sn;
    int k = 0;
    for (; k + 4 <= n; k += 4) {
      const std::size_t i0 = std::size_t(c) * sn + std::size_t(k), i1 = i0 + sn;
      L a0 = start(i0), a1 = start(i0 + 1), a2 = start(i0 + 2), a3 = start(i0 + 3);
      L b0 = start(i1), b1 = start(i1 + 1), b2 = start(i1 + 2), b3 = start(i1 + 3);
      for (int r = 0; r < dout; ++r) {
        const L u = W[std::size_t(r) * din + c], v = W[std::size_t(r) * din + c + 1];
        const std::size_t x = std::size_t(r) * sn + std::size_t(k);
        const L x0 = g[x], x1 = g[x + 1], x2 = g[x + 2], x3 = g[x + 3];
        a0 += u * x0;
        a1 += u * x1;
        a2 += u * x2;
        a3 += u * x3;
        b0 += v * x0;
        b1 += v * x1;
        b2 += v * x2;
        b3 += v * x3;
      }
      o0[k] = a0, o0[k + 1] = a1, o0[k + 2] = a2, o0[k + 3] = a3;
      o1[k] = b0, o1[k + 1] = b1, o1[k + 2] = b2, o1[k + 3] = b3;
    }
    switch (n - k) {
      case 1: tn_tail<1>(W, g, out, c, dout, din, sn, k, accumulate); break;
      case 2: tn_tail<2>(W, g, out, c, dout, din, sn, k, accumulate); break;
      case 3: tn_tail<3>(W, g, out, c, dout, din, sn, k, accumulate); break;
      default: break;
    }
  }
  for (; c < din; ++c)
    for (int k = 0; k < n; ++k) {
      const std::size_t i = std::size_t(c) * sn + std::size_t(k);
      L a = start(i);
      for (int r = 0; r < dout; ++r) a += W[std::size_t(r) * din + c] * g[std::size_t(r) * sn + k];
      out[i] = a;
    }
}

/// out (dout×din) (+)= g (dout×n) · aᵀ (n×din) for float32 lanes, the weight gradients: 2 rows
/// × 4 columns of `out` accumulate in registers over the samples, one running sum each, so the
/// eight sums run side by side instead of one dependent chain at a time (with few samples, as on
/// compressed data, math::dot's partial sums hold one or two terms and its chain is the cost).
/// float32 lanes are not bitwise the scalar loop anyway (FMA contraction); float64 keeps
/// math::outer_nt and math::dot's order, which the bitwise tests pin.
// Seven parameters, as math::outer_nt (BLAS ger's operands, sizes and accumulate flag).
template <class PG, class PA, int B>
inline void outer_nt(PG g, PA a, Lane<float, B>* out, int dout, int din, int n, bool accumulate) {
  using L = Lane<float, B>;
  const std::size_t sn = std::size_t(n);
  const auto finish = [&](std::size_t i, L acc) { out[i] = accumulate ? out[i] + acc : acc; };
  int r = 0;
  for (; r + 2 <= dout; r += 2) {
    const std::size_t g0 = std::size_t(r) * sn, g1 = g0 + sn;
    int c = 0;
    for (; c + 4 <= din; c += 4) {
      const std::size_t x0 = std::size_t(c) * sn;
      L a0(0), a1(0), a2(0), a3(0), b0(0), b1(0), b2(0), b3(0);
      for (std::size_t k = 0; k < sn; ++k) {
        const L u = g[g0 + k], v = g[g1 + k];
        const L y0 = a[x0 + k], y1 = a[x0 + sn + k], y2 = a[x0 + 2 * sn + k],
                y3 = a[x0 + 3 * sn + k];
        a0 += u * y0;
        a1 += u * y1;
        a2 += u * y2;
        a3 += u * y3;
        b0 += v * y0;
        b1 += v * y1;
        b2 += v * y2;
        b3 += v * y3;
      }
      const std::size_t o0 = std::size_t(r) * din + std::size_t(c), o1 = o0 + std::size_t(din);
      finish(o0, a0), finish(o0 + 1, a1), finish(o0 + 2, a2), finish(o0 + 3, a3);
      finish(o1, b0), finish(o1 + 1, b1), finish(o1 + 2, b2), finish(o1 + 3, b3);
    }
    for (; c < din; ++c) {
      L acc0(0), acc1(0);
      for (std::size_t k = 0; k < sn; ++k) {
        const L y = a[std::size_t(c) * sn + k];
        acc0 += g[g0 + k] * y;
        acc1 += g[g1 + k] * y;
      }
      finish(std::size_t(r) * din + std::size_t(c), acc0);
      finish(std::size_t(r + 1) * din + std::size_t(c), acc1);
    }
  }
  for (; r < dout; ++r)
    for (int c = 0; c < din; ++c) {
      L acc(0);
      for (std::size_t k = 0; k < sn; ++k)
        acc += g[std::size_t(r) * sn + k] * a[std::size_t(c) * sn + k];
      finish(std::size_t(r) * din + std::size_t(c), acc);
    }
}

}  // namespace landscape::cpu::lanes
