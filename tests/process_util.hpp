// Running the landscape binary as a subprocess in tests: exit code (128 + signal when killed by
// one), standard output and standard error.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace landscape::test {

struct Proc {
  int code = -1;    ///< exit status, or 128 + signal when killed by one
  std::string out;  ///< standard output
  std::string err;  ///< standard error
};

/// Runs `PREFIX landscape ARGS` through the shell, capturing standard output and error (the
/// latter through a file in `scratch`). `prefix` is shell text put before the command:
/// environment assignments (`VAR=1`) or commands ending in `;` (`ulimit -f 1;`).
inline Proc run_binary(const std::string& args, const std::filesystem::path& scratch,
                       const std::string& prefix = "") {
  const std::string err_path = (scratch / "stderr.txt").string();
  const std::string cmd = prefix + (prefix.empty() ? "" : " ") + std::string(LANDSCAPE_BINARY) + " " +
                          args + " 2>" + err_path;
  Proc p;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return p;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) p.out.append(buf, n);
  const int status = pclose(f);
  p.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream e(err_path);
  std::stringstream ss;
  ss << e.rdbuf();
  p.err = ss.str();
  return p;
}

}  // namespace landscape::test
