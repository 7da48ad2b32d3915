// `landscape export`: every endpoint of a results database as CSV or JSON.
#include <string>

#include "commands.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/store.hpp"

namespace landscape {
namespace {

class ExportCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("db", m_db, "results database")->required();
    auto* csv_flag = sub.add_flag("--csv", m_csv, "CSV (default)");
    sub.add_flag("--json", m_json, "JSON array of objects")->excludes(csv_flag);
    sub.add_option("--out", m_out, "write to this file instead of standard output");
  }
  int run(const CommandContext& ctx) override {
    const std::string text = export_database(m_db, m_json);
    if (m_out.empty())
      ctx.out << text;
    else
      write_file_atomic(m_out, text);
    return 0;
  }

 private:
  std::string m_db, m_out;
  bool m_csv = false, m_json = false;
};

}  // namespace

std::unique_ptr<Command> make_export_command() { return std::make_unique<ExportCommand>(); }

}  // namespace landscape
