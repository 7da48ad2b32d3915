// `landscape suite`: the reproduction suite, every claim's experiment and one table.
#include "landscape/run/suite.hpp"

#include <filesystem>
#include <system_error>

#include "commands.hpp"
#include "landscape/core/common.hpp"

namespace landscape {
namespace {

namespace fs = std::filesystem;

/// The suite's experiment files when no folder is given: ./examples/suite (a source checkout),
/// then next to the binary: <bin>/../share/landscape/suite (installed), <bin>/../examples/suite
/// (a build folder inside the checkout) and <bin>/examples/suite. Empty when none exists.
std::string find_suite_dir() {
  std::vector<fs::path> candidates{fs::path("examples") / "suite"};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path bin = exe.parent_path();
    candidates.push_back(bin.parent_path() / "share" / "landscape" / "suite");
    candidates.push_back(bin.parent_path() / "examples" / "suite");
    candidates.push_back(bin / "examples" / "suite");
  }
  for (const auto& c : candidates)
    if (fs::is_directory(c, ec)) return c.string();
  return "";
}

class SuiteCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("dir", m_opt.dir,
                   "folder of experiment files (default: examples/suite here, else the one "
                   "installed with the binary)");
    sub.add_option("--dir", m_dir, "the same, as an option");
    sub.add_option("--out", m_opt.out, "output directory")->capture_default_str();
    sub.add_option("--scale", m_opt.scale,
                   "multiply every cell's network count (e.g. 100 on a GPU)")
        ->capture_default_str();
    sub.add_option("--backend", m_opt.backend, "auto | cpu | cuda (overrides the files)");
    sub.add_flag("--quiet", m_opt.quiet, "no progress lines");
    m_opt.dir.clear();
  }
  int run(const CommandContext& ctx) override {
    require(m_opt.dir.empty() || m_dir.empty() || m_opt.dir == m_dir, "suite",
            "two folders given (" + m_opt.dir + " and --dir " + m_dir + "); give one");
    if (m_opt.dir.empty()) m_opt.dir = m_dir;
    if (m_opt.dir.empty()) {
      m_opt.dir = find_suite_dir();
      require(!m_opt.dir.empty(), "suite",
              "no experiment folder found: not ./examples/suite, nor share/landscape/suite or "
              "examples/suite next to the binary; give the folder (landscape suite --dir DIR)");
    }
    m_opt.interactive = ctx.interactive;
    return run_suite(m_opt, ctx.out, ctx.err);
  }

 private:
  SuiteOptions m_opt;
  std::string m_dir;
};

}  // namespace

std::unique_ptr<Command> make_suite_command() { return std::make_unique<SuiteCommand>(); }

}  // namespace landscape
