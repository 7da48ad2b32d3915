// Text formatting shared by the report's writers: numbers, intervals, class names and the
// per-cell phrases that appear in more than one output file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "landscape/report/svg.hpp"
#include "model.hpp"

namespace landscape::report {

/// The dynamics and verdict-robustness table, one row per cell (label first, so the swept
/// values stand against the numbers): header and rows of plain text.
std::vector<std::string> verdict_header();
std::vector<std::vector<std::string>> verdict_rows(const Report& r);

/// printf-style formatting of one double with format `f`.
std::string fmt(const char* f, double x);
/// Three significant digits (%.3g).
std::string g3(double x);
/// Four decimals (%.4f).
std::string frac4(double x);
/// Ten significant digits (%.10g); "" for a non-finite value (an empty CSV field).
std::string full(double x);
/// "[lo, hi]" to three significant digits, or a dash when n = 0.
std::string interval_text(const Interval& iv);
/// k / n to four decimals, or a dash when n = 0 (a cell without finished endpoints).
std::string frac_text(long k, long n);
/// k / n, or 0 when n = 0.
double fraction(long k, long n);
/// A class name with spaces for underscores.
std::string human_class(const std::string& c);
/// "cell <index>: <label>".
std::string cell_title(const Cell& c);
/// "predicted: … (source) — observed k of n (rate < X at 95%) — verdict", plain text; for a
/// claim or observation list, the items' texts joined by "; ".
std::string prediction_text(const Prediction& p);
/// "<n> claim(s)" for a list, the older object's statement, or "".
std::string prediction_statement(const Prediction& p);
/// The older object's source, or "".
std::string prediction_source(const Prediction& p);
/// The older object's forbidden classes (none for a list).
std::vector<std::string> prediction_forbids(const Prediction& p);
/// The forbidden classes of prediction_forbids, comma-separated.
std::string forbids_text(const Prediction& p);
/// A list's verdict (inconsistent if any item is, else consistent if any item is, else
/// inconclusive), the older object's when it forbids any class, or "".
std::string prediction_verdict(const Prediction& p);
/// The classes claim `c` forbids (none unless its kind is forbids).
std::vector<std::string> claim_forbids(const Claim& c);
/// An item's verdict as text, "" when it is not observed (a claim list).
std::string item_verdict(const Prediction& p, const Observation& o);
/// An item's line (analysis/theory's format_observation), "" when it is not observed.
std::string item_text(const Prediction& p, const Observation& o);
/// The report's class columns plus any further class seen at the ×0.1 or ×10 tolerances.
std::vector<std::string> tolerance_classes(const Report& r, const Cell& c);
/// The one style of each class in every figure: its colour (Okabe–Ito) and, for greyscale
/// prints, a hatch for bars and a marker and dash for lines; data-key is the class name.
svg::Style class_style(const std::string& c);
/// The text of swept variable `name` in cell `c`, or "" when the cell did not sweep it.
std::string swept_text(const Cell& c, const std::string& name);
/// m[k], or 0 when absent.
long get(const std::map<std::string, long>& m, const std::string& k);

}  // namespace landscape::report
