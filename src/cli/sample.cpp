// `landscape sample`: run every cell of an experiment file into the results database.
#include "commands.hpp"
#include "landscape/run/sweep.hpp"

namespace landscape {
namespace {

class SampleCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("config", m_opt.config_path, "experiment file (TOML)")->required();
    sub.add_option("--backend", m_opt.backend, "auto | cpu | cuda (overrides the file)");
    sub.add_option("--threads", m_opt.threads, "CPU threads (0 = all cores; overrides the file)")
        ->check(CLI::Range(0, 1 << 16));
    sub.add_option("--out", m_opt.out_dir, "output directory (overrides output.dir)");
    sub.add_option("--db", m_opt.db_path, "results database (overrides output.db)");
    sub.add_flag("--resume", m_opt.resume, "continue the database's last run where it stopped");
    sub.add_option("--networks-scale", m_opt.networks_scale,
                   "multiply every cell's experiment.networks (at least 1 network each; shards of one "
                   "sweep must share it)")
        ->check(CLI::PositiveNumber);
    sub.add_flag("--quiet", m_opt.quiet, "no progress lines");
    sub.add_option("--shard", m_shard,
                   "run only slice I of N of every cell into its own database (combine with merge)");
    sub.add_flag("--verbose", m_opt.verbose,
                 "in a sweep, list every theory claim in each cell's table (else the verdicts are "
                 "counted)");
  }
  int run(const CommandContext& ctx) override {
    m_opt.interactive = ctx.interactive;
    if (!m_shard.empty()) m_opt.shard = parse_shard(m_shard, "--shard");
    return run_sweep(m_opt, ctx.out, ctx.err);
  }

 private:
  SweepOptions m_opt;
  std::string m_shard;
};

}  // namespace

std::unique_ptr<Command> make_sample_command() { return std::make_unique<SampleCommand>(); }

}  // namespace landscape
