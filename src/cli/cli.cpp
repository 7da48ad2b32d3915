// `landscape`: the command table. Registers every subcommand (one file each, commands.hpp),
// parses, runs the chosen one and maps exceptions to exit codes.
#include "landscape/cli/cli.hpp"

#include <algorithm>
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
    {"slice",
     "The loss around one point (POINT.json or a stored endpoint) along a direction and on a "
     "plane (CSV, SVG, HTML)",
     make_slice_command},
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

/// Levenshtein distance (insert, delete, substitute, each 1).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// The closest of `names` to `word` when it is close enough to be a typo (at most a third of
/// its length, and at least 1, edits away), else empty.
std::string closest(const std::string& word, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(1, word.size() / 3) + 1;
  for (const auto& n : names) {
    const std::size_t d = edit_distance(word, n);
    if (d < best_d) {
      best_d = d;
      best = n;
    }
  }
  return best;
}

/// After a parse error: a mistyped subcommand or option of the chosen subcommand, with the
/// closest valid name ("did you mean"); empty when there is no such word.
std::string suggestion(const CLI::App& app, int argc, const char* const* argv) {
  std::vector<std::string> commands;
  for (const CommandEntry& e : kCommands) commands.push_back(e.name);
  int k = 1;
  while (k < argc && argv[k][0] == '-') ++k;  // global flags (--help, --version)
  for (int i = 1; i < k; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h" || a == "--version") continue;
    const std::string c = closest(a, {"--help", "--version"});
    return "unknown option '" + a + "'" + (c.empty() ? "" : "; did you mean '" + c + "'?") +
           " (landscape --help lists the commands)";
  }
  if (k >= argc) return "";
  const std::string word = argv[k];
  const CLI::App* sub = nullptr;
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; }))
    if (s->get_name() == word) sub = s;
  if (!sub) {
    const std::string c = closest(word, commands);
    return "unknown command '" + word + "'" + (c.empty() ? "" : "; did you mean '" + c + "'?") +
           " (landscape --help lists the commands)";
  }
  std::vector<std::string> options;
  for (const CLI::Option* o : sub->get_options())
    for (const std::string& n : o->get_lnames()) options.push_back("--" + n);
  for (int i = k + 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") continue;
    a = a.substr(0, a.find('='));
    if (std::find(options.begin(), options.end(), a) != options.end()) continue;
    const std::string c = closest(a, options);
    return "unknown option '" + a + "' for 'landscape " + word + "'" +
           (c.empty() ? "" : "; did you mean '" + c + "'?") + " (landscape " + word +
           " --help lists its options)";
  }
  return "";
}

}  // namespace

int cli_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             bool interactive_progress) {
  CLI::App app{
      "landscape: empirical loss-landscape explorer for deep linear and leaky-ReLU "
      "networks"};
  app.set_version_flag("--version", std::string("landscape ") + LANDSCAPE_VERSION);
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
    if (e.get_exit_code() != 0) {
      const std::string hint = suggestion(app, argc, argv);
      if (!hint.empty()) {
        err << "error: " << hint << "\n";
        return 2;
      }
    }
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
