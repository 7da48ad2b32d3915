// Figures and files of the loss around a point: the 1-D slice as a line plot, the 2-D slice as
// a heat map (inline SVG), and the outputs of `landscape slice` (CSV, SVG, HTML, JSON).
#pragma once

#include <string>

#include "landscape/analysis/geometry.hpp"
#include "landscape/core/records.hpp"

namespace landscape {

/// Line plot of a 1-D slice: loss against t, with a dashed line at `reference_loss` (e.g. L*)
/// when it is finite.
std::string line_slice_svg(const LineSlice& s, const std::string& title, double reference_loss,
                           const std::string& reference_name);

/// Heat map of a 2-D slice: colour is log10(L − L_min + ε) with a colour bar, the point itself
/// marked at the centre.
std::string plane_slice_svg(const PlaneSlice& s, const std::string& title);

/// Writes `dir`/line.csv (t, loss), plane.csv (a, b, loss; when `plane`), blocks.csv (when the
/// report has blocks), line.svg, plane.svg, slice.json (the classification summary, the
/// directions and every number) and, last, slice.html (both figures, self-contained), each
/// atomically. `name` labels the point (its file name).
void write_slice_outputs(const std::string& dir, const std::string& name, const PointReport& r,
                         const LineSlice& line, const PlaneSlice* plane);

}  // namespace landscape
