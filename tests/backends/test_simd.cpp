// The CPU backend's SIMD paths: every dispatch target this machine supports against the scalar
// per-network reference loop (float64 bitwise, float32 within the GPU parity tolerances),
// per-lane stop and divergence masks, independence of thread count and chunking, the
// LANDSCAPE_SIMD choice and the FMA peak.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "landscape/backends/backend.hpp"
#include "landscape/backends/simd.hpp"
#include "landscape/core/common.hpp"
#include "landscape/run/experiment.hpp"
#include "test_util.hpp"

using namespace landscape;
using namespace landscape::testing;

namespace {

/// Sets an environment variable (LANDSCAPE_SIMD unless named) for one scope, restoring the old
/// value; an empty value unsets it.
class SimdEnv {
 public:
  explicit SimdEnv(const std::string& value, const char* name = "LANDSCAPE_SIMD") : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old, m_had = true;
    if (value.empty())
      ::unsetenv(name);
    else
      ::setenv(name, value.c_str(), 1);
  }
  ~SimdEnv() {
    if (m_had)
      ::setenv(m_name, m_old.c_str(), 1);
    else
      ::unsetenv(m_name);
  }
  SimdEnv(const SimdEnv&) = delete;
  SimdEnv& operator=(const SimdEnv&) = delete;

 private:
  const char* m_name;
  std::string m_old;
  bool m_had = false;
};

struct Batch {
  std::vector<double> w, curves;
  std::vector<math::TrainOutcome> out;
};

constexpr int kCurveLen = 8;

/// Trains `w0` (count networks) on `path` with `threads` threads, in chunks of `chunk`. A path
/// is a target of simd_targets(), optionally with ":1" or ":2", the registers per lane value
/// (LANDSCAPE_SIMD_REGS; without it the backend chooses).
// Seven parameters: the problem, the settings and the three ways of running it.
Batch train_on(const std::string& path, const Model& m, const Dataset& d, const TrainSettings& st,
               const std::vector<double>& w0, int threads, std::size_t chunk = 0) {
  const std::size_t colon = path.find(':');
  SimdEnv env(path.substr(0, colon));
  SimdEnv regs(colon == std::string::npos ? "" : path.substr(colon + 1), "LANDSCAPE_SIMD_REGS");
  const std::size_t P = m.param_count(), count = w0.size() / P;
  if (chunk == 0) chunk = count;
  Batch b{w0, std::vector<double>(count * kCurveLen), std::vector<math::TrainOutcome>(count)};
  auto cpu = make_cpu_backend(threads);
  for (std::size_t first = 0; first < count; first += chunk) {
    const std::size_t c = std::min(chunk, count - first);
    cpu->train(m, d, st, c, b.w.data() + first * P, b.out.data() + first,
               b.curves.data() + first * kCurveLen);
  }
  return b;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// Every value of `a` and `b` bitwise equal.
void expect_bitwise(const Batch& a, const Batch& b, std::size_t P) {
  std::size_t diff = 0;
  for (std::size_t i = 0; i < a.out.size(); ++i) {
    EXPECT_EQ(int(a.out[i].status), int(b.out[i].status)) << "network " << i;
    EXPECT_EQ(a.out[i].steps, b.out[i].steps) << "network " << i;
    EXPECT_TRUE(same_bits(a.out[i].loss, b.out[i].loss)) << "network " << i;
    EXPECT_TRUE(same_bits(a.out[i].grad_norm, b.out[i].grad_norm)) << "network " << i;
    EXPECT_TRUE(same_bits(a.out[i].initial_loss, b.out[i].initial_loss)) << "network " << i;
    EXPECT_TRUE(same_bits(a.out[i].late_loss, b.out[i].late_loss)) << "network " << i;
    EXPECT_EQ(a.out[i].escape_step, b.out[i].escape_step) << "network " << i;
    for (std::size_t k = 0; k < P; ++k) diff += !same_bits(a.w[i * P + k], b.w[i * P + k]);
    for (int k = 0; k < kCurveLen; ++k)
      diff += !same_bits(a.curves[i * kCurveLen + k], b.curves[i * kCurveLen + k]);
  }
  EXPECT_EQ(diff, 0u) << "weights or curve values that differ bitwise";
}

TrainSettings settings(Precision prec, math::OptimizerKind k) {
  TrainSettings st;
  st.precision = prec;
  st.params.kind = k;
  st.params.lr = 1e-3;
  st.params.max_steps = 300;
  st.params.curve_every = 40;
  st.params.curve_len = kCurveLen;
  return st;
}

std::vector<std::string> lane_targets() {
  std::vector<std::string> t = simd_targets();
  t.pop_back();  // "scalar", the reference
  return t;
}

/// Every lane target with one and with two registers per lane value ("avx2:1", "avx2:2", …).
std::vector<std::string> lane_paths() {
  std::vector<std::string> p;
  for (const std::string& t : lane_targets())
    for (const char* r : {":1", ":2"}) p.push_back(t + r);
  return p;
}

struct Problem {
  Family family;
  std::vector<int> dims;
  int n;
};
// W-S's shape (trained on its compressed data: 6 samples), a leaky net, and odd widths and
// sample counts 1, 2, 3, 9 and 10, which take every remainder path of the register-blocked
// lane products (test_lanes.cpp checks each product alone for every size up to 9).
const Problem kProblems[] = {{Family::linear, {6, 4, 4, 6}, 32},
                             {Family::leaky_relu, {12, 8, 6, 4}, 10},
                             {Family::leaky_relu, {7, 5, 3}, 9},
                             {Family::leaky_relu, {5, 3, 2}, 3},
                             {Family::leaky_relu, {2, 5, 3}, 2},
                             {Family::leaky_relu, {3, 3, 2}, 1}};

TEST(Simd, TargetsEndWithTheScalarReferenceAndNameTheirLanes) {
  const std::vector<std::string> t = simd_targets();
  ASSERT_GE(t.size(), 1u);
  EXPECT_EQ(t.back(), "scalar");
  EXPECT_EQ(simd_target(), t.front());
  EXPECT_EQ(simd_lanes("scalar", Precision::f64), 1);
  for (const std::string& name : lane_targets()) {
    SCOPED_TRACE(name);
    const int l32 = simd_lanes(name, Precision::f32), l64 = simd_lanes(name, Precision::f64);
    EXPECT_EQ(l32, 2 * l64);
    EXPECT_GE(l64, 2);
    if (name == "avx2") EXPECT_EQ(l32, 8);
    if (name == "avx512") EXPECT_EQ(l32, 16);
  }
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    EXPECT_NE(std::find(t.begin(), t.end(), "avx2"), t.end())
        << "an AVX2 CPU without the avx2 path";
#endif
}

// Two registers per lane value unless that would leave threads idle on a small batch; the
// variable forces either, and any other value is an error naming it.
TEST(Simd, RegistersPerLaneFollowTheBatchAndTheVariable) {
  SimdEnv unset("", "LANDSCAPE_SIMD_REGS");
  EXPECT_EQ(simd_registers(2000, 8, 2), 2);  // 63 rounds of wide groups against 125
  EXPECT_EQ(simd_registers(64, 8, 2), 2);    // 4 wide groups: 2 rounds; 8 narrow: 4 rounds
  EXPECT_EQ(simd_registers(40, 8, 2), 1);    // 3 wide groups: 2 rounds; 5 narrow: 3 rounds
  EXPECT_EQ(simd_registers(16, 8, 1), 2);    // 1 wide round against 2 narrow ones
  EXPECT_EQ(simd_registers(16, 8, 2), 1);    // one wide group would leave a thread idle
  EXPECT_EQ(simd_registers(1, 4, 0), 1);
  {
    SimdEnv force("1", "LANDSCAPE_SIMD_REGS");
    EXPECT_EQ(simd_registers(2000, 8, 2), 1);
  }
  {
    SimdEnv force("2", "LANDSCAPE_SIMD_REGS");
    EXPECT_EQ(simd_registers(1, 8, 2), 2);
  }
  SimdEnv bad("3", "LANDSCAPE_SIMD_REGS");
  try {
    simd_registers(100, 8, 2);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("LANDSCAPE_SIMD_REGS"), std::string::npos) << e.what();
  }
}

TEST(Simd, BadRegisterCountIsAnErrorOnEveryTrainingPath) {
  const Model m = make_model(Family::linear, {3, 2});
  const Dataset d = gaussian_data(m, 4, 1);
  SimdEnv bad("two", "LANDSCAPE_SIMD_REGS");
  for (const std::string& t : simd_targets()) {
    SCOPED_TRACE(t);
    SimdEnv env(t);
    std::vector<double> w = network_batch(m, 1, 2);
    std::vector<math::TrainOutcome> out(2);
    try {
      make_cpu_backend(1)->train(m, d, settings(Precision::f64, math::OptimizerKind::gd), 2,
                                 w.data(), out.data());
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("LANDSCAPE_SIMD_REGS"), std::string::npos) << e.what();
    }
  }
}

TEST(Simd, UnknownTargetIsAnErrorNamingTheVariable) {
  SimdEnv env("avx9000");
  try {
    simd_target();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("LANDSCAPE_SIMD"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("avx9000"), std::string::npos) << e.what();
  }
  const Model m = make_model(Family::linear, {3, 2});
  const Dataset d = gaussian_data(m, 4, 1);
  std::vector<double> w = network_batch(m, 1, 2);
  std::vector<math::TrainOutcome> out(2);
  EXPECT_THROW(make_cpu_backend(1)->train(m, d, settings(Precision::f64, math::OptimizerKind::gd),
                                          2, w.data(), out.data()),
               Error);
}

// float64 on every target: bitwise the scalar loop, for both families and every optimizer, on
// a batch (37 networks) that fills every target's lanes at least once and none evenly.
TEST(Simd, Float64IsBitwiseTheScalarLoopOnEveryTarget) {
  for (const Problem& pr : kProblems)
    for (math::OptimizerKind k :
         {math::OptimizerKind::gd, math::OptimizerKind::momentum, math::OptimizerKind::adam}) {
      const Model m = make_model(pr.family, pr.dims, 0.1);
      const Dataset d = gaussian_data(m, pr.n, 5);
      const TrainSettings st = settings(Precision::f64, k);
      const std::vector<double> w0 = network_batch(m, 9, 37);
      const Batch ref = train_on("scalar", m, d, st, w0, 1);
      for (const std::string& t : lane_paths()) {
        SCOPED_TRACE(t + " " + to_string(pr.family) + " optimizer " + std::to_string(int(k)));
        expect_bitwise(train_on(t, m, d, st, w0, 2), ref, m.param_count());
      }
    }
}

// float32: FMA contraction and the lanes' vector arithmetic change roundings, so endpoints agree
// with the scalar loop within the GPU parity tolerance (1e-3 relative to max(1, |x|)); the
// smooth linear networks all of them, leaky-ReLU networks (which may follow another path after
// a kink) at least 90%. Status and step counts must match where the values do.
TEST(Simd, Float32AgreesWithTheScalarLoopWithinTolerance) {
  const auto close = [](double a, double b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return std::abs(a - b) <= 1e-3 * std::max(1.0, std::abs(b));
  };
  for (const Problem& pr : kProblems)
    for (math::OptimizerKind k :
         {math::OptimizerKind::gd, math::OptimizerKind::momentum, math::OptimizerKind::adam}) {
      const Model m = make_model(pr.family, pr.dims, 0.1);
      const Dataset d = gaussian_data(m, pr.n, 5);
      const TrainSettings st = settings(Precision::f32, k);
      const std::size_t count = 37, P = m.param_count();
      const std::vector<double> w0 = network_batch(m, 9, count);
      const Batch ref = train_on("scalar", m, d, st, w0, 1);
      Batch one;  // the path's result with one register per lane value
      for (const std::string& t : lane_paths()) {
        SCOPED_TRACE(t + " " + to_string(pr.family) + " optimizer " + std::to_string(int(k)));
        const Batch b = train_on(t, m, d, st, w0, 2);
        // Two registers per value run each network through the same operations as one.
        if (t.back() == '1')
          one = b;
        else
          expect_bitwise(b, one, P);
        std::size_t agree = 0;
        for (std::size_t i = 0; i < count; ++i) {
          bool same = b.out[i].status == ref.out[i].status && b.out[i].steps == ref.out[i].steps &&
                      close(b.out[i].loss, ref.out[i].loss);
          for (std::size_t j = 0; j < P; ++j)
            same = same && close(b.w[i * P + j], ref.w[i * P + j]);
          for (int j = 0; j < kCurveLen; ++j)
            same = same && close(b.curves[i * kCurveLen + j], ref.curves[i * kCurveLen + j]);
          agree += same;
          if (!same && pr.family == Family::linear)
            ADD_FAILURE() << "network " << i << ": loss " << b.out[i].loss << " vs "
                          << ref.out[i].loss;
        }
        EXPECT_GE(double(agree), 0.9 * double(count)) << agree << " of " << count << " agree";
      }
    }
}

// float32 endpoints on every target give the scalar loop's classes (after the float64 analysis
// and refinement) on test configs of both families: a two-layer linear net, a deep linear net
// with saddles about, and a pyramidal leaky-ReLU net.
TEST(Simd, Float32GivesTheScalarLoopsClasses) {
  struct Config {
    Family family;
    std::vector<int> dims;
    int n;
    double lr;
  };
  for (const Config& c :
       {Config{Family::linear, {3, 5, 2}, 8, 5e-3}, Config{Family::linear, {4, 2, 3, 4}, 10, 5e-3},
        Config{Family::leaky_relu, {6, 4, 2}, 5, 1e-2}}) {
    ExperimentConfig cfg;
    cfg.networks = 12;
    cfg.model = make_model(c.family, c.dims, 0.1);
    cfg.data.n = c.n;
    cfg.train.lr = c.lr;
    cfg.train.optimizer = c.family == Family::leaky_relu ? "adam" : "gd";
    cfg.train.steps = 4000;
    cfg.train.precision = Precision::f32;
    cfg.train.grad_tol = 1e-6;
    const auto classes = [&](const std::string& t) {
      SimdEnv env(t);
      auto cpu = make_cpu_backend(2);
      std::vector<PointClass> k;
      for (const auto& e : run_sample(cfg, *cpu, nullptr).endpoints) k.push_back(e.cls);
      return k;
    };
    const std::vector<PointClass> ref = classes("scalar");
    ASSERT_EQ(ref.size(), 12u);
    // Trained to somewhere worth classifying: no network diverged.
    EXPECT_EQ(std::count(ref.begin(), ref.end(), PointClass::diverged), 0);
    std::string seen;
    for (PointClass k : ref) seen += to_string(k) + " ";
    SCOPED_TRACE("scalar classes: " + seen);
    for (const std::string& t : lane_targets()) {
      SCOPED_TRACE(t + " " + to_string(c.family) + " d0 " + std::to_string(c.dims[0]));
      const std::vector<PointClass> k = classes(t);
      ASSERT_EQ(k.size(), ref.size());
      for (std::size_t i = 0; i < k.size(); ++i)
        EXPECT_EQ(to_string(k[i]), to_string(ref[i])) << "network " << i;
    }
  }
}

// The lanes decide most steps' stop test for all networks at once and take the full test only
// where some network may stop, escape or record (train_lanes-inl.hpp StopScreen). Networks that
// diverge, converge and escape mid-run, at steps of no special kind, end exactly as on the scalar
// loop (every outcome field bitwise in float64), with and without curves.
TEST(Simd, StopTestScreenGivesTheFullTestsOutcomes) {
  const Model m = make_model(Family::linear, {4, 5, 3});
  const Dataset d = gaussian_data(m, 7, 2);
  const std::size_t P = m.param_count(), count = 24;
  std::vector<double> w0(count * P);
  for (std::size_t i = 0; i < count; ++i)
    math::init_network(5, math::kStreamInitBase + i, m.depth(), m.dims.data(),
                       i % 4 == 1 ? 3.0 : 1.0, &w0[i * P]);
  for (int curve_every : {0, 9}) {
    TrainSettings st = settings(Precision::f64, math::OptimizerKind::gd);
    st.params.lr = 0.06;
    st.params.max_steps = 700;
    st.params.diverge_loss = 1e6;
    st.params.grad_tol = 1e-4;
    st.params.curve_every = curve_every;
    st.params.curve_len = curve_every > 0 ? kCurveLen : 0;
    const Batch ref = train_on("scalar", m, d, st, w0, 1);
    const long late = math::late_step(st.params.max_steps);
    const auto plain = [&](long step) {
      return step > 0 && step != late && step < st.params.max_steps &&
             (curve_every == 0 || step % curve_every != 0);
    };
    int diverged = 0, converged = 0, escaped = 0;
    for (const math::TrainOutcome& o : ref.out) {
      diverged += o.status == math::TrainStatus::diverged && plain(o.steps);
      converged += o.status == math::TrainStatus::converged && plain(o.steps);
      escaped += o.escape_step > 0 && plain(o.escape_step);
    }
    SCOPED_TRACE("curve_every " + std::to_string(curve_every));
    EXPECT_GT(diverged, 0) << "no network diverges mid-run: the test does not test that";
    EXPECT_GT(converged, 0) << "no network converges mid-run: the test does not test that";
    EXPECT_GT(escaped, 0) << "no network escapes mid-run: the test does not test that";
    for (const std::string& t : lane_paths()) {
      SCOPED_TRACE(t);
      expect_bitwise(train_on(t, m, d, st, w0, 2), ref, P);
    }
  }
}

// Masks: in one register, networks that diverge at once next to ones that converge after
// different numbers of steps; a diverged or stopped lane stops changing, and every network ends
// as it does on the scalar loop (float64 bitwise, float32 within tolerance).
TEST(Simd, StoppedAndDivergedLanesNeverAffectTheirNeighbours) {
  const Model m = make_model(Family::linear, {3, 4, 2});
  const Dataset d = gaussian_data(m, 6, 1);
  const std::size_t P = m.param_count(), count = 19;
  for (Precision prec : {Precision::f64, Precision::f32}) {
    TrainSettings st = settings(prec, math::OptimizerKind::gd);
    st.params.lr = 1e-2;
    st.params.max_steps = 500;
    st.params.diverge_loss = 1e8;
    st.params.grad_tol = 1e-3;
    std::vector<double> w0(count * P);
    for (std::size_t i = 0; i < count; ++i)
      math::init_network(7, math::kStreamInitBase + i, m.depth(), m.dims.data(),
                         i % 3 == 1 ? 50.0 : 1.0, &w0[i * P]);
    for (std::size_t k = 0; k < P; ++k) w0[3 * P + k] = w0[2 * P + k];  // network 3: a twin of 2
    const Batch ref = train_on("scalar", m, d, st, w0, 1);
    for (std::size_t i = 0; i < count; ++i)
      EXPECT_EQ(ref.out[i].status == math::TrainStatus::diverged, i % 3 == 1) << "network " << i;
    for (const std::string& t : lane_paths()) {
      SCOPED_TRACE(t + " " + to_string(prec));
      const Batch b = train_on(t, m, d, st, w0, 2);
      for (std::size_t i = 0; i < count; ++i) {
        EXPECT_EQ(int(b.out[i].status), int(ref.out[i].status)) << "network " << i;
        if (b.out[i].status == math::TrainStatus::diverged) continue;
        EXPECT_EQ(b.out[i].steps, ref.out[i].steps) << "network " << i;
        for (std::size_t k = 0; k < P; ++k)
          if (prec == Precision::f64)
            EXPECT_TRUE(same_bits(b.w[i * P + k], ref.w[i * P + k])) << "network " << i;
          else
            EXPECT_NEAR(b.w[i * P + k], ref.w[i * P + k],
                        1e-3 * std::max(1.0, std::abs(ref.w[i * P + k])));
      }
      if (prec == Precision::f64) expect_bitwise(b, ref, P);
      // The twins (networks 2 and 3 share a register on every target) end identically.
      EXPECT_EQ(b.out[2].steps, b.out[3].steps);
      for (std::size_t k = 0; k < P; ++k) EXPECT_TRUE(same_bits(b.w[2 * P + k], b.w[3 * P + k]));
    }
  }
}

// float64 endpoints do not depend on the thread count or on how the batch is chunked (which
// changes which networks share a register).
TEST(Simd, Float64IndependentOfThreadsAndChunks) {
  const Model m = make_model(Family::leaky_relu, {12, 8, 6, 4}, 0.1);
  const Dataset d = gaussian_data(m, 10, 5);
  const TrainSettings st = settings(Precision::f64, math::OptimizerKind::adam);
  const std::vector<double> w0 = network_batch(m, 3, 23);
  const std::string t = simd_targets().front();
  const Batch a = train_on(t, m, d, st, w0, 1);
  expect_bitwise(train_on(t, m, d, st, w0, 2, 5), a, m.param_count());
  expect_bitwise(train_on(t, m, d, st, w0, 2, 3), a, m.param_count());
  expect_bitwise(train_on(t + ":1", m, d, st, w0, 2), a, m.param_count());
  expect_bitwise(train_on(t + ":2", m, d, st, w0, 1, 17), a, m.param_count());
}

// Hessians formed in lanes: on every target, the spectra and facts of analyze() are bitwise
// those of the scalar path (the same Hessians into the same solver), with a NaN network and an
// overflowing one in the same register as ordinary ones, which keep their spectra.
TEST(Simd, HessiansInLanesAreBitwiseTheScalarOnes) {
  for (const Problem& pr : kProblems) {
    const Model m = make_model(pr.family, pr.dims, 0.1);
    const Dataset d = gaussian_data(m, pr.n, 4);
    const std::size_t count = 11, P = m.param_count();
    std::vector<double> w = network_batch(m, 6, count);
    w[1 * P + 3] = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t k = 0; k < P; ++k) w[2 * P + k] = 1e200;
    const auto run = [&](const std::string& t, std::vector<EndpointAnalysis>& a,
                         std::vector<double>& ev) {
      SimdEnv env(t);
      a.assign(count, EndpointAnalysis{});
      ev.assign(count * P, 0.0);
      make_cpu_backend(2)->analyze(m, d, count, w.data(), a.data(), ev.data());
    };
    std::vector<EndpointAnalysis> ref;
    std::vector<double> eref;
    run("scalar", ref, eref);
    for (std::size_t i = 0; i < count; ++i) EXPECT_EQ(ref[i].has_spectrum, i != 1 && i != 2) << i;
    for (const std::string& t : lane_targets()) {
      SCOPED_TRACE(t + " " + to_string(pr.family));
      std::vector<EndpointAnalysis> a;
      std::vector<double> ev;
      run(t, a, ev);
      std::size_t diff = 0;
      for (std::size_t i = 0; i < count; ++i) {
        EXPECT_EQ(a[i].has_spectrum, ref[i].has_spectrum) << i;
        EXPECT_TRUE(same_bits(a[i].facts.loss, ref[i].facts.loss)) << i;
        EXPECT_TRUE(same_bits(a[i].facts.grad_norm, ref[i].facts.grad_norm)) << i;
        for (std::size_t k = 0; k < P; ++k) diff += !same_bits(ev[i * P + k], eref[i * P + k]);
      }
      EXPECT_EQ(diff, 0u) << "eigenvalues that differ bitwise";
    }
  }
}

TEST(Simd, FmaPeakIsMeasured) {
  for (Precision p : {Precision::f32, Precision::f64}) {
    const double peak = measure_fma_peak(p, 1);
    EXPECT_TRUE(std::isfinite(peak)) << to_string(p);
    // Any core this runs on does far more than 0.1 GFLOP/s of multiply-adds.
    EXPECT_GT(peak, 1e8) << to_string(p);
    EXPECT_LT(peak, 1e13) << to_string(p);
  }
  EXPECT_GT(make_cpu_backend(1)->peak_flops(Precision::f32), 1e8);
}

}  // namespace
