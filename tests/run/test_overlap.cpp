// Train-ahead (chunk k+1 trains while chunk k is analyzed): the chunk pipeline's order, stop and
// exception rules, and run_sample giving bitwise the same endpoints with and without it, on a
// CPU backend wrapped to ask for overlap.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>
#include <stdexcept>
#include <thread>

#include "landscape/backends/backend.hpp"
#include "landscape/core/common.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/output.hpp"
#include "landscape/run/pipeline.hpp"
#include "test_util.hpp"

using namespace landscape;
using landscape::testing::make_model;

namespace {

/// Forwards to the CPU backend but asks for overlap, so the drivers train ahead on a second
/// thread. Records the threads `train` ran on and can fail the n-th train or analyze call.
class OverlapCpuBackend final : public Backend {
 public:
  explicit OverlapCpuBackend(int threads) : m_cpu(make_cpu_backend(threads)) {}
  std::string name() const override { return m_cpu->name(); }
  std::string device() const override { return m_cpu->device(); }
  long preferred_chunk(const Model& m) const override { return m_cpu->preferred_chunk(m); }
  bool supports_overlap() const override { return true; }

  void train_batch(const Model& m, const Dataset& d, const TrainSettings& s, std::size_t count,
             double* weights, math::TrainOutcome* outcomes, double* curves) override {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_train_threads.push_back(std::this_thread::get_id());
    }
    if (++m_trains == fail_train) throw Error("injected training failure");
    m_cpu->train(m, d, s, count, weights, outcomes, curves);
  }
  void analyze_batch(const Model& m, const Dataset& d, std::size_t count, const double* weights,
               EndpointAnalysis* out, double* eigenvalues) override {
    if (++m_analyzes == fail_analyze) throw std::runtime_error("injected analysis failure");
    m_cpu->analyze(m, d, count, weights, out, eigenvalues);
    m_times = m_cpu->last_analyze_times();
  }

  /// The thread of each train() call, in call order.
  std::vector<std::thread::id> train_threads() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_train_threads;
  }
  long trains() const { return m_trains; }
  long fail_train = 0, fail_analyze = 0;  ///< 1-based call to fail, 0 = none

 private:
  std::unique_ptr<Backend> m_cpu;
  std::atomic<long> m_trains{0}, m_analyzes{0};
  mutable std::mutex m_mutex;
  std::vector<std::thread::id> m_train_threads;
};

/// Several chunks, every endpoint description exercised: a tiny initialization of a deep linear
/// network stays next to the non-strict saddle at 0, so endpoints are candidates and get escape
/// tests; spectra are stored.
ExperimentConfig several_chunks() {
  ExperimentConfig cfg;
  cfg.networks = 11;
  cfg.chunk = 3;  // chunks of 3, 3, 3, 2
  cfg.seed = 7;
  cfg.threads = 2;
  cfg.model = make_model(Family::linear, {3, 2, 2, 3});
  cfg.data.n = 6;
  cfg.init.small = true;
  cfg.init.small_factor = 1e-7;
  cfg.train.steps = 50;
  cfg.train.lr = 1e-3;
  cfg.decide.tol.grad = 1e-2;  // so the barely-moved endpoints count as critical
  cfg.output.spectrum = true;
  return cfg;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_same_bits(const std::vector<double>& a, const std::vector<double>& b,
                      const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(same_bits(a[i], b[i])) << what << "[" << i << "]";
}

void expect_same_spectrum(const SpectrumSummary& a, const SpectrumSummary& b) {
  EXPECT_TRUE(same_bits(a.lambda_min, b.lambda_min));
  EXPECT_TRUE(same_bits(a.lambda_max, b.lambda_max));
  EXPECT_TRUE(same_bits(a.eig_threshold, b.eig_threshold));
  EXPECT_EQ(a.n_negative, b.n_negative);
  EXPECT_EQ(a.n_near_zero, b.n_near_zero);
  EXPECT_EQ(a.n_positive, b.n_positive);
}

/// Everything two runs must share bitwise (timings aside).
void expect_same_result(const SampleResult& a, const SampleResult& b) {
  ASSERT_EQ(a.endpoints.size(), b.endpoints.size());
  for (std::size_t i = 0; i < a.endpoints.size(); ++i) {
    SCOPED_TRACE("endpoint " + std::to_string(i));
    const EndpointRecord &x = a.endpoints[i], &y = b.endpoints[i];
    EXPECT_EQ(x.index, long(i));
    EXPECT_EQ(x.index, y.index);
    EXPECT_EQ(x.cls, y.cls);
    EXPECT_EQ(x.raw_class, y.raw_class);
    EXPECT_EQ(x.cls_by_tol, y.cls_by_tol);
    EXPECT_EQ(x.train_status, y.train_status);
    EXPECT_EQ(x.steps, y.steps);
    EXPECT_EQ(x.finite, y.finite);
    EXPECT_TRUE(same_bits(x.loss, y.loss));
    EXPECT_TRUE(same_bits(x.grad_norm, y.grad_norm));
    EXPECT_TRUE(same_bits(x.kink_distance, y.kink_distance));
    for (std::size_t l = 0; l < 3; ++l) expect_same_spectrum(x.spectrum[l], y.spectrum[l]);
    expect_same_bits(x.eigenvalues, y.eigenvalues, "eigenvalues");
    EXPECT_EQ(dump_details(x), dump_details(y));
    EXPECT_EQ(x.escape.has_value(), y.escape.has_value());
    if (x.escape && y.escape)
      expect_same_bits(x.escape->direction, y.escape->direction, "escape direction");
  }
  ASSERT_EQ(a.candidate_weights.size(), b.candidate_weights.size());
  for (const auto& [k, w] : a.candidate_weights) {
    ASSERT_TRUE(b.candidate_weights.count(k)) << k;
    expect_same_bits(w, b.candidate_weights.at(k), "candidate " + std::to_string(k));
  }
  EXPECT_EQ(a.counts, b.counts);
  EXPECT_TRUE(same_bits(a.optimum.value, b.optimum.value));
  EXPECT_EQ(a.optimum.kind, b.optimum.kind);
  EXPECT_EQ(a.warnings, b.warnings);
  EXPECT_EQ(endpoints_csv({a}, {"c"}), endpoints_csv({b}, {"c"}));
}

}  // namespace

TEST(ChunkPipeline, FinishesEveryChunkInOrderWithAndWithoutOverlap) {
  for (bool overlap : {false, true}) {
    SCOPED_TRACE(overlap ? "overlap" : "sequential");
    std::vector<std::size_t> finished;
    std::atomic<int> trained{0};
    const bool all = run_chunks(
        5, overlap,
        [&](std::size_t k) {
          ++trained;
          return k * 10;
        },
        [&](std::size_t k, std::size_t&& v) {
          EXPECT_EQ(v, k * 10);
          finished.push_back(k);
        },
        [] { return false; });
    EXPECT_TRUE(all);
    EXPECT_EQ(finished, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
    EXPECT_EQ(trained.load(), 5);
  }
}

TEST(ChunkPipeline, StopDiscardsTheChunkTrainedAhead) {
  for (bool overlap : {false, true}) {
    SCOPED_TRACE(overlap ? "overlap" : "sequential");
    std::vector<std::size_t> finished;
    std::atomic<int> trained{0};
    const bool all = run_chunks(
        5, overlap,
        [&](std::size_t k) {
          ++trained;
          return k;
        },
        [&](std::size_t k, std::size_t&&) { finished.push_back(k); },
        [&] { return finished.size() == 2; });  // a stop arriving while chunk 1 is finished
    EXPECT_FALSE(all);
    EXPECT_EQ(finished, (std::vector<std::size_t>{0, 1}));
    // Chunk 2 may have been trained ahead (and then dropped), never later ones.
    EXPECT_EQ(trained.load(), overlap ? 3 : 2);
  }
  // A stop before the first chunk trains nothing.
  int trained = 0;
  EXPECT_FALSE(run_chunks(
      3, true, [&](std::size_t k) { return ++trained + int(k); }, [](std::size_t, int&&) {},
      [] { return true; }));
  EXPECT_EQ(trained, 0);
}

TEST(ChunkPipeline, ExceptionsOfEitherThreadPropagate) {
  for (std::size_t bad : {0, 1, 3}) {
    SCOPED_TRACE("training of chunk " + std::to_string(bad) + " throws");
    std::vector<std::size_t> finished;
    EXPECT_THROW(
        run_chunks(
            4, true,
            [&](std::size_t k) {
              if (k == bad) throw Error("train " + std::to_string(k));
              return k;
            },
            [&](std::size_t k, std::size_t&&) { finished.push_back(k); }, [] { return false; }),
        Error);
    // Chunks before the failing one are finished; nothing after it.
    std::vector<std::size_t> expect;
    for (std::size_t k = 0; k < bad; ++k) expect.push_back(k);
    EXPECT_EQ(finished, expect);
  }
  // `finish` failing while the next chunk trains: the training thread is waited for, not leaked.
  std::atomic<bool> ahead_done{false};
  EXPECT_THROW(run_chunks(
                   3, true,
                   [&](std::size_t k) {
                     if (k == 1) {
                       std::this_thread::sleep_for(std::chrono::milliseconds(50));
                       ahead_done = true;
                     }
                     return k;
                   },
                   [](std::size_t, std::size_t&&) { throw std::runtime_error("finish"); },
                   [] { return false; }),
               std::runtime_error);
  EXPECT_TRUE(ahead_done.load());
}

TEST(TrainAhead, RunSampleGivesBitwiseTheSameEndpoints) {
  const ExperimentConfig cfg = several_chunks();
  auto cpu = make_cpu_backend(2);
  ASSERT_FALSE(cpu->supports_overlap());
  std::vector<long> seq_progress, ahead_progress;
  const SampleResult seq =
      run_sample(cfg, *cpu, [&](long done, long) { seq_progress.push_back(done); });
  OverlapCpuBackend ahead(2);
  ASSERT_TRUE(train_ahead(ahead));
  const SampleResult ovl =
      run_sample(cfg, ahead, [&](long done, long) { ahead_progress.push_back(done); });
  EXPECT_EQ(seq_progress, (std::vector<long>{3, 6, 9, 11}));
  EXPECT_EQ(ahead_progress, seq_progress);
  EXPECT_EQ(ahead.trains(), 4);
  // Chunk 0 trains on the calling thread, every later chunk on another one (each on a thread of
  // its own: ids of finished threads may or may not be reused, so they are not counted).
  const std::vector<std::thread::id> threads = ahead.train_threads();
  ASSERT_EQ(threads.size(), 4u);
  EXPECT_EQ(threads[0], std::this_thread::get_id());
  for (std::size_t k = 1; k < threads.size(); ++k)
    EXPECT_NE(threads[k], std::this_thread::get_id()) << "chunk " << k << " trained on the caller's thread";
  expect_same_result(seq, ovl);
  // The workload exercises what it is meant to: escape tests and candidates.
  long escaped = 0;
  for (const auto& e : seq.endpoints) escaped += e.escape.has_value();
  EXPECT_GT(escaped, 0);
  EXPECT_FALSE(seq.candidate_weights.empty());
  // Per-stage seconds are still measured and counted once per chunk.
  EXPECT_GT(ovl.seconds_train, 0.0);
  EXPECT_GT(ovl.seconds_analyze, 0.0);
  EXPECT_GE(ovl.seconds_total, ovl.seconds_analyze);
}

TEST(TrainAhead, RunSampleWithRefinementAndOneNetworkPerChunk) {
  ExperimentConfig cfg = several_chunks();
  cfg.networks = 5;
  cfg.chunk = 1;
  cfg.decide.refine.enabled = true;
  cfg.model = make_model(Family::leaky_relu, {3, 3, 2}, 0.1);
  cfg.init.small = false;
  auto cpu = make_cpu_backend(1);
  OverlapCpuBackend ahead(1);
  const SampleResult seq = run_sample(cfg, *cpu, nullptr);
  for (const auto& e : seq.endpoints) EXPECT_EQ(e.refined.has_value(), e.finite);
  expect_same_result(seq, run_sample(cfg, ahead, nullptr));
  EXPECT_EQ(ahead.trains(), 5);
}

TEST(TrainAhead, ExceptionFromTheTrainingThreadPropagatesFromRunSample) {
  const ExperimentConfig cfg = several_chunks();
  // Call 1 trains on the caller's thread; later ones on the second thread, the last included.
  for (long bad : {1, 2, 4}) {
    SCOPED_TRACE("train call " + std::to_string(bad) + " fails");
    OverlapCpuBackend ahead(2);
    ahead.fail_train = bad;
    try {
      run_sample(cfg, ahead, nullptr);
      FAIL() << "no exception";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("injected training failure"), std::string::npos)
          << e.what();
    }
  }
  // The analysis failing while the next chunk trains ahead propagates too.
  OverlapCpuBackend ahead(2);
  ahead.fail_analyze = 2;
  EXPECT_THROW(run_sample(cfg, ahead, nullptr), std::runtime_error);
}
