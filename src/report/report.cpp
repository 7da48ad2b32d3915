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
