// `landscape merge`: shards of one sweep checked (same configuration, every slice once, every
// network once), their rows copied column by column into a new database, every cell finalized.
#include "landscape/run/merge.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "landscape/core/common.hpp"
#include "landscape/io/output.hpp"
#include "landscape/run/experiment.hpp"
#include "sweep_internal.hpp"

namespace landscape {
namespace {

/// One shard's database as read before merging.
struct ShardInput {
  std::string path;
  StoredRun run;
  ShardSpec shard;
  std::vector<StoredCell> cells;
  std::vector<std::vector<long>> indices;  ///< stored network indices per cell
  double scale = 1.0;                      ///< --networks-scale the shard ran with
  std::vector<CellSeconds> seconds;        ///< per cell
};

ShardInput read_shard(const std::string& path) {
  std::error_code ec;
  require(std::filesystem::is_regular_file(path, ec), path, "no such shard database");
  ShardInput in;
  in.path = path;
  Store store(path, StoreMode::read);  // read-only; refuses a shard still being written
  const std::string sh = store.meta("shard");
  require(!sh.empty(), path, "not a shard's database (it was not written by `landscape sample --shard I/N`)");
  in.shard = parse_shard(sh, path + ": meta.shard");
  const auto run = store.latest_run();
  require(run.has_value(), path, "holds no run");
  in.run = *run;
  require(in.run.status == "complete", path,
          "shard " + sh + " is '" + in.run.status + "', not complete; finish it first with "
          "`landscape sample CONFIG --shard " + sh + " --resume --db " + path + "`");
  in.cells = store.cells(in.run.run_id);
  for (const auto& c : in.cells) {
    in.indices.push_back(store.stored_indices(c.cell_id));
    in.seconds.push_back(store.cell_seconds(c.cell_id));
  }
  // Recorded since shards may be scaled; an older shard ran at scale 1 (or its hash says not).
  if (const std::string sc = store.meta("networks_scale"); !sc.empty()) {
    char* end = nullptr;
    in.scale = std::strtod(sc.c_str(), &end);
    require(end && *end == '\0' && in.scale > 0, path, "meta.networks_scale is not a positive number: '" + sc + "'");
  }
  return in;
}

/// "networks 3-7" for a sorted list of indices' first and last.
std::string range_text(long a, long b) {
  return a == b ? "network " + std::to_string(a) : "networks " + std::to_string(a) + "-" + std::to_string(b);
}

/// Same configuration, each shard 1/N … N/N once, the same cells.
void check_shards(const std::vector<ShardInput>& in) {
  const ShardInput& first = in.front();
  std::map<int, std::string> by_index;
  for (const ShardInput& s : in) {
    if (s.scale != first.scale)
      throw Error(s.path + ": shard " + s.shard.text() + " ran with --networks-scale " + format_scale(s.scale) +
                  ", but " + first.path + " (shard " + first.shard.text() + ") with " + format_scale(first.scale) +
                  ": shards merge only at one scale (run the odd one again with --networks-scale " +
                  format_scale(first.scale) + ")");
    if (s.run.config_hash != first.run.config_hash) {
      const std::string diff = config_diff(canonical_config(first.run.config_text, first.path),
                                           canonical_config(s.run.config_text, s.path));
      throw Error(s.path + ": a shard of a different experiment than " + first.path + " (config hash " +
                  s.run.config_hash + " vs " + first.run.config_hash + "); what differs (" + first.path +
                  " -> " + s.path + "):\n" + (diff.empty() ? std::string("  (only the network scale)\n") : diff));
    }
    require(s.shard.count == first.shard.count, s.path,
            "shard " + s.shard.text() + " is of a split into " + std::to_string(s.shard.count) + ", but " +
                first.path + " is shard " + first.shard.text());
    const auto [it, fresh] = by_index.emplace(s.shard.index, s.path);
    require(fresh, s.path, "overlap: shard " + s.shard.text() + " again (also " + it->second + ")");
    require(s.cells.size() == first.cells.size(), s.path,
            std::to_string(s.cells.size()) + " cells, but " + first.path + " has " + std::to_string(first.cells.size()));
  }
  for (int i = 1; i <= first.shard.count; ++i)
    require(by_index.count(i) > 0, "merge",
            "gap: shard " + std::to_string(i) + "/" + std::to_string(first.shard.count) +
                " is missing (give its database too)");
}

/// Every network of every cell in exactly one shard.
void check_networks(const std::vector<ShardInput>& in, const std::vector<SweepCell>& cells) {
  for (std::size_t ci = 0; ci < cells.size(); ++ci) {
    const long n = cells[ci].config.networks;
    std::vector<int> owner(std::size_t(n), -1);
    for (std::size_t k = 0; k < in.size(); ++k)
      for (long i : in[k].indices[ci]) {
        require(i >= 0 && i < n, in[k].path, "cell " + std::to_string(ci) + " holds network " + std::to_string(i) +
                                                 ", beyond the experiment's " + std::to_string(n));
        const int o = owner[std::size_t(i)];
        require(o < 0, in[k].path, "overlap: cell " + std::to_string(ci) + " [" + cells[ci].label + "] network " +
                                       std::to_string(i) + " is also in " + (o >= 0 ? in[std::size_t(o)].path : ""));
        owner[std::size_t(i)] = int(k);
      }
    for (long i = 0; i < n; ++i) {
      if (owner[std::size_t(i)] >= 0) continue;
      long j = i;
      while (j + 1 < n && owner[std::size_t(j + 1)] < 0) ++j;
      std::string whose;
      for (const ShardInput& s : in)
        if (i >= s.shard.begin(n) && i < s.shard.end(n)) whose = " (shard " + s.shard.text() + ", " + s.path + ")";
      throw Error("merge: gap: cell " + std::to_string(ci) + " [" + cells[ci].label + "] " + range_text(i, j) +
                  " missing from every shard" + whose);
    }
  }
}

/// The X and Y shard `s` stored for cell `ci` (nullopt: none), read from its file.
std::optional<CellDataBlobs> stored_data(const ShardInput& s, std::size_t ci) {
  Store store(s.path, StoreMode::read);
  return store.cell_data_blobs(s.cells[ci].cell_id);
}

/// Cell `ci`'s context on the X and Y the shards stored, which must be the same in every shard:
/// the first shard's kept, each other's read and compared in turn (one copy held beside it).
CellContext stored_context(const std::vector<ShardInput>& in, std::size_t ci, const SweepCell& cell) {
  const ShardInput& first = in.front();
  const std::string where = "cell " + std::to_string(ci) + " [" + cell.label + "]";
  const std::optional<CellDataBlobs> kept = stored_data(first, ci);
  require(kept.has_value(), first.path, where + " has no stored X and Y (table cell_data)");
  for (std::size_t k = 1; k < in.size(); ++k) {
    const std::optional<CellDataBlobs> other = stored_data(in[k], ci);
    require(other.has_value() && *other == *kept, in[k].path,
            where + ": its stored X and Y differ from " + first.path + "'s: the shards did not run on the same "
            "data (a data file changed between them?)");
  }
  const auto to_doubles = [&](const std::vector<unsigned char>& b, const char* name) {
    require(b.size() % sizeof(double) == 0, first.path, where + ": stored " + std::string(name) + " is not float64");
    std::vector<double> v(b.size() / sizeof(double));
    if (!b.empty()) std::memcpy(v.data(), b.data(), b.size());
    return v;
  };
  Dataset data;
  data.d0 = cell.config.model.dims.front();
  data.dh = cell.config.model.dims.back();
  data.X = to_doubles(kept->x, "X");
  data.Y = to_doubles(kept->y, "Y");
  data.n = data.d0 > 0 ? int(data.X.size() / std::size_t(data.d0)) : 0;
  try {
    return make_cell_context(cell.config, std::move(data));
  } catch (const Error& e) {
    throw Error(first.path + ": " + where + ": stored X and Y: " + e.what());
  }
}

}  // namespace

int run_merge(const MergeOptions& opt, std::ostream& out, std::ostream& err) {
  const auto t0 = std::chrono::steady_clock::now();
  require(!opt.inputs.empty(), "merge", "give the shards' databases to merge");
  std::error_code ec;
  require(!std::filesystem::exists(std::filesystem::symlink_status(opt.out_db, ec)), opt.out_db,
          "already exists; merge into a new file");
  std::vector<ShardInput> in;
  for (const auto& p : opt.inputs) in.push_back(read_shard(p));
  check_shards(in);
  const ShardInput& first = in.front();

  // The cells, from the experiment file (data files relative to it) or the shards' copy.
  const std::string source = opt.config_path.empty() ? first.path : opt.config_path;
  const std::string text = opt.config_path.empty() ? first.run.config_text : read_file(opt.config_path);
  require(config_hash(canonical_config(text, source) + scale_line(first.scale)) == first.run.config_hash, source,
          "is not the experiment the shards ran (config hash differs)");
  std::vector<SweepCell> cells = expand_sweep(text, source);
  for (auto& c : cells) c.config.networks = scaled_networks(c.config.networks, first.scale);
  require(cells.size() == first.cells.size(), source,
          std::to_string(cells.size()) + " cells, but the shards hold " + std::to_string(first.cells.size()));
  for (std::size_t ci = 0; ci < cells.size(); ++ci)
    require(cells[ci].label == first.cells[ci].label, first.path,
            "cell " + std::to_string(ci) + " is '" + first.cells[ci].label + "', the experiment's is '" +
                cells[ci].label + "'");
  check_networks(in, cells);
  // Every cell is finalized on the X and Y its networks were trained on, as the shards stored
  // them (not rebuilt from the config, whose data files may have changed since); the shards
  // must agree on them byte for byte.
  std::vector<CellContext> contexts;
  for (std::size_t ci = 0; ci < cells.size(); ++ci) contexts.push_back(stored_context(in, ci, cells[ci]));

  if (const auto parent = std::filesystem::path(opt.out_db).parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  Store store(opt.out_db);
  const long run_id = store.create_run(text, first.run.config_hash, first.run.backend, first.run.device);
  {
    double train = 0, analyze = 0;
    for (const ShardInput& s : in) train += s.run.seconds_train, analyze += s.run.seconds_analyze;
    store.add_run_seconds(run_id, train, analyze);
  }
  std::vector<SampleResult> results;
  std::vector<std::string> labels;
  try {
    for (std::size_t ci = 0; ci < cells.size(); ++ci) {
      const StoredCell sc = store.ensure_cell(run_id, int(ci), cells[ci].label, cells[ci].swept, contexts[ci], "");
      for (const ShardInput& s : in) store.copy_cell_rows(s.path, s.cells[ci].cell_id, sc.cell_id);
      // The shards' times, summed, and the merge's own finalization.
      CellSeconds shards;
      for (const ShardInput& s : in) {
        shards.train += s.seconds[ci].train;
        shards.analyze += s.seconds[ci].analyze;
        shards.decide += s.seconds[ci].decide;
        shards.total += s.seconds[ci].total;
      }
      const auto t_cell = std::chrono::steady_clock::now();
      SampleResult res;
      res.config = cells[ci].config;
      res.swept = cells[ci].swept;
      res.backend = first.run.backend;
      res.device = first.run.device;
      res.data = contexts[ci].data;
      res.loss_scale = contexts[ci].loss_scale;
      if (!opt.quiet) err << "merge: finalizing cell " << ci + 1 << "/" << cells.size() << " [" << cells[ci].label << "]\n";
      finalize_stored_cell(store, cells[ci], contexts[ci], sc.cell_id, res, shards, t_cell);
      results.push_back(std::move(res));
      labels.push_back(cells[ci].label);
    }
    print_sample_tables(results, labels, opt.verbose, out);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!opt.out_dir.empty()) {
      std::filesystem::create_directories(opt.out_dir, ec);
      require(!ec, opt.out_dir, "cannot create output directory: " + ec.message());
      write_sample_outputs(results, labels, {run_id, opt.out_db, first.run.config_hash, false, seconds, 0}, opt.out_dir);
    }
    store.set_run_status(run_id, "complete");
  } catch (...) {
    try {
      store.set_run_status(run_id, "failed");
    } catch (...) {
    }
    throw;
  }
  out << "merged " << in.size() << " shards into " << opt.out_db << " (run " << run_id << ")\n";
  return 0;
}

}  // namespace landscape
