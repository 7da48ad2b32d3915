// `landscape bench`: time the standard workloads per stage, or export them for the peers.
#include "landscape/run/bench.hpp"

#include "commands.hpp"

namespace landscape {
namespace {

class BenchCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("--workload", m_opt.workloads, "W-S, W-M or W-P (repeatable; default all)");
    sub.add_flag("--all", "all workloads (the default)");
    sub.add_option("--scale", m_opt.scale,
                   "multiply the standard network counts (default 1 on a GPU, "
                   "CPU-sized counts otherwise)");
    sub.add_option("--networks", m_opt.networks, "exact network count per workload");
    sub.add_option("--steps", m_opt.steps, "override the 2,000 training steps");
    sub.add_option("--backend", m_opt.backend, "auto | cpu | cuda")->capture_default_str();
    sub.add_option("--threads", m_opt.threads, "CPU threads (0 = all)")
        ->check(CLI::Range(0, 1 << 16));
    sub.add_flag("--per-sample", [this](std::int64_t) { m_opt.compress = false; },
                 "train deep linear networks on X and Y as given, not on their compressed form");
    sub.add_option("--json", m_opt.json_path, "write the results as JSON");
    sub.add_option("--baseline", m_opt.baseline_path,
                   "under MPI: a --json file of a one-rank run, the reference of the parallel efficiency");
    sub.add_option("--export", m_opt.export_dir,
                   "write the workload files for bench/peers/ and exit");
  }
  int run(const CommandContext& ctx) override { return run_bench(m_opt, ctx.out, ctx.err); }

 private:
  BenchOptions m_opt;
};

}  // namespace

std::unique_ptr<Command> make_bench_command() { return std::make_unique<BenchCommand>(); }

}  // namespace landscape
