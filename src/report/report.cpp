// `landscape report`: reads a results database (model.cpp) and writes report.html (html.cpp),
// summary.md and table.tex (text.cpp), report.json and the CSV files (data_files.cpp).
#include "landscape/report/report.hpp"

#include <filesystem>
#include <string>

#include "data_files.hpp"
#include "html.hpp"
#include "landscape/core/common.hpp"
#include "model.hpp"
#include "text.hpp"

namespace landscape {

void write_report(const ReportOptions& opt) {
  using namespace report;
  const Report rep = read_report(opt.db_path);
  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  if (ec) throw Error(opt.out_dir + ": cannot create output directory: " + ec.message());
  const std::filesystem::path dir(opt.out_dir);
  // report.html vouches for the set: remove an older one before anything is rewritten, so a
  // report stopped half-way never leaves the old page beside new data files. Temporaries of
  // an earlier report that was killed mid-write (<name>.tmp.<pid>) are removed too.
  static const char* const kFiles[] = {"classes.csv", "cells.csv", "tolerance_sensitivity.csv",
                                       "histograms.csv", "integer_counts.csv", "spectral_density.csv",
                                       "curves.csv", "report.json", "summary.md", "table.tex",
                                       "report.html"};
  std::filesystem::remove(dir / "report.html", ec);
  require(!ec, (dir / "report.html").string(), "cannot remove the older report: " + ec.message());
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const char* f : kFiles)
      if (name.rfind(std::string(f) + ".tmp.", 0) == 0) std::filesystem::remove(entry.path(), ec);
  }
  auto put = [&](const char* name, const std::string& text) {
    write_file_atomic((dir / name).string(), text);
  };
  put("classes.csv", classes_csv(rep));
  put("cells.csv", cells_csv(rep));
  put("tolerance_sensitivity.csv", tolerance_csv(rep));
  put("histograms.csv", histograms_csv(rep));
  put("integer_counts.csv", integer_counts_csv(rep));
  put("spectral_density.csv", spectral_csv(rep));
  put("curves.csv", curves_csv(rep));
  put("report.json", report_json(rep).dump(2) + "\n");
  put("summary.md", summary_md(rep));
  put("table.tex", table_tex(rep));
  put("report.html", report_html(rep));  // last: its presence means the set is complete
}

}  // namespace landscape
