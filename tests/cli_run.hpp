// Runs the command line in process, as `landscape ARGS…`, and keeps its exit code, standard
// output and standard error.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "landscape/cli/cli.hpp"

namespace landscape::test {

struct CliRun {
  int code;
  std::string out, err;
};

inline CliRun run(std::vector<std::string> args) {
  args.insert(args.begin(), "landscape");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  const int code = cli_main(int(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace landscape::test
