// The pieces of distributed sweeps that need no MPI: a chunk's binary form (what a rank sends
// rank 0) round-trips every field the store writes, and a finalize unit decided apart from the
// rest of its cell equals the whole cell decided at once; shard slices partition the networks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "landscape/backends/backend.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/run/mpi.hpp"
#include "landscape/run/sweep.hpp"
#include "test_util.hpp"

using namespace landscape;
using landscape::testing::make_model;

namespace {

/// Bitwise equality of doubles (NaN equal to NaN with the same bits).
bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_same_record(const EndpointRecord& a, const EndpointRecord& b) {
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.cls, b.cls);
  EXPECT_EQ(a.raw_class, b.raw_class);
  EXPECT_EQ(a.cls_by_tol, b.cls_by_tol);
  EXPECT_EQ(a.train_status, b.train_status);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_TRUE(same(a.loss, b.loss) && same(a.grad_norm, b.grad_norm) && same(a.kink_distance, b.kink_distance) &&
              same(a.wall_time, b.wall_time))
      << a.index;
  EXPECT_EQ(a.finite, b.finite);
  EXPECT_EQ(a.near_kink, b.near_kink);
  for (int l = 0; l < 3; ++l) {
    const SpectrumSummary &x = a.spectrum[std::size_t(l)], &y = b.spectrum[std::size_t(l)];
    EXPECT_TRUE(same(x.lambda_min, y.lambda_min) && same(x.lambda_max, y.lambda_max) &&
                same(x.eig_threshold, y.eig_threshold));
    EXPECT_EQ(x.n_negative, y.n_negative);
    EXPECT_EQ(x.n_near_zero, y.n_near_zero);
    EXPECT_EQ(x.n_positive, y.n_positive);
  }
  ASSERT_EQ(a.eigenvalues.size(), b.eigenvalues.size());
  for (std::size_t i = 0; i < a.eigenvalues.size(); ++i) EXPECT_TRUE(same(a.eigenvalues[i], b.eigenvalues[i]));
  EXPECT_EQ(details_to_json(a, true).dump(), details_to_json(b, true).dump());
  EXPECT_EQ(a.dynamics.has_value(), b.dynamics.has_value());
  EXPECT_EQ(a.minimum.has_value(), b.minimum.has_value());
}

/// A small refined experiment whose cell has strict and non-strict saddles and global minima.
ExperimentConfig saddle_config() {
  ExperimentConfig cfg;
  cfg.model = make_model(Family::linear, {4, 3, 3, 3});
  cfg.data.n = 8;
  cfg.networks = 24;
  cfg.seed = 3;
  cfg.init.scale = 1e-3;
  cfg.train.lr = 0.02;
  cfg.train.steps = 300;
  cfg.decide.refine.enabled = true;
  cfg.output.spectrum = true;
  cfg.output.curves = true;
  cfg.threads = 2;
  return cfg;
}

}  // namespace

TEST(Mpi, ChunkRoundTripsEveryStoredField) {
  const ExperimentConfig cfg = saddle_config();
  const CellContext ctx = make_cell_context(cfg);
  auto backend = make_cpu_backend(2);
  std::vector<long> idx;
  for (long i = 0; i < cfg.networks; ++i) idx.push_back(i);
  ChunkResult chunk = process_chunk(ctx, *backend, idx);
  // Decide them too, so escape results (with witness directions) travel as well.
  std::vector<std::string> warnings;
  finalize_cell(ctx, chunk.endpoints, chunk.candidates, warnings);
  long escaped = 0;
  for (const auto& e : chunk.endpoints) escaped += e.escape && e.escape->escaped;
  ASSERT_GT(escaped, 0) << "the experiment no longer has non-strict saddles";
  ASSERT_FALSE(chunk.candidates.empty());
  ASSERT_TRUE(chunk.endpoints.front().dynamics.has_value()) << "training dynamics no longer travel with the record";
  ASSERT_GT(chunk.curve_len, 0);

  int cell = -1;
  const ChunkResult back = decode_chunk(encode_chunk(5, chunk), cell);
  EXPECT_EQ(cell, 5);
  ASSERT_EQ(back.endpoints.size(), chunk.endpoints.size());
  for (std::size_t i = 0; i < chunk.endpoints.size(); ++i) expect_same_record(chunk.endpoints[i], back.endpoints[i]);
  EXPECT_EQ(back.candidates, chunk.candidates);
  ASSERT_FALSE(chunk.weights.empty());
  EXPECT_EQ(back.weights, chunk.weights);
  EXPECT_EQ(back.curve_len, chunk.curve_len);
  EXPECT_EQ(back.curve_every, chunk.curve_every);
  ASSERT_EQ(back.curves.size(), chunk.curves.size());
  EXPECT_EQ(std::memcmp(back.curves.data(), chunk.curves.data(), chunk.curves.size() * sizeof(double)), 0);
  EXPECT_TRUE(same(back.seconds_train, chunk.seconds_train) && same(back.seconds_decide, chunk.seconds_decide));
}

TEST(Mpi, TruncatedMessageIsAnErrorNotACrash) {
  ChunkResult c;
  c.endpoints.resize(2);
  c.endpoints[1].index = 7;
  std::vector<char> bytes = encode_chunk(0, c);
  int cell = 0;
  for (std::size_t cut : {std::size_t(0), std::size_t(3), bytes.size() / 2, bytes.size() - 1}) {
    const std::vector<char> part(bytes.begin(), bytes.begin() + std::ptrdiff_t(cut));
    EXPECT_THROW(decode_chunk(part, cell), Error) << cut;
  }
  bytes.push_back(0);
  EXPECT_THROW(decode_chunk(bytes, cell), Error);
}

TEST(Mpi, FinalizingInPiecesEqualsTheWholeCell) {
  const ExperimentConfig cfg = saddle_config();
  const CellContext ctx = make_cell_context(cfg);
  auto backend = make_cpu_backend(2);
  std::vector<long> idx;
  for (long i = 0; i < cfg.networks; ++i) idx.push_back(i);
  const ChunkResult chunk = process_chunk(ctx, *backend, idx);
  std::vector<EndpointRecord> whole = chunk.endpoints;
  std::vector<std::string> warnings;
  const GlobalOptimum opt = finalize_cell(ctx, whole, chunk.candidates, warnings);
  // As rank 0 does: the optimum from every loss, then endpoints decided in pieces of three
  // that travel as bytes, each piece with its own candidates.
  const GlobalOptimum opt2 = cell_optimum(ctx, chunk.endpoints);
  EXPECT_TRUE(same(opt.value, opt2.value));
  EXPECT_EQ(opt.kind, opt2.kind);
  for (std::size_t k = 0; k < chunk.endpoints.size(); k += 3) {
    ChunkResult piece;
    for (std::size_t i = k; i < std::min(chunk.endpoints.size(), k + 3); ++i) {
      piece.endpoints.push_back(chunk.endpoints[i]);
      if (auto it = chunk.candidates.find(chunk.endpoints[i].index); it != chunk.candidates.end())
        piece.candidates.insert(*it);
    }
    int cell = 0;
    ChunkResult sent = decode_chunk(encode_chunk(0, piece), cell);
    finalize_endpoints(ctx, opt2, sent.endpoints, sent.candidates);
    const ChunkResult back = decode_chunk(encode_chunk(0, sent), cell);
    for (std::size_t j = 0; j < back.endpoints.size(); ++j) expect_same_record(whole[k + j], back.endpoints[j]);
  }
}

TEST(Shard, SlicesPartitionEveryCell) {
  for (long n : {1L, 2L, 7L, 60L, 1000003L})
    for (int count : {1, 2, 3, 7, 16}) {
      long next = 0;
      for (int i = 1; i <= count; ++i) {
        const ShardSpec s{i, count};
        EXPECT_EQ(s.begin(n), next) << n << " " << s.text();
        EXPECT_GE(s.end(n), s.begin(n));
        EXPECT_LE(s.end(n) - s.begin(n), n / count + 1);
        next = s.end(n);
      }
      EXPECT_EQ(next, n);
    }
  const ShardSpec all;
  EXPECT_EQ(all.begin(9), 0);
  EXPECT_EQ(all.end(9), 9);
}

TEST(Shard, ParsesAndRefuses) {
  const ShardSpec s = parse_shard("2/8", "--shard");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 8);
  for (const char* bad : {"", "2", "0/3", "4/3", "2/0", "a/3", "2/3x", "-1/3", "2//3"}) {
    try {
      parse_shard(bad, "--shard");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--shard"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(shard_db_path("out/results.db", s), "out/results-shard-2-of-8.db");
  EXPECT_EQ(shard_db_path("r", s), "r-shard-2-of-8");
}

TEST(Mpi, PlainProcessIsNotAnMpiRank) {
  // The test runs without a launcher: the world is a single inactive rank, and nothing of MPI
  // was started (a plain `landscape sample` behaves exactly as before).
  if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK"))
    GTEST_SKIP() << "running under an MPI launcher";
  const MpiWorld& w = mpi_world();
  EXPECT_FALSE(w.active);
  EXPECT_EQ(w.rank, 0);
  EXPECT_EQ(w.size, 1);
}

TEST(Shard, ContextOnStoredDataEqualsTheBuiltOneAndRefusesAnotherShape) {
  // What `landscape merge` finalizes on: the cell's context from its stored X and Y.
  const ExperimentConfig cfg = saddle_config();
  const CellContext built = make_cell_context(cfg);
  const CellContext stored = make_cell_context(cfg, built.data);
  EXPECT_EQ(stored.data.X, built.data.X);
  EXPECT_EQ(stored.data.Y, built.data.Y);
  EXPECT_TRUE(same(stored.loss_scale, built.loss_scale));
  EXPECT_TRUE(same(stored.train.params.escape_floor, built.train.params.escape_floor));
  Dataset wrong = built.data;
  wrong.X.pop_back();
  EXPECT_THROW(make_cell_context(cfg, wrong), Error);
  wrong = built.data;
  wrong.d0 += 1;
  EXPECT_THROW(make_cell_context(cfg, wrong), Error);
}
