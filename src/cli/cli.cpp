// `landscape`: the command table. Registers every subcommand (one file each, commands.hpp),
// parses, runs the chosen one and maps exceptions to exit codes.
#include "landscape/cli/cli.hpp"

#include <cerrno>
#include <cstring>
#include <CLI/CLI.hpp>
#include <new>
#include <vector>

#include "commands.hpp"
#include "landscape/core/common.hpp"

namespace landscape {
namespace {

/// The subcommands in the order `landscape --help` lists them.
const CommandEntry kCommands[] = {
    {"sample",
     "Run every cell of an experiment file: train, classify every endpoint, store in the "
     "results database",
     make_sample_command},
    {"export", "Export every endpoint of a results database", make_export_command},
    {"classify", "Classify one point given as POINT.json", make_classify_command},
    {"point", "Write a stored endpoint as POINT.json (classify reproduces its class)",
     make_point_command},
    {"report", "Write the HTML/Markdown/LaTeX/CSV/JSON report of a results database",
     make_report_command},
    {"theory", "Which theorems apply to an architecture and data, and what they predict",
     make_theory_command},
    {"suite",
     "Run the reproduction suite: every claim's experiment, one table of predictions and "
     "observations",
     make_suite_command},
    {"merge", "Combine the shards of one sweep (sample --shard I/N) into one finalized database",
     make_merge_command},
    {"bench", "Time the standard workloads W-S, W-M, W-P per stage", make_bench_command},
    {"version", "Print the version and the backends built", make_version_command},
};

}  // namespace

int cli_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             bool interactive_progress) {
  CLI::App app{
      "landscape: empirical loss-landscape explorer for deep linear and leaky-ReLU "
      "networks"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands;
  for (const CommandEntry& entry : kCommands) {
    CLI::App* sub = app.add_subcommand(entry.name, entry.description);
    commands.emplace_back(sub, entry.make());
    commands.back().second->add_options(*sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err) == 0 ? 0 : 2;
  }

  try {
    for (auto& [sub, command] : commands) {
      if (!*sub) continue;
      const int code = command->run({out, err, interactive_progress});
      // Output that did not reach its destination (a full disk, a closed pipe, /dev/full) is an
      // error: the caller must not take a truncated table or file for a complete one.
      errno = 0;
      out.flush();
      if (!out) {
        err << "error: standard output: write failed"
            << (errno ? std::string(": ") + std::strerror(errno) : std::string()) << "\n";
        return 1;
      }
      return code;
    }
  } catch (const Error& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    err << "error: out of host memory; make the experiment smaller (experiment.networks, "
           "experiment.chunk, model.dims)\n";
    return 1;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}

}  // namespace landscape
