// The report's HTML page (report.html): self-contained, with inline CSS and SVG figures.
#pragma once

#include <string>

#include "model.hpp"

namespace landscape::report {

/// report.html: the run, class fractions across cells and a section with figures per cell.
std::string report_html(const Report& r);

}  // namespace landscape::report
