// Training: reaches the global minimum on easy cases in both precisions and with every
// optimizer; divergence is caught per network; results do not depend on thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>

#include "landscape/core/linalg.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/io/config.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/analysis/optimum.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

using TrainCase = std::tuple<Precision, std::string>;

class EasyTraining : public ::testing::TestWithParam<TrainCase> {};

TEST_P(EasyTraining, ReachesGlobalMinimum) {
  const auto [prec, opt] = GetParam();
  // A wide two-layer linear net and a convex one-layer net: no bad critical points on the way.
  for (std::vector<int> dims : {std::vector<int>{3, 3}, std::vector<int>{3, 5, 2}}) {
    ExperimentConfig cfg;
    cfg.networks = 6;
    cfg.model = make_model(Family::linear, dims);
    cfg.data.n = 8;
    cfg.train.optimizer = opt;
    cfg.train.lr = opt == "adam" ? 1e-2 : 5e-3;
    cfg.train.steps = 30000;
    cfg.train.precision = prec;
    cfg.train.grad_tol = prec == Precision::f32 ? 1e-6 : 1e-9;
    cfg.decide.tol.grad = 1e-4;
    auto cpu = make_cpu_backend(0);
    const SampleResult r = run_sample(cfg, *cpu, nullptr);
    EXPECT_EQ(r.optimum.kind, "closed_form");
    for (const auto& e : r.endpoints) {
      EXPECT_EQ(e.cls, PointClass::global_minimum)
          << to_string(prec) << " " << opt << " net " << e.index << " loss " << e.loss
          << " L* " << r.optimum.value << " |g| " << e.grad_norm;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    PrecisionsAndOptimizers, EasyTraining,
    ::testing::Combine(::testing::Values(Precision::f32, Precision::f64),
                       ::testing::Values(std::string("gd"), std::string("momentum"),
                                         std::string("adam"))),
    [](const auto& info) {
      return to_string(std::get<0>(info.param)) + "_" + std::get<1>(info.param);
    });

TEST(Divergence, CaughtPerNetworkWithoutTouchingTheRest) {
  for (Precision prec : {Precision::f32, Precision::f64}) {
    const Model m = make_model(Family::linear, {3, 4, 2});
    const Dataset d = gaussian_data(m, 6, 1);
    const std::size_t P = m.param_count();
    TrainSettings s;
    s.precision = prec;
    s.params.lr = 1e-2;
    s.params.max_steps = 2000;
    s.params.diverge_loss = 1e8;
    // Networks 1 and 3 start far out, where this step size explodes.
    std::vector<double> w(4 * P);
    for (int i = 0; i < 4; ++i)
      math::init_network(7, math::kStreamInitBase + i, m.depth(), m.dims.data(),
                         (i % 2) ? 50.0 : 1.0, &w[i * P]);
    std::vector<double> alone(w.begin(), w.begin() + P);
    std::vector<math::TrainOutcome> out(4), out_alone(1);
    auto cpu = make_cpu_backend(2);
    cpu->train(m, d, s, 4, w.data(), out.data());
    EXPECT_EQ(out[1].status, math::TrainStatus::diverged);
    EXPECT_EQ(out[3].status, math::TrainStatus::diverged);
    EXPECT_NE(out[0].status, math::TrainStatus::diverged);
    EXPECT_NE(out[2].status, math::TrainStatus::diverged);
    cpu->train(m, d, s, 1, alone.data(), out_alone.data());
    for (std::size_t k = 0; k < P; ++k) EXPECT_EQ(alone[k], w[k]);  // bitwise: no cross-talk
    EXPECT_EQ(out_alone[0].steps, out[0].steps);
  }
}

TEST(Divergence, DivergedEndpointsAreClassifiedDivergedAndExcludedFromCounts) {
  ExperimentConfig cfg;
  cfg.networks = 32;
  cfg.model = make_model(Family::linear, {3, 4, 2});
  cfg.data.n = 6;
  cfg.init.scale = 5.0;  // some inits blow up at this step size, others do not
  cfg.train.lr = 3e-3;
  cfg.train.steps = 3000;
  auto cpu = make_cpu_backend(0);
  const SampleResult r = run_sample(cfg, *cpu, nullptr);
  long diverged = 0;
  for (const auto& e : r.endpoints)
    if (e.train_status == math::TrainStatus::diverged) {
      ++diverged;
      EXPECT_EQ(e.cls, PointClass::diverged);
    }
  EXPECT_GT(diverged, 0);
  EXPECT_LT(diverged, cfg.networks);
  EXPECT_EQ(r.counts[std::size_t(PointClass::diverged)], diverged);
  EXPECT_TRUE(std::isfinite(r.optimum.value));
}

TEST(Determinism, IndependentOfThreadCountAndChunking) {
  ExperimentConfig cfg;
  cfg.networks = 10;
  cfg.model = make_model(Family::leaky_relu, {4, 3, 2}, 0.1);
  cfg.data.n = 4;
  cfg.train.lr = 5e-3;
  cfg.train.steps = 500;
  auto one = make_cpu_backend(1);
  auto two = make_cpu_backend(2);
  const SampleResult a = run_sample(cfg, *one, nullptr);
  cfg.chunk = 3;
  const SampleResult b = run_sample(cfg, *two, nullptr);
  ASSERT_EQ(a.endpoints.size(), b.endpoints.size());
  for (std::size_t i = 0; i < a.endpoints.size(); ++i) {
    EXPECT_EQ(a.endpoints[i].loss, b.endpoints[i].loss);
    EXPECT_EQ(a.endpoints[i].cls, b.endpoints[i].cls);
    EXPECT_EQ(a.endpoints[i].nominal_spectrum().lambda_min, b.endpoints[i].nominal_spectrum().lambda_min);
  }
}

TEST(Data, TeacherTargetsAreRealizable) {
  const Model m = make_model(Family::linear, {4, 2, 3});
  DataSpec s;
  s.n = 7;
  s.y = TargetKind::teacher;
  const Dataset d = make_dataset(s, m, 3);
  // A noiseless teacher of the same architecture is reachable: L* = 0.
  EXPECT_NEAR(*closed_form_optimum(m, d), 0.0, 1e-10);
  s.noise = 0.5;
  const Dataset dn = make_dataset(s, m, 3);
  EXPECT_GT(*closed_form_optimum(m, dn), 1e-3);
}

TEST(Data, PrescribedRanksAndReproducibility) {
  const Model m = make_model(Family::linear, {6, 3, 5});
  const Dataset a = gaussian_data(m, 9, 42, 2, 3);
  const Dataset b = gaussian_data(m, 9, 42, 2, 3);
  EXPECT_EQ(a.X, b.X);
  EXPECT_EQ(a.Y, b.Y);
  EXPECT_EQ(numerical_rank(a.X.data(), 6, 9), 2);
  EXPECT_EQ(numerical_rank(a.Y.data(), 5, 9), 3);
  const Dataset c = gaussian_data(m, 9, 43, 2, 3);
  EXPECT_NE(a.X, c.X);
}

// The GPU's general training kernel keeps each network's weights and scratch interleaved
// across the networks of a launch (math::Strided); replayed here with the kernel's layout, every
// optimizer in both precisions gives bitwise what the plain loop gives, divergence included.
template <class T>
void expect_interleaved_training_is_bitwise(Family family, math::OptimizerKind kind) {
  const Model m = make_model(family, {4, 5, 3}, 0.1);
  const Dataset d = gaussian_data(m, 9, 12);
  const math::Shape s = m.shape(d.n);
  const std::size_t P = m.param_count(), count = 5, tw = math::train_workspace(s);
  const std::vector<T> X(d.X.begin(), d.X.end()), Y(d.Y.begin(), d.Y.end());
  math::TrainParams p;
  p.kind = kind;
  p.lr = 1e-2;
  p.max_steps = 300;
  p.curve_every = 40;
  p.curve_len = 9;
  std::vector<T> w0(count * P);
  for (std::size_t i = 0; i < count; ++i) {
    const std::vector<double> w = random_weights(m, 70 + i);
    for (std::size_t k = 0; k < P; ++k) w0[i * P + k] = T(w[k] * (i == 4 ? 30.0 : 1.0));
    if (i == 3) w0[i * P + 2] = std::numeric_limits<T>::quiet_NaN();  // diverged at step 0
  }
  std::vector<T> ws(count * (P + tw), std::numeric_limits<T>::quiet_NaN());
  std::vector<T> plain_ws(tw);
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<T> ref(w0.begin() + std::ptrdiff_t(i * P), w0.begin() + std::ptrdiff_t((i + 1) * P));
    std::vector<double> ref_curve(9), curve(9);
    const math::TrainOutcome a = math::train_network(s, X.data(), Y.data(), ref.data(), p, plain_ws.data(), ref_curve.data());
    const math::Strided<T> w{ws.data() + i, count};
    for (std::size_t k = 0; k < P; ++k) w[k] = w0[i * P + k];
    const math::TrainOutcome b = math::train_network(s, X.data(), Y.data(), w, p, w + P, curve.data());
    EXPECT_EQ(a.status, b.status) << "network " << i;
    EXPECT_EQ(a.steps, b.steps) << "network " << i;
    EXPECT_EQ(a.escape_step, b.escape_step) << "network " << i;
    EXPECT_EQ(std::memcmp(&a.late_loss, &b.late_loss, sizeof(double)), 0) << "network " << i;
    EXPECT_EQ(std::memcmp(&a.loss, &b.loss, sizeof(double)), 0) << "network " << i;
    for (std::size_t k = 0; k < P; ++k)
      EXPECT_EQ(std::memcmp(&ref[k], &w[k], sizeof(T)), 0) << "network " << i << " w " << k;
    EXPECT_EQ(std::memcmp(ref_curve.data(), curve.data(), 9 * sizeof(double)), 0) << "network " << i;
    if (i == 3) EXPECT_EQ(b.status, math::TrainStatus::diverged);
  }
}

TEST(TrainingDynamics, EscapeStepAndLateLossFollowTheRuleOnTheCurve) {
  // A deep linear network from a small initialization sits on the plateau around W = 0 before
  // it escapes: the escape step is the first step where the loss has covered a tenth of the way
  // from L(0) down to L*, read off the full loss curve.
  const Model m = make_model(Family::linear, {4, 3, 3, 4});
  const Dataset d = gaussian_data(m, 10, 4);
  const math::Shape s = m.shape(d.n);
  math::TrainParams p;
  p.lr = 0.02;
  p.max_steps = 3000;
  p.curve_every = 1;
  p.curve_len = int(p.max_steps) + 1;
  p.escape_floor = closed_form_optimum(m, d).value();
  std::vector<double> ws(math::train_workspace(s)), curve(std::size_t(p.curve_len));
  const std::vector<double> w0 = random_weights(m, 5, 1e-2);
  std::vector<double> w = w0;
  const math::TrainOutcome o = math::train_network(s, d.X.data(), d.Y.data(), w.data(), p, ws.data(), curve.data());
  ASSERT_NE(o.status, math::TrainStatus::diverged);
  EXPECT_EQ(o.initial_loss, curve[0]);
  long expected = -1;
  for (long t = 0; t <= o.steps; ++t)
    if (curve[0] - curve[std::size_t(t)] >= 0.1 * (curve[0] - p.escape_floor)) {
      expected = t;
      break;
    }
  ASSERT_GT(expected, 50) << "the small initialization should start on a plateau";
  EXPECT_EQ(o.escape_step, expected);
  EXPECT_EQ(o.late_loss, curve[std::size_t(std::min(o.steps, math::late_step(p.max_steps)))]);
  const DynamicsInfo left = dynamics_of(o, 1e-6);
  EXPECT_FALSE(left.on_plateau);
  EXPECT_DOUBLE_EQ(left.loss_drop, o.initial_loss - o.loss);

  // Stopped before that step: still on the plateau, and out of budget.
  p.max_steps = expected - 1;
  w = w0;
  const math::TrainOutcome early = math::train_network(s, d.X.data(), d.Y.data(), w.data(), p, ws.data(), curve.data());
  EXPECT_EQ(early.status, math::TrainStatus::budget);
  EXPECT_EQ(early.escape_step, -1);
  const DynamicsInfo stuck = dynamics_of(early, 1e-6);
  EXPECT_TRUE(stuck.on_plateau);
  EXPECT_EQ(stuck.label(), "plateau");

  // Stopped in the middle of the descent: left the plateau, out of budget, still falling.
  p.max_steps = expected + 20;
  w = w0;
  const math::TrainOutcome mid = math::train_network(s, d.X.data(), d.Y.data(), w.data(), p, ws.data(), curve.data());
  EXPECT_EQ(mid.escape_step, expected);
  const DynamicsInfo falling = dynamics_of(mid, 1e-6);
  EXPECT_FALSE(falling.on_plateau);
  EXPECT_TRUE(falling.still_descending);
  EXPECT_EQ(falling.label(), "descending");
  EXPECT_GT(mid.late_loss, mid.loss);
}

TEST(InterleavedTraining, BitwiseThePlainLoop) {
  for (Family f : {Family::linear, Family::leaky_relu})
    for (math::OptimizerKind k : {math::OptimizerKind::gd, math::OptimizerKind::momentum, math::OptimizerKind::adam}) {
      SCOPED_TRACE(to_string(f) + " optimizer " + std::to_string(int(k)));
      expect_interleaved_training_is_bitwise<double>(f, k);
      expect_interleaved_training_is_bitwise<float>(f, k);
    }
}

/// Trains `count` networks of `m` on `d` with compression on or off; returns weights, outcomes
/// and curves.
struct Trained {
  std::vector<double> w, curves;
  std::vector<math::TrainOutcome> out;
};
Trained train_batch_with(const Model& m, const Dataset& d, Precision prec, bool compress,
                         std::size_t count) {
  TrainSettings s;
  s.precision = prec;
  s.compress = compress;
  s.params.lr = 2e-3;
  s.params.max_steps = 400;
  s.params.grad_tol = 0;
  s.params.curve_every = 100;
  s.params.curve_len = 5;
  Trained t;
  t.w = network_batch(m, 5, count);
  t.out.resize(count);
  t.curves.resize(count * 5);
  make_cpu_backend(2)->train(m, d, s, count, t.w.data(), t.out.data(), t.curves.data());
  return t;
}

double rel(double a, double b) { return std::fabs(a - b) / std::max(std::fabs(b), 1e-300); }

TEST(CompressedTraining, SameEndpointsAsTheSamples) {
  // W-S's shape: n = 32 > d0 = 6, so training runs on the 6 compressed samples.
  const Model m = make_model(Family::linear, {6, 4, 4, 6});
  const Dataset d = gaussian_data(m, 32, 21);
  const std::size_t count = 12, P = m.param_count();
  const std::vector<double> init = network_batch(m, 5, count);
  for (Precision prec : {Precision::f64, Precision::f32}) {
    const double tol = prec == Precision::f64 ? 1e-12 : 1e-4;
    const Trained c = train_batch_with(m, d, prec, true, count);
    const Trained u = train_batch_with(m, d, prec, false, count);
    for (std::size_t i = 0; i < count; ++i) {
      SCOPED_TRACE("network " + std::to_string(i) + (prec == Precision::f64 ? " f64" : " f32"));
      EXPECT_EQ(c.out[i].status, u.out[i].status);
      EXPECT_EQ(c.out[i].steps, u.out[i].steps);
      EXPECT_EQ(c.out[i].escape_step, u.out[i].escape_step);
      // The constant part of the loss is added back: the initial loss is the data's.
      const std::vector<double> w0(init.begin() + long(i * P), init.begin() + long((i + 1) * P));
      EXPECT_LE(rel(c.out[i].initial_loss, loss_at(m, d, w0)), tol);
      EXPECT_LE(rel(c.out[i].loss, u.out[i].loss), tol);
      EXPECT_LE(rel(c.out[i].late_loss, u.out[i].late_loss), tol);
      EXPECT_LE(rel(c.out[i].grad_norm, u.out[i].grad_norm), prec == Precision::f64 ? 1e-9 : 1e-2);
      for (int k = 0; k < 5; ++k) EXPECT_LE(rel(c.curves[i * 5 + k], u.curves[i * 5 + k]), tol);
      double dw = 0, wmax = 0;
      for (std::size_t k = 0; k < P; ++k) {
        dw = std::max(dw, std::fabs(c.w[i * P + k] - u.w[i * P + k]));
        wmax = std::max(wmax, std::fabs(u.w[i * P + k]));
      }
      EXPECT_LE(dw, (prec == Precision::f64 ? 1e-10 : 1e-3) * wmax);
    }
  }
}

TEST(CompressedTraining, StopsByGradientToleranceAsTheSamplesDo) {
  // n ≫ d0 and a real gradient tolerance: the constant part of the loss is large, and the stop
  // test must still see the same loss and gradient norm as on the samples.
  const Model m = make_model(Family::linear, {4, 3, 2});
  const Dataset d = gaussian_data(m, 2000, 13);
  const std::size_t count = 8;
  TrainSettings s;
  s.params.kind = math::OptimizerKind::adam;
  s.params.lr = 1e-2;
  s.params.max_steps = 20000;
  s.params.grad_tol = 1e-7 * loss_scale(d);
  std::vector<math::TrainOutcome> oc(count), ou(count);
  std::vector<double> wc = network_batch(m, 9, count), wu = wc;
  make_cpu_backend(2)->train(m, d, s, count, wc.data(), oc.data());
  s.compress = false;
  make_cpu_backend(2)->train(m, d, s, count, wu.data(), ou.data());
  for (std::size_t i = 0; i < count; ++i) {
    SCOPED_TRACE("network " + std::to_string(i));
    EXPECT_EQ(oc[i].status, math::TrainStatus::converged);
    EXPECT_EQ(oc[i].status, ou[i].status);
    EXPECT_LE(std::labs(oc[i].steps - ou[i].steps), 1);  // rounding at the threshold at most
    EXPECT_LE(rel(oc[i].loss, ou[i].loss), 1e-12);
    EXPECT_LE(oc[i].grad_norm, s.params.grad_tol);
  }
}

TEST(CompressedTraining, LeakyNetworksAndFewSamplesTrainOnTheDataAsGiven) {
  const Model leaky = make_model(Family::leaky_relu, {6, 4, 2});
  const Model lin = make_model(Family::linear, {6, 4, 2});
  for (const auto& [m, n] : {std::pair<Model, int>{leaky, 32}, std::pair<Model, int>{lin, 6}}) {
    const Dataset d = gaussian_data(m, n, 4);
    const Trained c = train_batch_with(m, d, Precision::f64, true, 8);
    const Trained u = train_batch_with(m, d, Precision::f64, false, 8);
    EXPECT_EQ(0, std::memcmp(c.w.data(), u.w.data(), c.w.size() * sizeof(double)));
    EXPECT_EQ(0, std::memcmp(c.curves.data(), u.curves.data(), c.curves.size() * sizeof(double)));
  }
}

}  // namespace
