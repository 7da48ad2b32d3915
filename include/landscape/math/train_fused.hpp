// Fused training for compile-time shapes: the hot path of the CUDA backend.
//
// The general training loop (math/train.hpp) keeps every activation of every sample in a scratch
// buffer, which on a GPU means off-chip memory. For the hot shapes the layer widths are template
// parameters instead, so the compiler can keep a network's state in registers and the data in
// shared memory, and one kernel launch trains a whole chunk:
//
//  * `StreamTrainer` (one thread per network, small P): the weights, the gradient and the
//    optimizer moments sit in registers; samples are streamed one at a time through the forward
//    and backward pass, so no activation buffer exists at all.
//  * `GroupTrainer` (G threads per network, P in the hundreds): the weights sit in shared memory,
//    each lane pushes its samples through the network and stages their activations and
//    back-propagated signals, then each lane reduces the gradient of the parameters it owns
//    (and keeps their optimizer moments in registers).
//
// Both run exactly the optimizer, stop test and curve logic of `train_network` (math/train.hpp);
// they differ from it only in the order of floating-point sums. The code is single-source: the
// kernels call it with a runner that maps lanes to threads and synchronizes the group, and the
// CPU tests call it with a runner that plays the G lanes one after another between phases, which
// is exact because lanes only communicate through shared memory across phase boundaries.
#pragma once

#include <cmath>
#include <cstddef>

#include "landscape/math/hd.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/train.hpp"

#if defined(__CUDA_ARCH__)
#define LS_UNROLL _Pragma("unroll")
#define LS_INLINE __forceinline__
#else
#define LS_UNROLL
#define LS_INLINE inline
#endif

namespace landscape::math {

namespace detail {
template <int... D>
LS_HD constexpr int dim_at(int i) {
  constexpr int a[] = {D...};
  return a[i];
}
template <int... D>
LS_HD constexpr int weight_offset_at(int i) {  // W_i, i ≥ 1; i = h + 1 gives P
  int o = 0;
  for (int j = 1; j < i; ++j) o += dim_at<D...>(j) * dim_at<D...>(j - 1);
  return o;
}
template <int... D>
LS_HD constexpr int act_offset_at(int i) {  // A_i among A_1..A_h, i ≥ 1
  int o = 0;
  for (int j = 1; j < i; ++j) o += dim_at<D...>(j);
  return o;
}
template <int... D>
LS_HD constexpr int max_dim() {
  int m = 0;
  for (int i = 0; i < int(sizeof...(D)); ++i) m = dim_at<D...>(i) > m ? dim_at<D...>(i) : m;
  return m;
}
}  // namespace detail

/// Layer widths d0..dh as template parameters.
template <int... D>
struct StaticShape {
  static constexpr int H = int(sizeof...(D)) - 1;
  static constexpr int P = detail::weight_offset_at<D...>(H + 1);
  static constexpr int ACTS = detail::act_offset_at<D...>(H + 1);  ///< Σ d_1..d_h
  static constexpr int HIDDEN = detail::act_offset_at<D...>(H);    ///< Σ d_1..d_{h−1}
  static constexpr int MAXW = detail::max_dim<D...>();
  static_assert(H >= 1, "a network has at least one weight matrix");
  LS_HD static constexpr int dim(int i) { return detail::dim_at<D...>(i); }
  LS_HD static constexpr int weight_offset(int i) { return detail::weight_offset_at<D...>(i); }
  LS_HD static constexpr int act_offset(int i) { return detail::act_offset_at<D...>(i); }
  /// True when `s` (runtime widths) is this shape.
  LS_HD static bool matches(const Shape& s) {
    if (s.h != H) return false;
    for (int i = 0; i <= H; ++i)
      if (s.dims[i] != dim(i)) return false;
    return true;
  }
};

/// Odd row stride ≥ w for sample-major staging: rows that start `stride` words apart fall in
/// different shared-memory banks, so lanes working on different samples do not conflict.
LS_HD constexpr int odd_stride(int w) { return w % 2 == 0 ? w + 1 : w; }

/// Copies the row-major rows×n matrix `src` into sample-major `dst` (n rows of `stride`), with
/// the copy split over `nthreads` threads of which this is `tid`.
// Seven parameters: source and size, destination and stride, this thread's share.
template <class TS, class T>
LS_HD inline void stage_sample_major(const TS* src, int rows, int n, T* dst, int stride, int tid,
                                     int nthreads) {
  for (int idx = tid; idx < rows * n; idx += nthreads) {
    const int r = idx / n, k = idx % n;
    dst[k * stride + r] = T(src[idx]);
  }
}

/// Stages a block's data for trainer `Tr`: X (d0×n) then Y (dh×n), row-major, into `base` as
/// sample-major rows of Tr's strides, split over `nthreads` threads of which this is `tid`.
/// Returns the start of the staged Y (the staged X starts at `base`).
template <class Tr, class TS, class T>
LS_HD inline T* stage_data(const TS* X, const TS* Y, int n, T* base, int tid, int nthreads) {
  using S = typename Tr::Shape;
  T* Ys = base + std::size_t(n) * Tr::x_stride();
  stage_sample_major(X, S::dim(0), n, base, Tr::x_stride(), tid, nthreads);
  stage_sample_major(Y, S::dim(S::H), n, Ys, Tr::y_stride(), tid, nthreads);
  return Ys;
}

namespace detail {

// Per-sample forward pass from x (d0 values) into a (A_1..A_h of this sample), the sums over
// inputs in the same order as matmul_rows. W may point to registers or shared memory.
template <class S, int I, class T>
LS_HD LS_INLINE void sample_forward(const T* W, const T* x, T* a, T slope, bool leaky) {
  if constexpr (I <= S::H) {
    constexpr int din = S::dim(I - 1), dout = S::dim(I);
    const T* in;
    if constexpr (I == 1)
      in = x;
    else
      in = a + S::act_offset(I - 1);
    T* out = a + S::act_offset(I);
    const T* Wi = W + S::weight_offset(I);
    LS_UNROLL
    for (int r = 0; r < dout; ++r) {
      T z = T(0);
      LS_UNROLL
      for (int c = 0; c < din; ++c) z += Wi[r * din + c] * in[c];
      out[r] = leaky ? sigma(z, slope) : z;
    }
    sample_forward<S, I + 1>(W, x, a, slope, leaky);
  }
}

// G_h of one sample from its output and target; returns Σ r² over the outputs (callers halve
// the total once, as loss_from_acts does).
template <class S, class T>
LS_HD LS_INLINE T sample_output_signal(const T* a, const T* y, T* g, T slope) {
  constexpr int dh = S::dim(S::H);
  const T* F = a + S::act_offset(S::H);
  T acc = T(0);
  LS_UNROLL
  for (int r = 0; r < dh; ++r) {
    const T res = F[r] - y[r];
    acc += res * res;
    g[r] = res * dsigma_from_act(F[r], slope);
  }
  return acc;
}

// G_{I−1} = (W_Iᵀ G_I) ⊙ σ'(A_{I−1}) for one sample, sums over r in matmul_tn's order.
template <class S, int I, class T>
LS_HD LS_INLINE void sample_back_signal(const T* W, const T* a, const T* g, T* gp, T slope,
                                        bool leaky) {
  constexpr int din = S::dim(I - 1), dout = S::dim(I);
  const T* Wi = W + S::weight_offset(I);
  const T* ain = a + S::act_offset(I - 1);
  LS_UNROLL
  for (int c = 0; c < din; ++c) gp[c] = T(0);
  LS_UNROLL
  for (int r = 0; r < dout; ++r) {
    LS_UNROLL
    for (int c = 0; c < din; ++c) gp[c] += Wi[r * din + c] * g[r];
  }
  if (leaky) {
    LS_UNROLL
    for (int c = 0; c < din; ++c) gp[c] *= dsigma_from_act(ain[c], slope);
  }
}

template <class T, int N>
struct Array {
  T v[N > 0 ? N : 1];
  LS_HD LS_INLINE T& operator[](int i) { return v[i]; }
  LS_HD LS_INLINE const T& operator[](int i) const { return v[i]; }
};

}  // namespace detail

/// One thread per network; everything in registers (the hot path for P up to about 100).
template <class S, class T>
struct StreamTrainer {
  using Shape = S;
  /// Shared-memory values the data needs for n samples (inputs, then targets, sample-major).
  LS_HD static constexpr int x_stride() { return odd_stride(S::dim(0)); }
  LS_HD static constexpr int y_stride() { return odd_stride(S::dim(S::H)); }
  LS_HD static std::size_t data_values(int n) {
    return std::size_t(n) * std::size_t(x_stride() + y_stride());
  }

  /// Loss and gradient at w: streams the n samples through the network, accumulating the
  /// gradient sample by sample. Xs, Ys are the staged sample-major data.
  // Seven parameters: staged data and this network's registers (force-inlined hot path).
  LS_HD static LS_INLINE T loss_and_gradient(const T* Xs, const T* Ys, int n, const T* w, T* grad,
                                             T slope, bool leaky) {
    LS_UNROLL
    for (int p = 0; p < S::P; ++p) grad[p] = T(0);
    T acc = T(0);
    for (int k = 0; k < n; ++k) {
      const T* x = Xs + k * x_stride();
      T a[S::ACTS];
      detail::sample_forward<S, 1>(w, x, a, slope, leaky);
      T g[S::MAXW], gp[S::MAXW];
      acc += detail::sample_output_signal<S>(a, Ys + k * y_stride(), g, slope);
      backward<S::H>(w, x, a, g, gp, grad, slope, leaky);
    }
    return T(0.5) * acc;
  }

  /// Trains one network whose weights are in `w_io` (P values, any memory) in place; the
  /// optimizer is `p.kind`. Kernels call train_with<K> directly so that each optimizer gets its
  /// own register allocation.
  // Seven parameters: staged data, weights and settings, as kernels pass to train_with<K>.
  LS_HD static TrainOutcome train(const T* Xs, const T* Ys, int n, T* w_io, const TrainParams& p,
                                  T slope, double* curve) {
    switch (p.kind) {
      case OptimizerKind::gd: return train_with<OptimizerKind::gd>(Xs, Ys, n, w_io, p, slope, curve);
      case OptimizerKind::momentum:
        return train_with<OptimizerKind::momentum>(Xs, Ys, n, w_io, p, slope, curve);
      default: return train_with<OptimizerKind::adam>(Xs, Ys, n, w_io, p, slope, curve);
    }
  }

  // Seven parameters: as train; one function per optimizer, one register allocation each.
  template <OptimizerKind K>
  LS_HD static TrainOutcome train_with(const T* Xs, const T* Ys, int n, T* w_io,
                                       const TrainParams& p, T slope, double* curve) {
    constexpr bool MOMENTS = K != OptimizerKind::gd;
    constexpr bool SECOND = K == OptimizerKind::adam;
    const bool leaky = slope != T(1);
    T w[S::P], grad[S::P];
    detail::Array<T, MOMENTS ? S::P : 0> m;
    detail::Array<T, SECOND ? S::P : 0> v;
    LS_UNROLL
    for (int q = 0; q < S::P; ++q) w[q] = w_io[q];
    if constexpr (MOMENTS) {
      LS_UNROLL
      for (int q = 0; q < S::P; ++q) m[q] = T(0);
    }
    if constexpr (SECOND) {
      LS_UNROLL
      for (int q = 0; q < S::P; ++q) v[q] = T(0);
    }
    AdamClock clock;
    TrainOutcome out;
    clear_curve(curve, p);
    for (long step = 0;; ++step) {
      const T L = loss_and_gradient(Xs, Ys, n, w, grad, slope, leaky);
      record_curve(curve, p, step, double(L));
      T g2 = T(0);
      LS_UNROLL
      for (int q = 0; q < S::P; ++q) g2 += grad[q] * grad[q];
      if (stop_test(L, g2, step, p, out)) break;
      const StepScalars<T> sc = next_step_scalars<T>(p, clock);
      T unused = T(0);
      LS_UNROLL
      for (int q = 0; q < S::P; ++q) {
        if constexpr (K == OptimizerKind::gd)
          update_parameter<K>(sc, w[q], grad[q], unused, unused);
        else if constexpr (K == OptimizerKind::momentum)
          update_parameter<K>(sc, w[q], grad[q], m[q], unused);
        else
          update_parameter<K>(sc, w[q], grad[q], m[q], v[q]);
      }
    }
    LS_UNROLL
    for (int q = 0; q < S::P; ++q) w_io[q] = w[q];
    return out;
  }

 private:
  // Gradient of layer I for one sample and the signal for the layer below, then recurse.
  // Eight parameters: one layer's registers in the force-inlined, unrolled layer recursion.
  template <int I>
  LS_HD static LS_INLINE void backward(const T* w, const T* x, const T* a, T* g, T* gp, T* grad,
                                       T slope, bool leaky) {
    if constexpr (I >= 1) {
      constexpr int din = S::dim(I - 1), dout = S::dim(I);
      const T* ain;
      if constexpr (I == 1)
        ain = x;
      else
        ain = a + S::act_offset(I - 1);
      T* gi = grad + S::weight_offset(I);
      LS_UNROLL
      for (int r = 0; r < dout; ++r) {
        LS_UNROLL
        for (int c = 0; c < din; ++c) gi[r * din + c] += g[r] * ain[c];
      }
      if constexpr (I > 1) {
        detail::sample_back_signal<S, I>(w, a, g, gp, slope, leaky);
        LS_UNROLL
        for (int c = 0; c < din; ++c) g[c] = gp[c];
        backward<I - 1>(w, x, a, g, gp, grad, slope, leaky);
      }
    }
  }
};

/// G lanes per network (G divides 32), each lane pushing up to SPL samples through the
/// network; lane l owns the parameters l, l + G, l + 2G, … of the flat weight vector.
template <class S, int G, int SPL, class T>
struct GroupTrainer {
  static_assert(G >= 1 && G <= 32 && 32 % G == 0, "G must divide the warp");
  using Shape = S;
  static constexpr int PPL = (S::P + G - 1) / G;  ///< parameters per lane
  static constexpr int MAX_N = G * SPL;

  LS_HD static constexpr int x_stride() { return odd_stride(S::dim(0)); }
  LS_HD static constexpr int y_stride() { return odd_stride(S::dim(S::H)); }
  LS_HD static constexpr int a_stride() { return odd_stride(S::HIDDEN > 0 ? S::HIDDEN : 1); }
  LS_HD static constexpr int g_stride() { return odd_stride(S::ACTS); }
  /// Shared values of the data block (inputs then targets, sample-major), shared by all groups.
  LS_HD static std::size_t data_values(int n) {
    return std::size_t(n) * std::size_t(x_stride() + y_stride());
  }
  /// Shared values each group needs: weights, staged activations and signals, two reductions.
  LS_HD static std::size_t group_values(int n) {
    return std::size_t(S::P) + std::size_t(n) * std::size_t(a_stride() + g_stride()) + 2 * G;
  }

  /// Distance between consecutive groups' shared memory: group_values padded to 16 words
  /// modulo 32, so the two 16-lane groups of a warp use disjoint banks.
  LS_HD static std::size_t group_stride(int n) {
    constexpr std::size_t per_bank_row = 32 * 4 / sizeof(T);  // values in 32 four-byte banks
    const std::size_t v = group_values(n);
    return (v + per_bank_row - 1) / per_bank_row * per_bank_row + per_bank_row / 2;
  }

  /// Per-lane register state.
  struct Lane {
    T grad[PPL];
    T m[PPL];
    T v[PPL];
  };

  /// Views of one group's shared memory.
  struct Smem {
    T* W;
    T* A;
    T* Gs;
    T* red_loss;
    T* red_g2;
    LS_HD static Smem carve(T* base, int n) {
      Smem s;
      s.W = base;
      s.A = s.W + S::P;
      s.Gs = s.A + std::size_t(n) * a_stride();
      s.red_loss = s.Gs + std::size_t(n) * g_stride();
      s.red_g2 = s.red_loss + G;
      return s;
    }
  };

  /// Trains one network (weights in global `w_io`). `run.each(f)` must call f(lane, Lane&) for
  /// every lane of the group and then make the group's shared-memory writes visible to all of
  /// it; `run.leader()` is true on exactly one lane (or on the single CPU caller). Every value
  /// that steers control flow is read from shared memory after such a barrier, so all lanes
  /// agree on it.
  // Nine parameters: the lane runner and shared layout, then StreamTrainer::train's.
  template <class Runner>
  LS_HD static TrainOutcome train(Runner& run, const Smem& sm, const T* Xs, const T* Ys, int n,
                                  T* w_io, const TrainParams& p, T slope, double* curve) {
    switch (p.kind) {
      case OptimizerKind::gd:
        return train_with<OptimizerKind::gd>(run, sm, Xs, Ys, n, w_io, p, slope, curve);
      case OptimizerKind::momentum:
        return train_with<OptimizerKind::momentum>(run, sm, Xs, Ys, n, w_io, p, slope, curve);
      default: return train_with<OptimizerKind::adam>(run, sm, Xs, Ys, n, w_io, p, slope, curve);
    }
  }

  /// `train` for a fixed optimizer (one register allocation per optimizer in the kernels).
  // Nine parameters: as train; one function per optimizer, one register allocation each.
  template <OptimizerKind K, class Runner>
  LS_HD static TrainOutcome train_with(Runner& run, const Smem& sm, const T* Xs, const T* Ys,
                                       int n, T* w_io, const TrainParams& p, T slope,
                                       double* curve) {
    const bool leaky = slope != T(1);
    run.each([&](int lane, Lane& st) {
      for (int j = 0; j < PPL; ++j) {
        const int q = lane + j * G;
        if (q < S::P) sm.W[q] = w_io[q];
        st.m[j] = st.v[j] = T(0);
      }
    });
    AdamClock clock;
    TrainOutcome out;
    if (run.leader()) clear_curve(curve, p);
    for (long step = 0;; ++step) {
      run.each([&](int lane, Lane&) { sample_phase(lane, sm, Xs, Ys, n, slope, leaky); });
      run.each([&](int lane, Lane& st) { gradient_phase(lane, st, sm, Xs, n); });
      T L = T(0), g2 = T(0);
      for (int l = 0; l < G; ++l) {
        L += sm.red_loss[l];
        g2 += sm.red_g2[l];
      }
      L = T(0.5) * L;
      if (run.leader()) record_curve(curve, p, step, double(L));
      if (stop_test(L, g2, step, p, out)) break;
      const StepScalars<T> sc = next_step_scalars<T>(p, clock);
      run.each([&](int lane, Lane& st) { update_owned<K>(lane, st, sm, sc); });
    }
    run.each([&](int lane, Lane&) {
      for (int q = lane; q < S::P; q += G) w_io[q] = sm.W[q];
    });
    return out;
  }

 private:
  // Forward and backward of this lane's samples; stages A_1..A_{h−1} and G_1..G_h.
  // Seven parameters: lane, shared layout and staged data (force-inlined hot path).
  LS_HD static LS_INLINE void sample_phase(int lane, const Smem& sm, const T* Xs, const T* Ys,
                                           int n, T slope, bool leaky) {
    T part = T(0);
    LS_UNROLL
    for (int s = 0; s < SPL; ++s) {
      const int k = lane + s * G;
      if (k < n) {
        const T* x = Xs + k * x_stride();
        T a[S::ACTS];
        detail::sample_forward<S, 1>(sm.W, x, a, slope, leaky);
        T* Ak = sm.A + k * a_stride();
        LS_UNROLL
        for (int q = 0; q < S::HIDDEN; ++q) Ak[q] = a[q];
        T* Gk = sm.Gs + k * g_stride();
        T g[S::MAXW], gp[S::MAXW];
        part += detail::sample_output_signal<S>(a, Ys + k * y_stride(), g, slope);
        back_signals<S::H>(sm.W, a, g, gp, Gk, slope, leaky);
      }
    }
    sm.red_loss[lane] = part;
  }

  // Seven parameters: one layer's registers in the force-inlined, unrolled layer recursion.
  template <int I>
  LS_HD static LS_INLINE void back_signals(const T* W, const T* a, T* g, T* gp, T* Gk, T slope,
                                           bool leaky) {
    if constexpr (I >= 1) {
      constexpr int dout = S::dim(I);
      T* dst = Gk + S::act_offset(I);
      LS_UNROLL
      for (int r = 0; r < dout; ++r) dst[r] = g[r];
      if constexpr (I > 1) {
        constexpr int din = S::dim(I - 1);
        detail::sample_back_signal<S, I>(W, a, g, gp, slope, leaky);
        LS_UNROLL
        for (int c = 0; c < din; ++c) g[c] = gp[c];
        back_signals<I - 1>(W, a, g, gp, Gk, slope, leaky);
      }
    }
  }

  // Gradient of each owned parameter: a sum over samples with eight partial sums in the order
  // of math::dot, reading the staged signals and activations.
  LS_HD static LS_INLINE void gradient_phase(int lane, Lane& st, const Smem& sm, const T* Xs,
                                             int n) {
    T part = T(0);
    LS_UNROLL
    for (int j = 0; j < PPL; ++j) {
      const int q = lane + j * G;
      T gq = T(0);
      if (q < S::P) {
        int layer = 1;
        LS_UNROLL
        for (int i = 1; i < S::H; ++i)
          if (q >= S::weight_offset(i + 1)) layer = i + 1;
        const int din = dim_of(layer - 1);
        const int off = q - weight_offset_of(layer);
        const int r = off / din, c = off % din;
        const T* gcol = sm.Gs + act_offset_of(layer) + r;
        const T* acol;
        int astride;
        if (layer == 1) {
          acol = Xs + c;
          astride = x_stride();
        } else {
          acol = sm.A + act_offset_of(layer - 1) + c;
          astride = a_stride();
        }
        T acc[8] = {T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0)};
        int k = 0;
        for (; k + 8 <= n; k += 8) {
          LS_UNROLL
          for (int u = 0; u < 8; ++u)
            acc[u] += gcol[(k + u) * g_stride()] * acol[(k + u) * astride];
        }
        for (; k < n; ++k) acc[0] += gcol[k * g_stride()] * acol[k * astride];
        gq = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
      }
      st.grad[j] = gq;
      part += gq * gq;
    }
    sm.red_g2[lane] = part;
  }

  template <OptimizerKind K>
  LS_HD static LS_INLINE void update_owned(int lane, Lane& st, const Smem& sm,
                                           const StepScalars<T>& sc) {
    LS_UNROLL
    for (int j = 0; j < PPL; ++j) {
      const int q = lane + j * G;
      if (q < S::P) update_parameter<K>(sc, sm.W[q], st.grad[j], st.m[j], st.v[j]);
    }
  }

  // Runtime-index versions of the shape's tables (a layer index known only at run time).
  LS_HD static LS_INLINE int dim_of(int i) {
    int d = S::dim(0);
    LS_UNROLL
    for (int j = 1; j <= S::H; ++j)
      if (j == i) d = S::dim(j);
    return d;
  }
  LS_HD static LS_INLINE int weight_offset_of(int i) {
    int o = 0;
    LS_UNROLL
    for (int j = 2; j <= S::H; ++j)
      if (j == i) o = S::weight_offset(j);
    return o;
  }
  LS_HD static LS_INLINE int act_offset_of(int i) {
    int o = 0;
    LS_UNROLL
    for (int j = 2; j <= S::H; ++j)
      if (j == i) o = S::act_offset(j);
    return o;
  }
};

/// Runner that plays the G lanes of a group one after another on the calling thread: exact,
/// since lanes exchange data only through shared memory between phases.
template <class Trainer, int G>
struct SequentialRunner {
  typename Trainer::Lane lanes[G];
  template <class F>
  void each(F&& f) {
    for (int l = 0; l < G; ++l) f(l, lanes[l]);
  }
  bool leader() const { return true; }
};

}  // namespace landscape::math
