// `landscape report`: reads a results database (model.cpp) and writes report.html (html.cpp),
// summary.md and table.tex (text.cpp), report.json and the CSV files (data_files.cpp).
#include "landscape/report/report.hpp"

#include <filesystem>
#include <string>
#include <utility>

#include "data_files.hpp"
#include "html.hpp"
#include "landscape/core/common.hpp"
#include "model.hpp"
#include "text.hpp"

namespace landscape {

void write_report(const ReportOptions& opt) {
  using namespace report;
  const Report rep = read_report(opt.db_path, opt.run_id);
  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  if (ec) throw Error(opt.out_dir + ": cannot create output directory: " + ec.message());
  const std::filesystem::path dir(opt.out_dir);
  // Every file with what writes it; report.html last: its presence means the set is complete.
  using Writer = std::string (*)(const Report&);
  static const std::pair<const char*, Writer> kFiles[] = {
      {"classes.csv", classes_csv},
      {"cells.csv", cells_csv},
      {"tolerance_sensitivity.csv", tolerance_csv},
      {"histograms.csv", histograms_csv},
      {"integer_counts.csv", integer_counts_csv},
      {"spectral_density.csv", spectral_csv},
      {"curves.csv", curves_csv},
      {"slices.csv", slices_csv},
      {"report.json", [](const Report& r) { return report_json(r).dump(2) + "\n"; }},
      {"summary.md", summary_md},
      {"table.tex", table_tex},
      {"report.html", report_html}};
  // report.html vouches for the set: remove an older one before anything is rewritten, so a
  // report stopped half-way never leaves the old page beside new data files. Temporaries of
  // an earlier report that was killed mid-write (<name>.tmp.<pid>) are removed too.
  std::filesystem::remove(dir / "report.html", ec);
  require(!ec, (dir / "report.html").string(), "cannot remove the older report: " + ec.message());
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const auto& f : kFiles)
      if (name.rfind(std::string(f.first) + ".tmp.", 0) == 0) std::filesystem::remove(entry.path(), ec);
  }
  for (const auto& [name, write] : kFiles) write_file_atomic((dir / name).string(), write(rep));
}

}  // namespace landscape
