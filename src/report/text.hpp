// The report's text outputs: summary.md and table.tex.
#pragma once

#include <string>

#include "model.hpp"

namespace landscape::report {

/// summary.md: the run, class fractions across cells and a section per cell, in Markdown.
std::string summary_md(const Report& r);
/// table.tex: class fractions with 95% intervals as a booktabs LaTeX table.
std::string table_tex(const Report& r);

}  // namespace landscape::report
