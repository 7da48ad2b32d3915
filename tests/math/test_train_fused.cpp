// The fused compile-time-shape trainers of the CUDA backend, run on the CPU exactly as the
// kernels run them (the group trainer with its lanes played one after another), against the
// reference training loop: same status and step count, same loss, weights and curve.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "landscape/math/train_fused.hpp"
#include "landscape/math/train.hpp"

using namespace landscape::math;

namespace {

struct Problem {
  std::vector<int> dims;
  int n;
  double slope;
  std::vector<double> X, Y, w;
};

Problem make_problem(std::vector<int> dims, int n, double slope, unsigned seed) {
  Problem pr{dims, n, slope, {}, {}, {}};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> N(0.0, 1.0);
  pr.X.resize(std::size_t(dims.front()) * n);
  pr.Y.resize(std::size_t(dims.back()) * n);
  for (auto& x : pr.X) x = N(rng);
  for (auto& y : pr.Y) y = N(rng);
  for (std::size_t i = 1; i < dims.size(); ++i) {
    const double sd = 1.0 / std::sqrt(double(dims[i - 1]));
    for (int k = 0; k < dims[i] * dims[i - 1]; ++k) pr.w.push_back(sd * N(rng));
  }
  return pr;
}

Shape shape_of(const Problem& pr) {
  Shape s;
  s.h = int(pr.dims.size()) - 1;
  s.dims = pr.dims.data();
  s.n = pr.n;
  s.slope = pr.slope;
  return s;
}

struct TrainRun {
  TrainOutcome out;
  std::vector<double> w, curve;
};

template <class T>
TrainRun reference(const Problem& pr, const TrainParams& p) {
  const Shape s = shape_of(pr);
  std::vector<T> X(pr.X.begin(), pr.X.end()), Y(pr.Y.begin(), pr.Y.end()), w(pr.w.begin(), pr.w.end());
  std::vector<T> ws(train_workspace(s));
  TrainRun r;
  r.curve.assign(std::size_t(std::max(p.curve_len, 1)), 0.0);
  r.out = train_network(s, X.data(), Y.data(), w.data(), p, ws.data(), r.curve.data());
  r.w.assign(w.begin(), w.end());
  return r;
}

template <class Tr, class T>
std::vector<T> staged_data(const Problem& pr) {
  std::vector<T> data(Tr::data_values(pr.n));
  stage_data<Tr>(pr.X.data(), pr.Y.data(), pr.n, data.data(), 0, 1);
  return data;
}

template <class S, class T>
TrainRun stream(const Problem& pr, const TrainParams& p) {
  using Tr = StreamTrainer<S, T>;
  EXPECT_TRUE(S::matches(shape_of(pr)));
  const std::vector<T> data = staged_data<Tr, T>(pr);
  std::vector<T> w(pr.w.begin(), pr.w.end());
  TrainRun r;
  r.curve.assign(std::size_t(std::max(p.curve_len, 1)), 0.0);
  r.out = Tr::train(data.data(), data.data() + std::size_t(pr.n) * Tr::x_stride(), pr.n, w.data(), p,
                    T(pr.slope), r.curve.data());
  r.w.assign(w.begin(), w.end());
  return r;
}

template <class S, int G, int SPL, class T>
TrainRun group(const Problem& pr, const TrainParams& p) {
  using Tr = GroupTrainer<S, G, SPL, T>;
  EXPECT_TRUE(S::matches(shape_of(pr)));
  EXPECT_LE(pr.n, Tr::MAX_N);
  const std::vector<T> data = staged_data<Tr, T>(pr);
  // Garbage in the group's shared memory must not matter: every value is written before use.
  std::vector<T> smem(Tr::group_values(pr.n), T(12345));
  const auto sm = Tr::Smem::carve(smem.data(), pr.n);
  SequentialRunner<Tr, G> run;
  for (auto& l : run.lanes)
    for (int j = 0; j < Tr::PPL; ++j) l.grad[j] = l.m[j] = l.v[j] = T(-777);
  std::vector<T> w(pr.w.begin(), pr.w.end());
  TrainRun r;
  r.curve.assign(std::size_t(std::max(p.curve_len, 1)), 0.0);
  r.out = Tr::train(run, sm, data.data(), data.data() + std::size_t(pr.n) * Tr::x_stride(), pr.n,
                    w.data(), p, T(pr.slope), r.curve.data());
  r.w.assign(w.begin(), w.end());
  return r;
}

void expect_same(const TrainRun& ref, const TrainRun& got, double rtol, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(ref.out.status, got.out.status);
  EXPECT_EQ(ref.out.steps, got.out.steps);
  // Dynamics come from the one stop test: the same initial loss and the same escape step (a
  // step apart at most, where rounding puts a loss on the plateau rule's threshold).
  EXPECT_NEAR(ref.out.initial_loss, got.out.initial_loss, rtol * std::max(1.0, std::abs(ref.out.initial_loss)));
  EXPECT_NEAR(double(ref.out.escape_step), double(got.out.escape_step), 1.0);
  EXPECT_NEAR(ref.out.late_loss, got.out.late_loss, rtol * std::max(1.0, std::abs(ref.out.late_loss)));
  EXPECT_NEAR(ref.out.loss, got.out.loss, rtol * std::max(1.0, std::abs(ref.out.loss)));
  EXPECT_NEAR(ref.out.grad_norm, got.out.grad_norm, rtol * std::max(1.0, ref.out.grad_norm));
  double wmax = 1.0;
  for (double x : ref.w) wmax = std::max(wmax, std::abs(x));
  ASSERT_EQ(ref.w.size(), got.w.size());
  for (std::size_t k = 0; k < ref.w.size(); ++k) EXPECT_NEAR(ref.w[k], got.w[k], rtol * wmax) << "w[" << k << "]";
  ASSERT_EQ(ref.curve.size(), got.curve.size());
  for (std::size_t k = 0; k < ref.curve.size(); ++k) {
    if (std::isnan(ref.curve[k])) {
      EXPECT_TRUE(std::isnan(got.curve[k])) << "curve[" << k << "]";
    } else {
      EXPECT_NEAR(ref.curve[k], got.curve[k], rtol * std::max(1.0, std::abs(ref.curve[k])))
          << "curve[" << k << "]";
    }
  }
}

TrainParams params(OptimizerKind kind, long steps) {
  TrainParams p;
  p.kind = kind;
  p.lr = kind == OptimizerKind::adam ? 3e-3 : 2e-3;
  p.max_steps = steps;
  p.curve_every = 7;
  p.curve_len = int(steps / 7) + 3;  // a few slots are never reached and must stay NaN
  return p;
}

constexpr OptimizerKind kAll[] = {OptimizerKind::gd, OptimizerKind::momentum, OptimizerKind::adam};

TEST(StaticShape, TablesMatchTheRuntimeShape) {
  using S = StaticShape<32, 16, 8, 4>;
  static_assert(S::H == 3 && S::P == 32 * 16 + 16 * 8 + 8 * 4 && S::ACTS == 28 && S::HIDDEN == 24);
  static_assert(S::MAXW == 32 && S::weight_offset(3) == 32 * 16 + 16 * 8 && S::act_offset(3) == 24);
  const int dims[] = {32, 16, 8, 4}, other[] = {32, 16, 8, 5};
  Shape s;
  s.h = 3;
  s.dims = dims;
  EXPECT_TRUE(S::matches(s));
  EXPECT_EQ(param_count(s), std::size_t(S::P));
  s.dims = other;
  EXPECT_FALSE(S::matches(s));
  s.h = 2;
  s.dims = dims;
  EXPECT_FALSE(S::matches(s));
  static_assert(odd_stride(16) == 17 && odd_stride(7) == 7);
  // Consecutive groups start 16 banks apart (two 16-lane groups of a warp never conflict).
  for (int n : {1, 5, 16, 64}) {
    using F = GroupTrainer<S, 16, 4, float>;
    using D = GroupTrainer<S, 16, 4, double>;
    EXPECT_GE(F::group_stride(n), F::group_values(n));
    EXPECT_GE(D::group_stride(n), D::group_values(n));
    EXPECT_EQ(F::group_stride(n) % 32, 16u) << n;
    EXPECT_EQ(D::group_stride(n) * 2 % 32, 16u) << n;
  }
}

TEST(StreamTrainer, GradientMatchesReference) {
  using S = StaticShape<6, 4, 4, 6>;
  using Tr = StreamTrainer<S, double>;
  for (double slope : {1.0, 0.2}) {
    const Problem pr = make_problem({6, 4, 4, 6}, 32, slope, 3);
    const Shape s = shape_of(pr);
    std::vector<double> g_ref(S::P), g(S::P), ws(gradient_workspace(s));
    const double L_ref = loss_and_gradient(s, pr.X.data(), pr.Y.data(), pr.w.data(), g_ref.data(), ws.data());
    const auto data = staged_data<Tr, double>(pr);
    const double L = Tr::loss_and_gradient(data.data(), data.data() + 32 * Tr::x_stride(), 32, pr.w.data(),
                                           g.data(), slope, slope != 1.0);
    EXPECT_NEAR(L, L_ref, 1e-13 * L_ref);
    double gmax = 0;
    for (double x : g_ref) gmax = std::max(gmax, std::abs(x));
    ASSERT_GT(gmax, 0.0);
    for (int k = 0; k < S::P; ++k) EXPECT_NEAR(g[std::size_t(k)], g_ref[std::size_t(k)], 1e-13 * gmax) << k;
  }
}

TEST(StreamTrainer, TrainsLikeTheReference) {
  for (OptimizerKind kind : kAll)
    for (double slope : {1.0, 0.1}) {
      const Problem pr = make_problem({6, 4, 4, 6}, 32, slope, 11);
      const TrainParams p = params(kind, 300);
      const std::string what = "kind " + std::to_string(int(kind)) + " slope " + std::to_string(slope);
      expect_same(reference<double>(pr, p), stream<StaticShape<6, 4, 4, 6>, double>(pr, p), 1e-10, what + " f64");
      expect_same(reference<float>(pr, p), stream<StaticShape<6, 4, 4, 6>, float>(pr, p), 2e-4, what + " f32");
      const Problem two = make_problem({3, 5, 2}, 7, slope, 12);
      expect_same(reference<double>(two, p), stream<StaticShape<3, 5, 2>, double>(two, p), 1e-10, what + " 3-5-2");
    }
}

TEST(GroupTrainer, TrainsLikeTheReference) {
  for (OptimizerKind kind : kAll) {
    const TrainParams p = params(kind, 120);
    const std::string what = "kind " + std::to_string(int(kind));
    // W-M's shape with every lane busy, and with some lanes out of samples.
    for (int n : {64, 50}) {
      const Problem pr = make_problem({16, 16, 16, 16}, n, 1.0, 21 + unsigned(n));
      expect_same(reference<double>(pr, p), group<StaticShape<16, 16, 16, 16>, 32, 2, double>(pr, p), 1e-10,
                  what + " W-M n " + std::to_string(n));
    }
    // W-P's leaky pyramid, two groups of 16 lanes per warp.
    const Problem pyr = make_problem({32, 16, 8, 4}, 16, 0.1, 31);
    expect_same(reference<double>(pyr, p), group<StaticShape<32, 16, 8, 4>, 16, 1, double>(pyr, p), 1e-10,
                what + " W-P");
    expect_same(reference<float>(pyr, p), group<StaticShape<32, 16, 8, 4>, 16, 1, float>(pyr, p), 2e-4,
                what + " W-P f32");
    // More samples than lanes, n not a multiple of G, and a one-layer network (no hidden layer).
    const Problem odd = make_problem({4, 3, 3, 2}, 10, 0.3, 41);
    expect_same(reference<double>(odd, p), group<StaticShape<4, 3, 3, 2>, 4, 3, double>(odd, p), 1e-10,
                what + " 4-3-3-2");
    const Problem one = make_problem({3, 2}, 3, 1.0, 51);
    expect_same(reference<double>(one, p), group<StaticShape<3, 2>, 2, 2, double>(one, p), 1e-10, what + " 3-2");
  }
}

TEST(FusedTrainers, DivergenceAndConvergenceStopLikeTheReference) {
  const Problem pr = make_problem({6, 4, 4, 6}, 32, 1.0, 61);
  TrainParams p = params(OptimizerKind::gd, 500);
  p.lr = 5.0;  // explodes within a few steps
  const TrainRun ref = reference<double>(pr, p);
  ASSERT_EQ(ref.out.status, TrainStatus::diverged);
  expect_same(ref, stream<StaticShape<6, 4, 4, 6>, double>(pr, p), 1e-6, "stream diverged");
  expect_same(ref, group<StaticShape<6, 4, 4, 6>, 8, 4, double>(pr, p), 1e-6, "group diverged");
  p.lr = 1e-3;
  p.grad_tol = 1e6;  // converged before the first step: zero steps, weights untouched
  const TrainRun conv = stream<StaticShape<6, 4, 4, 6>, double>(pr, p);
  EXPECT_EQ(conv.out.status, TrainStatus::converged);
  EXPECT_EQ(conv.out.steps, 0);
  EXPECT_EQ(conv.w, pr.w);
  const TrainRun gconv = group<StaticShape<6, 4, 4, 6>, 8, 4, double>(pr, p);
  EXPECT_EQ(gconv.out.status, TrainStatus::converged);
  EXPECT_EQ(gconv.w, pr.w);
}

TEST(FusedTrainers, NonFiniteDataMarksDivergedAtStepZero) {
  Problem pr = make_problem({6, 4, 4, 6}, 32, 1.0, 71);
  pr.w[5] = std::numeric_limits<double>::quiet_NaN();
  const TrainParams p = params(OptimizerKind::adam, 50);
  const TrainRun s = stream<StaticShape<6, 4, 4, 6>, double>(pr, p);
  const TrainRun g = group<StaticShape<6, 4, 4, 6>, 8, 4, double>(pr, p);
  for (const TrainRun* r : {&s, &g}) {
    EXPECT_EQ(r->out.status, TrainStatus::diverged);
    EXPECT_EQ(r->out.steps, 0);
  }
}

}  // namespace
