// CUDA backend against the CPU reference on the same seeds. Skips visibly without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "landscape/analysis/hessian.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/core/common.hpp"
#include "landscape/backends/cuda/cuda_backend.hpp"
#include "landscape/core/data.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/math/rng.hpp"
#include "test_util.hpp"

using namespace landscape;
using landscape::testing::gaussian_data;
using landscape::testing::make_model;
using landscape::testing::network_batch;
using Shape = landscape::testing::Case;

namespace {

struct ParityCase {
  Family family;
  std::vector<int> dims;
  int n;
  Precision precision;
};

void PrintTo(const ParityCase& c, std::ostream* os) {
  *os << (c.family == Family::linear ? "linear" : "leaky_relu") << " n " << c.n << " "
      << to_string(c.precision);
}

class CudaParity : public ::testing::TestWithParam<ParityCase> {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << cuda_unavailable_reason();
  }
};

// Runs with or without a GPU: a reason is given exactly when no device can be used, and asking
// for the CUDA backend then fails with that reason instead of a bare "no device".
TEST(CudaDevice, UnavailableReasonIsGivenExactlyWhenNoDeviceCanBeUsed) {
  const std::string why = cuda_unavailable_reason();
  EXPECT_EQ(cuda_device_count() == 0, !why.empty()) << why;
  EXPECT_EQ(cuda_available(), why.empty());
  if (why.empty()) return;
  try {
    make_backend("cuda", 1);
    FAIL() << "the cuda backend was made without a device";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

TEST_P(CudaParity, SameClassesLossesAndSpectraAsCpu) {
  const ParityCase& c = GetParam();
  ExperimentConfig cfg;
  cfg.networks = c.dims[0] >= 16 ? 6 : 64;  // P = 768 Hessians are slow on the CPU reference
  cfg.model.family = c.family;
  cfg.model.dims = c.dims;
  cfg.model.slope = c.family == Family::leaky_relu ? 0.1 : 1.0;
  cfg.data.n = c.n;
  cfg.train.lr = 2e-3;
  cfg.train.steps = 3000;
  cfg.train.precision = c.precision;
  cfg.output.spectrum = true;
  auto cpu = make_cpu_backend(0);
  auto gpu = make_cuda_backend(0);
  const SampleResult a = run_sample(cfg, *cpu, nullptr);
  const SampleResult b = run_sample(cfg, *gpu, nullptr);
  ASSERT_EQ(a.endpoints.size(), b.endpoints.size());
  for (std::size_t i = 0; i < a.endpoints.size(); ++i) {
    const auto& x = a.endpoints[i];
    const auto& y = b.endpoints[i];
    EXPECT_EQ(x.cls, y.cls) << "network " << i;
    // Float32 trains in another rounding (FMA on the GPU, none on the host): its float64
    // losses at the endpoints agree to 1e-3 relative, which a wrong but finite float32 path
    // would not (the classes alone would not tell: most float32 endpoints are not_critical).
    if (c.precision == Precision::f32) {
      EXPECT_EQ(x.finite, y.finite) << "network " << i;
      if (x.finite && y.finite)
        EXPECT_NEAR(x.loss, y.loss, 1e-3 * std::max(1.0, std::abs(x.loss))) << "network " << i;
    }
    if (c.precision == Precision::f64 && x.finite) {
      EXPECT_NEAR(x.loss, y.loss, 1e-9 * std::max(1.0, std::abs(x.loss))) << "network " << i;
      const double scale = std::max(std::abs(x.nominal_spectrum().lambda_min), std::abs(x.nominal_spectrum().lambda_max));
      for (std::size_t k = 0; k < x.eigenvalues.size(); ++k)
        EXPECT_NEAR(x.eigenvalues[k], y.eigenvalues[k], 1e-8 * scale) << "network " << i << " k " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Configs, CudaParity,
    ::testing::Values(ParityCase{Family::linear, {6, 4, 4, 6}, 32, Precision::f64},
                      ParityCase{Family::linear, {6, 4, 4, 6}, 32, Precision::f32},
                      ParityCase{Family::leaky_relu, {12, 8, 6, 4}, 8, Precision::f64},
                      ParityCase{Family::linear, {4, 8, 8, 4}, 16, Precision::f64},   // P = 128 > 32
                      ParityCase{Family::linear, {16, 16, 16, 16}, 64, Precision::f64},  // fused, a warp per net
                      ParityCase{Family::leaky_relu, {32, 16, 8, 4}, 16, Precision::f64},  // fused, 16 lanes
                      ParityCase{Family::linear, {5, 7, 3}, 40, Precision::f64},         // global-scratch training
                      ParityCase{Family::linear, {3, 4, 2}, 10, Precision::f64}),        // P = 20: syevjBatched, local kernel
    [](const auto& info) {
      std::string s = info.param.family == Family::linear ? "linear" : "leaky";
      for (int d : info.param.dims) s += "_" + std::to_string(d);
      return s + "_" + to_string(info.param.precision);
    });

/// Forwards to another backend but never asks for train-ahead, so the drivers run chunk by chunk.
class Sequential final : public Backend {
 public:
  explicit Sequential(Backend& b) : m_b(b) {}
  std::string name() const override { return m_b.name(); }
  std::string device() const override { return m_b.device(); }
  long preferred_chunk(const Model& m) const override { return m_b.preferred_chunk(m); }
  bool supports_overlap() const override { return false; }
  void train_batch(const Model& m, const Dataset& d, const TrainSettings& s, std::size_t count,
             double* weights, math::TrainOutcome* outcomes, double* curves) override {
    m_b.train(m, d, s, count, weights, outcomes, curves);
  }
  void analyze_batch(const Model& m, const Dataset& d, std::size_t count, const double* weights,
               EndpointAnalysis* out, double* eigenvalues) override {
    m_b.analyze(m, d, count, weights, out, eigenvalues);
  }

 private:
  Backend& m_b;
};

TEST(CudaTrainAhead, SameEndpointsAsChunkByChunk) {
  if (cuda_device_count() == 0) GTEST_SKIP() << cuda_unavailable_reason();
  auto gpu = make_cuda_backend(0);
  ASSERT_TRUE(gpu->supports_overlap());
  if (!train_ahead(*gpu)) GTEST_SKIP() << "train-ahead turned off by LANDSCAPE_OVERLAP";
  ExperimentConfig cfg;
  cfg.networks = 200;
  cfg.chunk = 32;  // 7 chunks: training of chunk k+1 overlaps the analysis of chunk k
  cfg.model.family = Family::leaky_relu;
  cfg.model.dims = {12, 8, 6, 4};
  cfg.model.slope = 0.1;
  cfg.data.n = 8;
  cfg.train.lr = 2e-3;
  cfg.train.steps = 3000;
  cfg.train.precision = Precision::f32;
  cfg.output.spectrum = true;
  Sequential seq(*gpu);
  const SampleResult a = run_sample(cfg, seq, nullptr);
  const SampleResult b = run_sample(cfg, *gpu, nullptr);
  ASSERT_EQ(a.endpoints.size(), b.endpoints.size());
  for (std::size_t i = 0; i < a.endpoints.size(); ++i) {
    const auto& x = a.endpoints[i];
    const auto& y = b.endpoints[i];
    // Training is one thread per network on either path: the endpoints are bitwise equal, and
    // so is everything the host computes from them.
    EXPECT_EQ(x.index, y.index);
    EXPECT_EQ(x.steps, y.steps) << "network " << i;
    EXPECT_EQ(x.train_status, y.train_status) << "network " << i;
    EXPECT_EQ(x.finite, y.finite) << "network " << i;
    if (!x.finite) continue;
    EXPECT_EQ(x.loss, y.loss) << "network " << i;
    EXPECT_EQ(x.grad_norm, y.grad_norm) << "network " << i;
    EXPECT_EQ(x.cls, y.cls) << "network " << i;
    const double scale = std::max(std::abs(x.nominal_spectrum().lambda_min),
                                  std::abs(x.nominal_spectrum().lambda_max));
    ASSERT_EQ(x.eigenvalues.size(), y.eigenvalues.size());
    for (std::size_t k = 0; k < x.eigenvalues.size(); ++k)
      EXPECT_NEAR(x.eigenvalues[k], y.eigenvalues[k], 1e-12 * scale) << "network " << i << " k " << k;
  }
}

/// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old, m_had = true;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (m_had)
      ::setenv(m_name, m_old.c_str(), 1);
    else
      ::unsetenv(m_name);
  }

 private:
  const char* m_name;
  std::string m_old;
  bool m_had = false;
};

// The fused kernels of the hot shapes against the general per-network kernels on the same GPU,
// for every optimizer: the same status and steps, and the same losses, weights and curves up to
// the order of floating-point sums (float64, no FMA: 1e-9) or that and FMA contraction
// (float32: 1e-3). In float32 a leaky-ReLU network whose activations cross a kink may follow
// another path after a rounding-level difference, so there at least 90% of the networks must
// agree to 1e-3 (every network, for the smooth linear shapes). A chunk of 301 networks leaves
// the persistent grids' last groups partly idle.
TEST(CudaFused, SameEndpointsAsTheGeneralKernels) {
  if (cuda_device_count() == 0) GTEST_SKIP() << cuda_unavailable_reason();
  auto gpu = make_cuda_backend(0);
  for (const Shape& sh : {Shape{Family::linear, {6, 4, 4, 6}, 32}, Shape{Family::linear, {16, 16, 16, 16}, 64},
                          Shape{Family::leaky_relu, {32, 16, 8, 4}, 16}})
    for (const char* opt : {"gd", "momentum", "adam"})
      for (Precision prec : {Precision::f64, Precision::f32}) {
        SCOPED_TRACE(std::string(opt) + " " + to_string(prec) + " d0 " + std::to_string(sh.dims[0]));
        const Model m = make_model(sh.family, sh.dims, 0.1);
        const Dataset d = gaussian_data(m, sh.n, 5);
        TrainSettings st;
        st.precision = prec;
        st.params.kind = opt == std::string("gd") ? math::OptimizerKind::gd
                         : opt == std::string("momentum") ? math::OptimizerKind::momentum
                                                          : math::OptimizerKind::adam;
        st.params.lr = 1e-3;
        st.params.max_steps = 400;
        st.params.curve_every = 50;
        st.params.curve_len = 10;
        const std::size_t count = 301, P = m.param_count();
        const std::vector<double> w0 = network_batch(m, 9, count);
        std::vector<double> wf = w0, wg = w0, cf(count * 10), cg(count * 10);
        std::vector<math::TrainOutcome> of(count), og(count);
        gpu->train(m, d, st, count, wf.data(), of.data(), cf.data());
        {
          ScopedEnv general("LANDSCAPE_CUDA_FUSED", "0");
          gpu->train(m, d, st, count, wg.data(), og.data(), cg.data());
        }
        const double rtol = prec == Precision::f64 ? 1e-9 : 1e-3;
        // Two kernels that agree a network diverged (NaN on both sides) agree.
        const auto close = [&](double a, double b) {
          if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
          return std::abs(a - b) <= rtol * std::max(1.0, std::abs(b));
        };
        std::size_t agree = 0;
        const bool strict = prec == Precision::f64 || sh.family == Family::linear;
        for (std::size_t i = 0; i < count; ++i) {
          bool same = of[i].status == og[i].status && of[i].steps == og[i].steps && close(of[i].loss, og[i].loss);
          for (std::size_t k = 0; k < P; ++k) same = same && close(wf[i * P + k], wg[i * P + k]);
          for (int k = 0; k < 9; ++k) same = same && close(cf[i * 10 + k], cg[i * 10 + k]);
          EXPECT_TRUE(std::isnan(cf[i * 10 + 9]) && std::isnan(cg[i * 10 + 9]));  // step 450 > 400
          if (same) ++agree;
          else if (strict)
            ADD_FAILURE() << "network " << i << ": status " << int(of[i].status) << " / " << int(og[i].status)
                          << ", steps " << of[i].steps << " / " << og[i].steps << ", loss " << of[i].loss
                          << " (fused) vs " << og[i].loss << " (general)";
        }
        EXPECT_GE(double(agree), 0.9 * double(count)) << agree << " of " << count << " networks agree";
      }
}

// analyze() on a batch mixing ordinary points with a NaN weight and an overflowing loss, for
// both eigensolvers and every column kernel: the device's first-order facts and spectra match the CPU reference for the
// ordinary points, and the broken ones are flagged with NaN spectra without disturbing them.
TEST(CudaAnalyze, FactsAndSpectraMatchCpuAndBrokenPointsStayApart) {
  if (cuda_device_count() == 0) GTEST_SKIP() << cuda_unavailable_reason();
  auto gpu = make_cuda_backend(0);
  auto cpu = make_cpu_backend(0);
  // syevjBatched and XsyevBatched with the small local-scratch column kernel, XsyevBatched with
  // the larger one ([24, 16, 8, 4]), and (n = 400) the global-scratch column kernel.
  for (const Shape& sh : {Shape{Family::linear, {3, 4, 2}, 10}, Shape{Family::leaky_relu, {12, 8, 6, 4}, 8},
                          Shape{Family::leaky_relu, {24, 16, 8, 4}, 20}, Shape{Family::linear, {3, 4, 2}, 400}}) {
    SCOPED_TRACE("d0 " + std::to_string(sh.dims[0]));
    const Model m = make_model(sh.family, sh.dims, 0.1);
    const Dataset d = gaussian_data(m, sh.n, 3);
    const std::size_t count = 40, P = m.param_count();
    std::vector<double> w = network_batch(m, 4, count);
    w[7 * P + P / 2] = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t k = 0; k < P; ++k) w[20 * P + k] = 1e200;  // the loss overflows
    std::vector<EndpointAnalysis> ag(count), ac(count);
    std::vector<double> eg(count * P), ec(count * P);
    gpu->analyze(m, d, count, w.data(), ag.data(), eg.data());
    cpu->analyze(m, d, count, w.data(), ac.data(), ec.data());
    for (std::size_t i = 0; i < count; ++i) {
      const bool broken = i == 7 || i == 20;
      EXPECT_EQ(ag[i].facts.finite, !broken) << "network " << i;
      EXPECT_EQ(ag[i].has_spectrum, !broken) << "network " << i;
      EXPECT_EQ(ac[i].has_spectrum, ag[i].has_spectrum) << "network " << i;
      if (broken) {
        for (std::size_t k = 0; k < P; ++k) EXPECT_TRUE(std::isnan(eg[i * P + k])) << "network " << i;
        continue;
      }
      const PointFacts& f = ag[i].facts;
      const PointFacts& r = ac[i].facts;
      EXPECT_NEAR(f.loss, r.loss, 1e-12 * std::max(1.0, r.loss)) << "network " << i;
      EXPECT_NEAR(f.grad_norm, r.grad_norm, 1e-12 * std::max(1.0, r.grad_norm)) << "network " << i;
      if (m.family == Family::leaky_relu)
        EXPECT_NEAR(f.kink_distance, r.kink_distance, 1e-12) << "network " << i;
      else
        EXPECT_TRUE(std::isinf(f.kink_distance)) << "network " << i;
      const double scale = std::max(std::abs(ec[i * P]), std::abs(ec[i * P + P - 1]));
      for (std::size_t k = 0; k < P; ++k)
        EXPECT_NEAR(eg[i * P + k], ec[i * P + k], 1e-8 * scale) << "network " << i << " k " << k;
    }
  }
}

// A chunk analyzed in many small Hessian batches (with a remainder) gives what one batch gives.
TEST(CudaAnalyze, ManySmallBatchesEqualOneBatch) {
  if (cuda_device_count() == 0) GTEST_SKIP() << cuda_unavailable_reason();
  auto gpu = make_cuda_backend(0);
  for (const std::vector<int>& dims : {std::vector<int>{3, 4, 2}, std::vector<int>{6, 4, 4, 6}}) {
    const Model m = make_model(Family::linear, dims);
    const Dataset d = gaussian_data(m, 12, 8);
    const std::size_t count = 45, P = m.param_count();
    std::vector<double> w = network_batch(m, 2, count);
    w[11 * P] = std::numeric_limits<double>::infinity();
    std::vector<EndpointAnalysis> a1(count), a7(count);
    std::vector<double> e1(count * P), e7(count * P);
    gpu->analyze(m, d, count, w.data(), a1.data(), e1.data());
    {
      ScopedEnv cap("LANDSCAPE_CUDA_HESSIAN_BATCH", "7");
      gpu->analyze(m, d, count, w.data(), a7.data(), e7.data());
    }
    for (std::size_t i = 0; i < count; ++i) {
      EXPECT_EQ(a1[i].has_spectrum, i != 11) << "network " << i;
      EXPECT_EQ(a7[i].has_spectrum, a1[i].has_spectrum) << "network " << i;
      if (!a1[i].has_spectrum) continue;
      EXPECT_EQ(a7[i].facts.loss, a1[i].facts.loss) << "network " << i;
      EXPECT_EQ(a7[i].facts.grad_norm, a1[i].facts.grad_norm) << "network " << i;
      const double scale = std::max(std::abs(e1[i * P]), std::abs(e1[i * P + P - 1]));
      for (std::size_t k = 0; k < P; ++k)
        EXPECT_NEAR(e7[i * P + k], e1[i * P + k], 1e-12 * scale) << "network " << i << " k " << k;
    }
  }
}

// The bench's eigen-stage check: the same eigenvalues as cusolverDnXsyevBatched alone, for the
// syevjBatched (P = 20) and XsyevBatched (P = 64) paths; the CPU backend has no such reference.
TEST(CudaEigen, ComparisonWithXsyevBatchedAlone) {
  auto cpu = make_cpu_backend(1);
  EigenComparison none;
  {
    const Model m = make_model(Family::linear, {3, 4, 2});
    const std::vector<double> w = network_batch(m, 1, 1);
    EXPECT_FALSE(cpu->compare_eigen(m, gaussian_data(m, 10, 1), 1, w.data(), none));
  }
  if (cuda_device_count() == 0) GTEST_SKIP() << cuda_unavailable_reason();
  auto gpu = make_cuda_backend(0);
  for (const std::vector<int>& dims : {std::vector<int>{3, 4, 2}, std::vector<int>{6, 4, 4, 6}}) {
    const Model m = make_model(Family::linear, dims);
    const Dataset d = gaussian_data(m, 10, 6);
    const std::size_t count = 300, P = m.param_count();
    const std::vector<double> w = network_batch(m, 5, count);
    EigenComparison c;
    ASSERT_TRUE(gpu->compare_eigen(m, d, count, w.data(), c));
    EXPECT_EQ(c.networks, count);
    EXPECT_EQ(c.solver, P <= 32 ? "cusolverDnDsyevjBatched" : "cusolverDnXsyevBatched");
    EXPECT_GT(c.seconds, 0.0);
    EXPECT_GT(c.reference_seconds, 0.0);
    // Against the CPU spectra for the scale: the two GPU solvers agree to solver accuracy.
    std::vector<EndpointAnalysis> a(count);
    std::vector<double> ev(count * P);
    cpu->analyze(m, d, count, w.data(), a.data(), ev.data());
    double scale = 0;
    for (double x : ev) scale = std::max(scale, std::abs(x));
    EXPECT_LE(c.max_abs_difference, 1e-8 * scale);
  }
}

}  // namespace
