// `landscape point`: one stored endpoint written as POINT.json, with the settings (and an
// empirical L*) its cell was decided with, so `landscape classify` reproduces its class.
#include <string>

#include "commands.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/point.hpp"
#include "landscape/io/store.hpp"
#include "landscape/run/stored_point.hpp"

namespace landscape {
namespace {

class PointCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("db", m_db, "results database")->required();
    sub.add_option("--cell", m_cell, "cell index in its run (as in endpoints.csv and summary.json)")
        ->required()
        ->check(CLI::NonNegativeNumber);
    sub.add_option("--net", m_net, "network index in the cell")->required()->check(CLI::NonNegativeNumber);
    sub.add_option("--run", m_run, "run id (default: the newest run with that cell)")
        ->check(CLI::PositiveNumber);
    sub.add_flag("--refined", m_refined,
                 "the endpoint as its run refined it (runs with [refine] enabled), not as trained");
    sub.add_option("--out", m_out, "write POINT.json here instead of standard output");
  }
  int run(const CommandContext& ctx) override {
    const StoredEndpoint s = read_stored_endpoint(m_db, m_run, m_cell, m_net);
    const std::string text = point_to_json(stored_point(s, m_refined));
    if (m_out.empty())
      ctx.out << text;
    else
      write_file_atomic(m_out, text);
    if (!s.cls)
      ctx.err << "note: " << s.point.source << ": its cell is not complete (status " << s.cell_status
              << "), so the endpoint has no stored class yet\n";
    return 0;
  }

 private:
  std::string m_db, m_out;
  int m_cell = 0;
  long m_net = 0, m_run = 0;
  bool m_refined = false;
};

}  // namespace

std::unique_ptr<Command> make_point_command() { return std::make_unique<PointCommand>(); }

}  // namespace landscape
