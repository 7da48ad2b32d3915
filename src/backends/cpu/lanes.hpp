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

namespace landscape::cpu::lanes {

template <class T, int BYTES>
struct VecOf;
template <>
struct VecOf<float, 16> { typedef float type __attribute__((vector_size(16))); };
template <>
struct VecOf<float, 32> { typedef float type __attribute__((vector_size(32))); };
template <>
struct VecOf<float, 64> { typedef float type __attribute__((vector_size(64))); };
template <>
struct VecOf<double, 16> { typedef double type __attribute__((vector_size(16))); };
template <>
struct VecOf<double, 32> { typedef double type __attribute__((vector_size(32))); };
template <>
struct VecOf<double, 64> { typedef double type __attribute__((vector_size(64))); };

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
  Lane& operator+=(Lane b) { v = v + b.v; return *this; }
  Lane& operator-=(Lane b) { v = v - b.v; return *this; }
  Lane& operator*=(Lane b) { v = v * b.v; return *this; }
  Lane& operator/=(Lane b) { v = v / b.v; return *this; }
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

}  // namespace landscape::cpu::lanes
