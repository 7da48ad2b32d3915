// The reproduction suite: one experiment file per claim, run together into one report whose
// first table reads claim, setting, prediction, observation, verdict.
#pragma once

#include <ostream>
#include <string>

namespace landscape {

struct SuiteOptions {
  std::string dir = "examples/suite";  ///< folder of experiment files (*.toml, run in name order)
  std::string out = "landscape-out/suite";
  double scale = 1.0;                  ///< multiplies every cell's network count
  std::string backend;                 ///< overrides experiment.backend when not empty
  bool quiet = false;
  bool interactive = false;
};

/// Runs every experiment file of the suite into OUT/<name>/ (database, summaries, full report)
/// and writes OUT/suite.{md,html,json,csv}. Endpoints that contradict a prediction are exported
/// as POINT.json files under OUT/contradictions/. Returns the exit code (130 if interrupted).
int run_suite(const SuiteOptions& opt, std::ostream& out, std::ostream& err);

}  // namespace landscape
