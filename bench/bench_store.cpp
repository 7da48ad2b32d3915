// Endpoints per second one SQLite writer sustains through the store: rank 0's share of a
// distributed sweep (decode a chunk message, commit it in one transaction), measured on real
// W-S endpoints so the rows, details and candidate blobs have their real sizes.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "landscape/backends/backend.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/store.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/run/mpi.hpp"

using namespace landscape;

int main(int argc, char** argv) {
  long networks = 200000, chunk = 4096;
  std::string db = "bench-store.db";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--networks") networks = std::atol(argv[i + 1]);
    else if (a == "--chunk") chunk = std::atol(argv[i + 1]);
    else if (a == "--db") db = argv[i + 1];
    else {
      std::cerr << "usage: landscape_bench_store [--networks N] [--chunk C] [--db PATH]\n";
      return 2;
    }
  }
  if (networks < 1 || chunk < 1) {
    std::cerr << "error: --networks and --chunk must be >= 1\n";
    return 2;
  }
  try {
    // W-S: linear [6,4,4,6], n = 32; a short training so the endpoints mix classes as a run's do.
    ExperimentConfig cfg;
    cfg.model.family = Family::linear;
    cfg.model.dims = {6, 4, 4, 6};
    cfg.data.n = 32;
    cfg.train.steps = 2000;
    cfg.train.lr = 1e-2;
    const CellContext ctx = make_cell_context(cfg);
    auto backend = make_cpu_backend(0);
    std::vector<long> idx(std::size_t(std::min(chunk, networks)));
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = long(i);
    const ChunkResult real = process_chunk(ctx, *backend, idx);
    std::error_code ec;
    std::filesystem::remove(db, ec);
    Store store(db);
    const long run = store.create_run("# bench\n", "0", "cpu", backend->device());
    const StoredCell sc = store.ensure_cell(run, 0, "W-S", {}, ctx, "");
    double t_codec = 0, t_write = 0;
    long written = 0, commits = 0;
    std::size_t bytes = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (written < networks) {
      // The same endpoints under the next indices: what a rank sends for its next chunk.
      ChunkResult c = real;
      const long n = std::min<long>(long(c.endpoints.size()), networks - written);
      c.endpoints.resize(std::size_t(n));
      c.weights.resize(std::size_t(n) * cfg.model.param_count());  // every endpoint's weights, as stored
      c.candidates.clear();
      for (long i = 0; i < n; ++i) {
        const long from = c.endpoints[std::size_t(i)].index;
        c.endpoints[std::size_t(i)].index = written + i;
        if (auto it = real.candidates.find(from); it != real.candidates.end()) c.candidates[written + i] = it->second;
      }
      const auto a = std::chrono::steady_clock::now();
      const std::vector<char> msg = encode_chunk(0, c);
      int cell = 0;
      const ChunkResult back = decode_chunk(msg, cell);
      const auto b = std::chrono::steady_clock::now();
      // As rank 0 commits: the endpoints and their times in one transaction.
      store.write_chunk(sc.cell_id, ctx, back, run, {back.seconds_train, back.seconds_analyze, back.seconds_decide, 0});
      const auto d = std::chrono::steady_clock::now();
      t_codec += std::chrono::duration<double>(b - a).count();
      t_write += std::chrono::duration<double>(d - b).count();
      bytes += msg.size();
      written += n;
      ++commits;
    }
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double mb = double(std::filesystem::file_size(db)) / 1e6;
    std::printf("{\"networks\": %ld, \"chunk\": %ld, \"commits\": %ld, \"candidates_per_chunk\": %zu, "
                "\"message_bytes_per_endpoint\": %.1f, \"db_megabytes\": %.1f, \"seconds_write\": %.4f, "
                "\"seconds_codec\": %.4f, \"seconds_total\": %.4f, \"endpoints_per_second_write\": %.4g, "
                "\"endpoints_per_second_with_codec\": %.4g}\n",
                networks, chunk, commits, real.candidates.size(), double(bytes) / double(networks), mb, t_write,
                t_codec, total, double(networks) / t_write, double(networks) / (t_write + t_codec));
    std::filesystem::remove(db, ec);
    std::filesystem::remove(db + ".lock", ec);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
