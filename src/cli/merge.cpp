// `landscape merge`: combine the shards of one sweep into one finalized database.
#include "landscape/run/merge.hpp"

#include "commands.hpp"

namespace landscape {
namespace {

class MergeCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("out", m_opt.out_db, "the merged database (a new file)")->required();
    sub.add_option("shards", m_opt.inputs, "the shards' databases (sample --shard I/N), every one of them")
        ->required();
    sub.add_option("--config", m_opt.config_path,
                   "the experiment file to check the shards against (optional; the data come from the shards)");
    sub.add_option("--out-dir", m_opt.out_dir, "also write summary.json and endpoints.csv here");
    sub.add_flag("--quiet", m_opt.quiet, "no progress lines");
    sub.add_flag("--verbose", m_opt.verbose, "in a sweep, list every theory claim in each cell's table");
  }
  int run(const CommandContext& ctx) override { return run_merge(m_opt, ctx.out, ctx.err); }

 private:
  MergeOptions m_opt;
};

}  // namespace

std::unique_ptr<Command> make_merge_command() { return std::make_unique<MergeCommand>(); }

}  // namespace landscape
