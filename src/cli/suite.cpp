// `landscape suite`: the reproduction suite, every claim's experiment and one table.
#include "landscape/run/suite.hpp"

#include "commands.hpp"

namespace landscape {
namespace {

class SuiteCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("dir", m_opt.dir, "folder of experiment files")->capture_default_str();
    sub.add_option("--out", m_opt.out, "output directory")->capture_default_str();
    sub.add_option("--scale", m_opt.scale,
                   "multiply every cell's network count (e.g. 100 on a GPU)")
        ->capture_default_str();
    sub.add_option("--backend", m_opt.backend, "auto | cpu | cuda (overrides the files)");
    sub.add_flag("--quiet", m_opt.quiet, "no progress lines");
  }
  int run(const CommandContext& ctx) override {
    m_opt.interactive = ctx.interactive;
    return run_suite(m_opt, ctx.out, ctx.err);
  }

 private:
  SuiteOptions m_opt;
};

}  // namespace

std::unique_ptr<Command> make_suite_command() { return std::make_unique<SuiteCommand>(); }

}  // namespace landscape
