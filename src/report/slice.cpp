// The loss around a point as figures and files (`landscape slice`, and the report's witness
// slices). The heat map is drawn here; the line plot reuses svg::Plot.
#include "landscape/report/slice.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/report/svg.hpp"

namespace landscape {
namespace {

using json = nlohmann::json;

std::string num(double v, const char* f = "%.6g") {
  char buf[48];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

/// Viridis (matplotlib's perceptually uniform, colour-blind-safe map) at t ∈ [0, 1], linear
/// between nine of its samples.
std::string viridis(double t) {
  static const double c[9][3] = {{68, 1, 84},    {71, 44, 122},  {59, 81, 139},
                                 {44, 113, 142}, {33, 144, 141}, {39, 173, 129},
                                 {92, 200, 99},  {170, 220, 50}, {253, 231, 37}};
  if (!std::isfinite(t)) return "#bbbbbb";
  t = std::clamp(t, 0.0, 1.0) * 8.0;
  const int i = std::min(7, int(t));
  const double f = t - i;
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x",
                int(std::lround(c[i][0] + f * (c[i + 1][0] - c[i][0]))),
                int(std::lround(c[i][1] + f * (c[i + 1][1] - c[i][1]))),
                int(std::lround(c[i][2] + f * (c[i + 1][2] - c[i][2]))));
  return buf;
}

std::string csv_number(double x) {
  if (!std::isfinite(x)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

}  // namespace

std::string line_slice_svg(const LineSlice& s, const std::string& title, double reference_loss,
                           const std::string& reference_name) {
  svg::Axis x{"t (step along the direction: w + t*d)"};
  svg::Axis y{"loss L = 0.5*||F(W) - Y||^2"};
  svg::Plot plot(title, x, y);
  plot.add_line(s.t, s.loss, s.direction, svg::kBlue);
  if (std::isfinite(reference_loss))
    plot.add_line({s.t.front(), s.t.back()}, {reference_loss, reference_loss}, reference_name,
                  svg::kVermillion, true);
  return plot.render();
}

std::string plane_slice_svg(const PlaneSlice& s, const std::string& title) {
  const double W = 560, H = 440, left = 70, top = 40, side = 330, bar_x = left + side + 30;
  const std::size_t na = s.a.size(), nb = s.b.size();
  double lo = INFINITY, hi = -INFINITY;
  for (double v : s.loss)
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  const double eps =
      std::isfinite(lo) ? std::max(1e-12 * std::max(1.0, std::abs(hi)), 1e-3 * (hi - lo)) : 1;
  const auto level = [&](double v) { return std::log10(v - lo + eps); };
  const double llo = std::isfinite(lo) ? level(lo) : 0, lhi = std::isfinite(lo) ? level(hi) : 1;
  const auto colour = [&](double v) {
    return viridis(lhi > llo ? (level(v) - llo) / (lhi - llo) : 0.0);
  };
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"" << W << "\" height=\""
     << H << "\" viewBox=\"0 0 " << W << " " << H
     << "\" font-family=\"DejaVu Sans, Arial, sans-serif\">"
     << "<title>" << svg::xml_escape(title) << "</title>"
     << "<text x=\"" << W / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">"
     << svg::xml_escape(title) << "</text>";
  const double cw = side / double(na), ch = side / double(nb);
  for (std::size_t j = 0; j < nb; ++j)
    for (std::size_t i = 0; i < na; ++i) {
      const double v = s.loss[j * na + i];
      // b grows upwards.
      os << "<rect x=\"" << num(left + double(i) * cw, "%.2f") << "\" y=\""
         << num(top + double(nb - 1 - j) * ch, "%.2f") << "\" width=\"" << num(cw + 0.3, "%.2f")
         << "\" height=\"" << num(ch + 0.3, "%.2f") << "\" fill=\"" << colour(v) << "\"><title>a "
         << num(s.a[i]) << ", b " << num(s.b[j]) << ": L " << num(v) << "</title></rect>";
    }
  // Axes: ends and centre of each range.
  os << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << side << "\" height=\"" << side
     << "\" fill=\"none\" stroke=\"#000\"/>";
  for (int k = 0; k < 3; ++k) {
    const double fx = left + side * k / 2.0, fy = top + side - side * k / 2.0;
    const double av = s.a.front() + (s.a.back() - s.a.front()) * k / 2.0;
    const double bv = s.b.front() + (s.b.back() - s.b.front()) * k / 2.0;
    os << "<line x1=\"" << fx << "\" y1=\"" << top + side << "\" x2=\"" << fx << "\" y2=\""
       << top + side + 5 << "\" stroke=\"#000\"/><text x=\"" << fx << "\" y=\"" << top + side + 18
       << "\" text-anchor=\"middle\" font-size=\"12\">" << num(av, "%.3g") << "</text>";
    os << "<line x1=\"" << left - 5 << "\" y1=\"" << fy << "\" x2=\"" << left << "\" y2=\"" << fy
       << "\" stroke=\"#000\"/><text x=\"" << left - 8 << "\" y=\"" << fy + 4
       << "\" text-anchor=\"end\" font-size=\"12\">" << num(bv, "%.3g") << "</text>";
  }
  os << "<text x=\"" << left + side / 2 << "\" y=\"" << top + side + 36
     << "\" text-anchor=\"middle\" font-size=\"13\">a (along " << svg::xml_escape(s.direction1)
     << ")</text>";
  os << "<text transform=\"translate(" << left - 48 << "," << top + side / 2
     << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">b (along "
     << svg::xml_escape(s.direction2) << ")</text>";
  // The point itself.
  os << "<path d=\"M" << left + side / 2 - 6 << "," << top + side / 2 << "h12M" << left + side / 2
     << "," << top + side / 2 - 6 << "v12\" stroke=\"#D55E00\" stroke-width=\"2\"/>";
  // Colour bar.
  for (int k = 0; k < 50; ++k)
    os << "<rect x=\"" << bar_x << "\" y=\"" << num(top + side - (k + 1) * side / 50.0, "%.2f")
       << "\" width=\"16\" height=\"" << num(side / 50.0 + 0.3, "%.2f") << "\" fill=\""
       << viridis((k + 0.5) / 50.0) << "\"/>";
  os << "<text x=\"" << bar_x + 20 << "\" y=\"" << top + side << "\" font-size=\"11\">"
     << num(lo, "%.4g") << "</text><text x=\"" << bar_x + 20 << "\" y=\"" << top + 10
     << "\" font-size=\"11\">" << num(hi, "%.4g") << "</text>"
     << "<text transform=\"translate(" << bar_x + 60 << "," << top + side / 2
     << ") rotate(90)\" text-anchor=\"middle\" font-size=\"12\">loss (log of L - min)</text>";
  os << "</svg>";
  return os.str();
}

void write_slice_outputs(const std::string& dir, const std::string& name, const PointReport& r,
                         const LineSlice& line, const PlaneSlice* plane) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  require(!ec && std::filesystem::is_directory(dir), dir,
          "cannot create the output folder" + (ec ? ": " + ec.message() : std::string()));
  const std::filesystem::path out(dir);
  const EndpointRecord& e = r.endpoint;
  {
    std::ostringstream os;
    os << "t,loss\n";
    for (std::size_t k = 0; k < line.t.size(); ++k)
      os << csv_number(line.t[k]) << "," << csv_number(line.loss[k]) << "\n";
    write_file_atomic((out / "line.csv").string(), os.str());
  }
  if (plane) {
    std::ostringstream os;
    os << "a,b,loss\n";
    for (std::size_t j = 0; j < plane->b.size(); ++j)
      for (std::size_t i = 0; i < plane->a.size(); ++i)
        os << csv_number(plane->a[i]) << "," << csv_number(plane->b[j]) << ","
           << csv_number(plane->loss[j * plane->a.size() + i]) << "\n";
    write_file_atomic((out / "plane.csv").string(), os.str());
  }
  if (r.blocks) {
    std::ostringstream os;
    os << "layer_i,layer_j,frobenius,lambda_min,lambda_max\n";
    const HessianBlocks& b = *r.blocks;
    for (int i = 0; i < b.layers; ++i)
      for (int j = 0; j < b.layers; ++j)
        os << i + 1 << "," << j + 1 << "," << csv_number(b.frobenius[std::size_t(i * b.layers + j)])
           << "," << (i == j ? csv_number(b.lambda_min[std::size_t(i)]) : "") << ","
           << (i == j ? csv_number(b.lambda_max[std::size_t(i)]) : "") << "\n";
    write_file_atomic((out / "blocks.csv").string(), os.str());
  }
  const std::string title = name + ": " + to_string(e.cls);
  const std::string line_svg =
      line_slice_svg(line, "loss along " + line.direction + " (" + title + ")", r.optimum.value,
                     "L* (" + r.optimum.kind + ")");
  write_file_atomic((out / "line.svg").string(), line_svg + "\n");
  std::string plane_svg;
  if (plane) {
    plane_svg = plane_slice_svg(*plane, "loss on the plane (" + title + ")");
    write_file_atomic((out / "plane.svg").string(), plane_svg + "\n");
  }
  json j;
  j["point"] = name;
  j["class"] = to_string(e.cls);
  j["loss"] = number_to_json(e.loss);
  j["global_loss"] = number_to_json(r.optimum.value);
  j["global_loss_kind"] = r.optimum.kind;
  j["lambda_min"] = number_to_json(e.nominal_spectrum().lambda_min);
  j["spectrum"] = r.spectrum;
  j["line"] = {{"direction", line.direction},
               {"description", line.description},
               {"direction_norm", line.dir_norm},
               {"t", line.t},
               {"loss", json::array()}};
  for (double x : line.loss) j["line"]["loss"].push_back(number_to_json(x));
  if (line.has_eigenvalue) j["line"]["eigenvalue"] = line.eigenvalue;
  j["line"]["vector"] = line.vector;  // the direction itself, parameter order
  if (plane) {
    j["plane"] = {{"direction1", plane->direction1},
                  {"direction2", plane->direction2},
                  {"description", plane->description},
                  {"a", plane->a},
                  {"b", plane->b},
                  {"loss", json::array()}};
    for (double x : plane->loss) j["plane"]["loss"].push_back(number_to_json(x));
  }
  if (r.blocks) {
    json fro = json::array();
    for (int i = 0; i < r.blocks->layers; ++i) {
      json row = json::array();
      for (int k = 0; k < r.blocks->layers; ++k)
        row.push_back(r.blocks->frobenius[std::size_t(i * r.blocks->layers + k)]);
      fro.push_back(row);
    }
    j["blocks"] = {{"frobenius", fro},
                   {"lambda_min", r.blocks->lambda_min},
                   {"lambda_max", r.blocks->lambda_max}};
  }
  write_file_atomic((out / "slice.json").string(), j.dump(1) + "\n");
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
       << svg::xml_escape("slice of " + name)
       << "</title><style>body{font-family:DejaVu Sans,Arial,"
          "sans-serif;max-width:60em;margin:1em auto;padding:0 1em}figure{margin:1em "
          "0}</style></head><body>"
       << "<h1>" << svg::xml_escape("The loss around " + name) << "</h1><p>class <b>"
       << to_string(e.cls) << "</b>, loss " << num(e.loss, "%.10g") << ", L* "
       << num(r.optimum.value, "%.10g") << " (" << r.optimum.kind << "), lambda_min "
       << num(e.nominal_spectrum().lambda_min) << " (" << r.spectrum
       << " spectrum). Loss L = 0.5*||F(W) - Y||^2.</p>"
       << "<figure>" << line_svg << "<figcaption>" << svg::xml_escape(line.description) << " (norm "
       << num(line.dir_norm) << "); data in line.csv.</figcaption></figure>";
  if (plane)
    html << "<figure>" << plane_svg << "<figcaption>" << svg::xml_escape(plane->description)
         << "; data in plane.csv.</figcaption></figure>";
  html << "</body></html>\n";
  write_file_atomic((out / "slice.html").string(), html.str());
}

}  // namespace landscape
