// `landscape report`: reads a results database (schema.hpp) and writes a self-contained HTML
// report with inline SVG figures, a Markdown summary, a LaTeX table, JSON and CSV files.
#pragma once

#include <string>

namespace landscape {

struct ReportOptions {
  std::string db_path;  ///< results database (opened read-only; never created)
  std::string out_dir;  ///< output directory (created if missing)
  long run_id = 0;      ///< the run to report; 0: the newest run with endpoints
};

/// Writes report.json, summary.md, table.tex, classes.csv, tolerance_sensitivity.csv,
/// histograms.csv, integer_counts.csv, curves.csv, spectral_density.csv, slices.csv, cells.csv
/// and, last, report.html into `opt.out_dir`, each atomically. The report covers run
/// `opt.run_id`, or the newest run (largest run_id) whose cells have endpoints. Throws
/// landscape::Error naming the file on any problem: a missing database, a file that is not a
/// landscape database, a schema_version other than kSchemaVersion, no run with endpoints, or a
/// `run_id` that is not such a run.
void write_report(const ReportOptions& opt);

}  // namespace landscape
