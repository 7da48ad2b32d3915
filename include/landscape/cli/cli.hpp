// The command-line interface, callable in-process so tests can drive it.
#pragma once

#include <ostream>

namespace landscape {

/// Runs `landscape` with argv; writes to out/err and returns the process exit code
/// (0 success, 1 bad input or failure, 2 usage error). Never calls exit().
int cli_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             bool interactive_progress = false);

}  // namespace landscape
