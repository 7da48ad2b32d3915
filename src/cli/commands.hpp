// The subcommands of `landscape`, one file each (src/cli/<name>.cpp); cli.cpp registers them
// in a table, parses, dispatches and maps exceptions to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>

namespace landscape {

/// Where a command writes, and whether progress may redraw one terminal line.
struct CommandContext {
  std::ostream& out;
  std::ostream& err;
  bool interactive = false;
};

/// One subcommand: its options live in the object, bound to the CLI11 subcommand by
/// add_options before parsing; run executes it after a successful parse and returns the exit
/// code. Errors are thrown (cli_main turns them into messages and exit codes).
class Command {
 public:
  virtual ~Command() = default;
  /// Declares the command's positionals, options and flags on its subcommand.
  virtual void add_options(CLI::App& sub) = 0;
  /// Runs the parsed command.
  virtual int run(const CommandContext& ctx) = 0;
};

/// One row of the command table: name and help line as `landscape --help` shows them.
struct CommandEntry {
  const char* name;
  const char* description;
  std::unique_ptr<Command> (*make)();
};

std::unique_ptr<Command> make_sample_command();    ///< sample: run an experiment file
std::unique_ptr<Command> make_export_command();    ///< export: a results database as CSV/JSON
std::unique_ptr<Command> make_classify_command();  ///< classify: one POINT.json
std::unique_ptr<Command> make_point_command();     ///< point: a stored endpoint as POINT.json
std::unique_ptr<Command> make_slice_command();     ///< slice: the loss around one POINT.json
std::unique_ptr<Command> make_report_command();    ///< report: the report of a database
std::unique_ptr<Command> make_theory_command();    ///< theory: which theorems apply
std::unique_ptr<Command> make_suite_command();     ///< suite: the reproduction suite
std::unique_ptr<Command> make_bench_command();     ///< bench: the standard workloads
std::unique_ptr<Command> make_version_command();   ///< version: version and backends
std::unique_ptr<Command> make_merge_command();     ///< merge: the shards of one sweep

}  // namespace landscape
