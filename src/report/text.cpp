// The report's text outputs: summary.md (Markdown) and table.tex (a LaTeX class table).
#include "text.hpp"

#include <algorithm>
#include <sstream>

#include "format.hpp"
#include "landscape/core/common.hpp"

namespace landscape::report {
namespace {

std::string latex_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '{':
        out += "\\{";
        break;
      case '}':
        out += "\\}";
        break;
      case '_':
        out += "\\_";
        break;
      case '%':
        out += "\\%";
        break;
      case '&':
        out += "\\&";
        break;
      case '#':
        out += "\\#";
        break;
      case '$':
        out += "\\$";
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '\n':
        out += ' ';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/// Title, conventions, the run table, its configuration and the warnings.
void md_run(std::ostringstream& os, const Report& r) {
  const RunInfo& u = r.run;
  os << "# Loss-landscape report: run " << u.run_id << "\n\n";
  os << "Database `" << r.db_path << "`. Loss L = ½‖F(W) − Y‖²_F (no division by n). "
     << "Fractions are of finished endpoints; 95% intervals are Wilson score intervals, or "
        "exact Clopper–Pearson at 0 or n. Figures are in `report.html`; every number is in "
        "`report.json` and the CSV files.\n\n";
  os << "## Run\n\n| field | value |\n|---|---|\n";
  os << "| config_hash | `" << u.config_hash << "` |\n";
  os << "| version | " << md_escape(u.version) << " |\n";
  os << "| backend | " << md_escape(u.backend) << " |\n";
  os << "| device | " << md_escape(u.device) << " |\n";
  os << "| started | " << md_escape(u.started_at) << " |\n";
  os << "| finished | " << md_escape(u.finished_at.value_or("—")) << " |\n";
  os << "| status | " << md_escape(u.status) << " |\n";
  os << "| endpoints | " << u.endpoints << " |\n";
  os << "| seconds (train + analyze) | " << g3(u.seconds_train) << " + " << g3(u.seconds_analyze)
     << " |\n";
  os << "| throughput | " << (u.throughput ? g3(*u.throughput) + " networks/s" : std::string("n/a"))
     << " |\n\n";
  // A code fence longer than any backtick run inside the config keeps it verbatim.
  std::size_t run = 0, longest = 0;
  for (char ch : u.config_text) {
    run = ch == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  os << "<details><summary>config_text</summary>\n\n"
     << fence << "toml\n"
     << u.config_text << (u.config_text.empty() || u.config_text.back() == '\n' ? "" : "\n")
     << fence << "\n\n</details>\n\n";
  for (const auto& w : r.warnings) os << "> warning: " << md_escape(w) << "\n\n";
}

/// One row per cell: class fractions.
void md_across_cells(std::ostringstream& os, const Report& r) {
  // One column per swept variable, or the label when nothing was swept.
  os << "## Across cells\n\n| cell |";
  if (r.sweep.empty()) os << " label |";
  for (const auto& n : r.sweep) os << " " << md_escape(n) << " |";
  os << " networks | finished | unfinished |";
  for (const auto& name : r.classes) os << " `" << name << "` |";
  os << "\n|---:|";
  for (std::size_t i = 0; i < std::max<std::size_t>(1, r.sweep.size()); ++i) os << "---|";
  os << "---:|---:|---:|";
  for (std::size_t i = 0; i < r.classes.size(); ++i) os << "---:|";
  os << "\n";
  for (const Cell& c : r.cells) {
    os << "| " << c.cell_index << " |";
    if (r.sweep.empty()) os << " " << md_escape(c.label) << " |";
    for (const auto& n : r.sweep) os << " " << md_escape(swept_text(c, n)) << " |";
    os << " " << c.networks << " | " << c.finished << " | " << c.unfinished << " |";
    for (const auto& name : r.classes) os << " " << frac_text(c.count(name), c.finished) << " |";
    os << "\n";
  }
  os << "\n";
}

/// One cell: settings, classes, prediction, tolerance sensitivity, openness, data counts.
void md_cell(std::ostringstream& os, const Report& r, const Cell& c) {
  os << "## " << md_escape(cell_title(c)) << "\n\n";
  os << md_escape(c.family) << " dims " << md_escape(c.dims) << ", n = " << c.n << ", "
     << md_escape(c.optimizer) << " lr " << g3(c.lr) << ", " << md_escape(c.precision)
     << "; global loss L\\* = " << (c.global_loss ? fmt("%.10g", *c.global_loss) : "not yet known")
     << (c.global_loss_kind ? " (" + *c.global_loss_kind + ")" : "") << "; " << c.finished
     << " finished endpoints, " << c.unfinished << " unfinished (excluded).\n\n";
  os << "| class | count | fraction | 95% interval |\n|---|---:|---:|---|\n";
  for (const auto& name : r.classes) {
    const long k = c.count(name);
    os << "| `" << name << "` | " << k << " | " << frac_text(k, c.finished) << " | "
       << interval_text(binomial_interval_95(k, c.finished)) << " |\n";
  }
  os << "\n";
  if (c.prediction.present()) os << md_escape(prediction_text(c.prediction)) << "\n\n";
  os << "Tolerance sensitivity (counts):\n\n| class | tolerances ×0.1 | nominal | tolerances ×10 "
        "|\n"
        "|---|---:|---:|---:|\n";
  for (const auto& name : tolerance_classes(r, c))
    os << "| `" << name << "` | " << get(c.counts_lo, name) << " | " << c.count(name) << " | "
       << get(c.counts_hi, name) << " |\n";
  if (c.tol_lo_missing || c.tol_hi_missing)
    os << "| (not recorded) | " << c.tol_lo_missing << " | — | " << c.tol_hi_missing << " |\n";
  os << "\n";
  if (c.open_n) {
    const Interval iv = binomial_interval_95(c.open_yes, c.open_n);
    os << "Locally open (N&R Thm 2 / Behrends): " << c.open_yes << " of " << c.open_n << " ("
       << frac4(fraction(c.open_yes, c.open_n)) << ", 95% " << interval_text(iv) << ").\n\n";
  }
  os << "Loss gaps: " << c.gap_n << " (" << c.gap_clamped
     << " at or below 1e-16 drawn at the floor); "
     << "spectra stored: " << c.spectra.networks << " networks, " << c.spectra.eigenvalues
     << " eigenvalues; training curves: " << c.curves.used << " of " << c.curves.total
     << " used.\n\n";
}

/// One row per cell: dynamics, refinement sensitivity, certified minima.
void md_verdicts(std::ostringstream& os, const Report& r) {
  os << "## Dynamics and verdict robustness\n\nPer cell: endpoints still on their initial plateau or "
        "out of budget with a falling loss (docs/math.md §7a; not evidence about the landscape "
        "unless refined), escape steps, how many refined endpoints change second-order class, and "
        "minima certified by second order.\n\n|";
  const auto header = verdict_header();
  for (const auto& h : header) os << " " << h << " |";
  os << "\n|";
  for (std::size_t i = 0; i < header.size(); ++i) os << (i == 1 ? "---|" : "---:|");
  os << "\n";
  for (const auto& row : verdict_rows(r)) {
    os << "|";
    for (const auto& x : row) os << " " << md_escape(x) << " |";
    os << "\n";
  }
  os << "\n";
}

}  // namespace

std::string summary_md(const Report& r) {
  std::ostringstream os;
  md_run(os, r);
  md_across_cells(os, r);
  md_verdicts(os, r);
  for (const Cell& c : r.cells) md_cell(os, r, c);
  return os.str();
}

std::string table_tex(const Report& r) {
  std::ostringstream os;
  os << "% Class fractions with 95% intervals, generated by landscape report (run " << r.run.run_id
     << ").\n% Requires \\usepackage{booktabs}.\n";
  // One column per swept variable (or the label when nothing was swept), then n and the classes.
  const std::size_t key_columns = std::max<std::size_t>(1, r.sweep.size());
  os << "\\begin{table}[t]\n\\centering\n\\small\n\\begin{tabular}{"
     << std::string(key_columns, 'l') << "r";
  for (std::size_t i = 0; i < r.classes.size(); ++i) os << "c";
  os << "}\n\\toprule\n";
  if (r.sweep.empty()) os << "Cell";
  for (std::size_t i = 0; i < r.sweep.size(); ++i)
    os << (i ? " & " : "") << latex_escape(r.sweep[i]);
  os << " & $n$";
  for (const auto& name : r.classes) os << " & " << latex_escape(human_class(name));
  os << " \\\\\n\\midrule\n";
  for (const Cell& c : r.cells) {
    if (r.sweep.empty()) os << latex_escape(c.label);
    for (std::size_t i = 0; i < r.sweep.size(); ++i)
      os << (i ? " & " : "") << latex_escape(swept_text(c, r.sweep[i]));
    os << " & " << c.finished;
    for (const auto& name : r.classes) {
      const long k = c.count(name);
      const Interval iv = binomial_interval_95(k, c.finished);
      if (c.finished == 0)
        os << " & --";
      else
        os << " & " << fmt("%.3f", fraction(k, c.finished)) << " {\\scriptsize[" << g3(iv.lo)
           << ", " << g3(iv.hi) << "]}";
    }
    os << " \\\\\n";
  }
  os << "\\bottomrule\n\\end{tabular}\n";
  os << "\\caption{Fraction of finished endpoints in each class, with 95\\% intervals (Wilson; "
        "exact Clopper--Pearson at 0 or $n$). Run "
     << r.run.run_id << ", configuration " << latex_escape(r.run.config_hash) << ".}\n";
  os << "\\label{tab:landscape-classes}\n\\end{table}\n";
  return os.str();
}

}  // namespace landscape::report
