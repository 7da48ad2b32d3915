// `landscape report`: the HTML/Markdown/LaTeX/CSV/JSON report of a results database.
#include "landscape/report/report.hpp"

#include <string>

#include "commands.hpp"

namespace landscape {
namespace {

class ReportCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("db", m_db, "results database")->required();
    sub.add_option("--out", m_out, "output directory")->required();
    sub.add_option("--run", m_run, "the run to report (runs.run_id; default: the newest with endpoints)")
        ->check(CLI::PositiveNumber);
  }
  int run(const CommandContext& ctx) override {
    write_report({m_db, m_out, m_run});
    ctx.out << "wrote " << m_out << "/report.html, summary.md, table.tex and CSV/JSON data\n";
    return 0;
  }

 private:
  std::string m_db, m_out;
  long m_run = 0;
};

}  // namespace

std::unique_ptr<Command> make_report_command() { return std::make_unique<ReportCommand>(); }

}  // namespace landscape
