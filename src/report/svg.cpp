// Inline-SVG plots for the HTML report. Hand-written rather than a plotting library because the
// report must be self-contained C++ output with no runtime dependency (no JS, no network).
#include "landscape/report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace landscape::svg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kFont = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";
constexpr double kTickFont = 12, kLabelFont = 13, kTitleFont = 14, kLegendFont = 12;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

/// Replaces a leading ASCII '-' by a typographic minus sign (U+2212).
std::string typographic_minus(std::string s) {
  if (!s.empty() && s[0] == '-') s = "\xE2\x88\x92" + s.substr(1);
  return s;
}

/// Approximate rendered width of `chars` characters; sans-serif digits are about 0.6 em.
double text_width(std::size_t chars, double font) { return double(chars) * 0.6 * font; }

/// Number of displayed characters of a UTF-8 string (continuation bytes do not count).
std::size_t display_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

double to_axis(const Axis& a, double v) {
  if (!std::isfinite(v)) return kNaN;
  switch (a.scale) {
    case Scale::linear:
      return v;
    case Scale::log10:
      return v > 0 ? std::log10(v) : kNaN;
    case Scale::symlog:
      return symlog(v, a.linthresh);
  }
  return kNaN;
}

struct Tick {
  double t = 0;        // axis coordinate (after the scale transform)
  std::string text;    // mantissa text, or the sign for powers of ten
  bool power = false;  // rendered as text + "10" with a superscript exponent
  int exponent = 0;
  std::size_t chars() const {
    return power ? display_length(text) + 2 + std::to_string(exponent).size()
                 : display_length(text);
  }
};

/// 1, 2 or 5 times a power of ten, at least `raw`.
double nice_step(double raw) {
  if (!(raw > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

std::string linear_label(double v, double step) {
  if (std::abs(v) < step * 1e-9) v = 0;
  char buf[48];
  const double mag = std::max(std::abs(v), step);
  if (mag >= 1e5 || step < 1e-4) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    const int decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  }
  return typographic_minus(buf);
}

std::vector<Tick> linear_ticks(double lo, double hi, int target, bool integer) {
  std::vector<Tick> ticks;
  double step = nice_step((hi - lo) / std::max(1, target));
  if (integer) step = std::max(1.0, std::round(step));
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (double v = first; v <= hi + step * 1e-9 && ticks.size() < 100; v += step) {
    Tick t;
    t.t = v;
    t.text = linear_label(v, step);
    ticks.push_back(t);
  }
  return ticks;
}

std::vector<Tick> log_ticks(double lo, double hi, int target) {
  std::vector<Tick> ticks;
  const int a = int(std::ceil(lo - 1e-9)), b = int(std::floor(hi + 1e-9));
  const int stride = std::max(1, int(std::ceil(double(b - a + 1) / std::max(1, target))));
  for (int k = a; k <= b; ++k) {
    if (stride > 1 && ((k % stride) + stride) % stride != 0) continue;  // multiples of stride
    Tick t;
    t.t = k;
    if (k >= 0 && k <= 3) {
      t.text = std::to_string(int(std::lround(std::pow(10.0, k))));
    } else {
      t.power = true;
      t.exponent = k;
    }
    ticks.push_back(t);
  }
  return ticks;
}

std::vector<Tick> symlog_ticks(double lo, double hi, double c, int target) {
  std::vector<Tick> ticks;
  // Decades at or above the linear threshold are the natural tick positions on either side.
  const int k0 = int(std::ceil(std::log10(c) - 1e-9));
  const double vmax = std::max(std::abs(symlog_inverse(lo, c)), std::abs(symlog_inverse(hi, c)));
  const int k1 = vmax > 0 ? int(std::floor(std::log10(vmax) + 1e-9)) : k0;
  const int per_side = std::max(1, target / ((lo < 0 && hi > 0) ? 2 : 1));
  const int stride = std::max(1, int(std::ceil(double(k1 - k0 + 1) / per_side)));
  auto add = [&](double sign, int k) {
    const double t = symlog(sign * std::pow(10.0, k), c);
    if (t < lo - 1e-9 || t > hi + 1e-9) return;
    Tick tk;
    tk.t = t;
    const std::string minus = sign < 0 ? "\xE2\x88\x92" : "";
    if (k >= 0 && k <= 3) {  // 1, 10, 100, 1000 read better than powers
      tk.text = minus + std::to_string(int(std::lround(std::pow(10.0, k))));
    } else {
      tk.power = true;
      tk.exponent = k;
      tk.text = minus;
    }
    ticks.push_back(tk);
  };
  // Exponents that are multiples of the stride, so that 10^0 = 1 is labelled when in range.
  std::vector<int> exps;
  for (int k = k0; k <= k1; ++k)
    if (((k % stride) + stride) % stride == 0) exps.push_back(k);
  if (exps.empty()) exps.push_back(k1);
  for (int k : exps) add(-1, k);
  if (lo <= 0 && hi >= 0) {
    Tick z;
    z.t = 0;
    z.text = "0";
    ticks.push_back(z);
  }
  for (int k : exps) add(+1, k);
  std::sort(ticks.begin(), ticks.end(), [](const Tick& a, const Tick& b) { return a.t < b.t; });
  return ticks;
}

/// SVG text for a tick label (a power of ten gets a superscript exponent).
std::string tick_text(const Tick& t) {
  if (!t.power) return xml_escape(t.text);
  return xml_escape(t.text) + "10<tspan dy=\"-0.5em\" font-size=\"11\">" +
         typographic_minus(std::to_string(t.exponent)) + "</tspan>";
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double t) {
    if (!std::isfinite(t)) return;
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  bool valid() const { return lo <= hi; }
};

/// Final axis range and ticks from the data range, in axis coordinates.
std::vector<Tick> finish_axis(const Axis& a, Range& r, int target, bool pad_to_ticks) {
  if (a.fixed_range) {
    r.lo = to_axis(a, a.lo);
    r.hi = to_axis(a, a.hi);
  }
  if (!r.valid()) {
    r.lo = 0;  // nothing to plot: an arbitrary unit range
    r.hi = 1;
  }
  if (a.include_zero && a.scale != Scale::log10) {
    r.lo = std::min(r.lo, 0.0);
    r.hi = std::max(r.hi, 0.0);
  }
  if (r.hi - r.lo <= 0) {
    const double w = a.scale == Scale::linear ? std::max(std::abs(r.lo) * 0.1, 0.5) : 0.5;
    r.lo -= w;
    r.hi += w;
  }
  if (a.scale == Scale::log10) {
    if (!a.fixed_range) {
      r.lo = std::floor(r.lo + 1e-9);
      r.hi = std::ceil(r.hi - 1e-9);
      if (r.hi <= r.lo) r.hi = r.lo + 1;
    }
    return log_ticks(r.lo, r.hi, target);
  }
  if (a.scale == Scale::symlog) {
    if (!a.fixed_range) {
      const double pad = 0.03 * (r.hi - r.lo);
      r.lo -= pad;
      r.hi += pad;
    }
    std::vector<Tick> ticks = symlog_ticks(r.lo, r.hi, a.linthresh, target);
    if (ticks.size() >= 3) return ticks;
    // A range within about a decade: decades and 0 alone label it too sparsely (or not at
    // all), so the ticks are round numbers of the data, placed on the symlog axis.
    std::vector<Tick> lin = linear_ticks(symlog_inverse(r.lo, a.linthresh),
                                         symlog_inverse(r.hi, a.linthresh), target, false);
    for (Tick& t : lin) t.t = symlog(t.t, a.linthresh);
    return lin.size() > ticks.size() ? lin : ticks;
  }
  if (!a.fixed_range && pad_to_ticks) {
    double step = nice_step((r.hi - r.lo) / std::max(1, target));
    if (a.integer_ticks) step = std::max(1.0, std::round(step));
    r.lo = std::floor(r.lo / step + 1e-9) * step;
    r.hi = std::ceil(r.hi / step - 1e-9) * step;
  }
  return linear_ticks(r.lo, r.hi, target, a.integer_ticks);
}

/// Splits a long title into at most two lines at a space near the middle.
std::vector<std::string> wrap_title(const std::string& title, double width) {
  if (text_width(display_length(title), kTitleFont) <= width) return {title};
  const std::size_t mid = title.size() / 2;
  std::size_t best = std::string::npos;
  for (std::size_t i = 0; i < title.size(); ++i)
    if (title[i] == ' ' && (best == std::string::npos ||
                            (i > mid ? i - mid : mid - i) < (best > mid ? best - mid : mid - best)))
      best = i;
  if (best == std::string::npos) return {title};
  return {title.substr(0, best), title.substr(best + 1)};
}

std::string truncate_label(const std::string& s, std::size_t max_chars) {
  if (display_length(s) <= max_chars) return s;
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && ++n > max_chars - 1) break;
    out += s[i];
  }
  return out + "\xE2\x80\xA6";
}

/// Splits a category's text at line breaks.
std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = s.find('\n', start);
    lines.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

/// ` data-key="…"` for a series with a key, else nothing.
std::string key_attr(const Style& st) {
  return st.key.empty() ? std::string() : " data-key=\"" + xml_escape(st.key) + "\"";
}

/// Hatch strokes inside the rectangle (x, y, w, h), as path data: parallel lines `spacing`
/// pixels apart, each clipped to the rectangle, so no pattern definitions (and no document-wide
/// ids) are needed.
std::string hatch_path(Hatch hatch, double x, double y, double w, double h) {
  if (hatch == Hatch::none || w < 1 || h < 1) return "";
  constexpr double spacing = 5;
  std::ostringstream d;
  // Lines n·p = c for unit normal n, every `spacing` across the rectangle; clipped to it.
  const auto family = [&](double nx, double ny) {
    const double cs[4] = {nx * x + ny * y, nx * (x + w) + ny * y, nx * x + ny * (y + h),
                          nx * (x + w) + ny * (y + h)};
    const double cmin = *std::min_element(cs, cs + 4), cmax = *std::max_element(cs, cs + 4);
    for (double c = std::ceil(cmin / spacing) * spacing; c < cmax; c += spacing) {
      // Points of the line on the rectangle's boundary.
      std::vector<std::pair<double, double>> pts;
      if (std::abs(ny) > 1e-12)
        for (double px : {x, x + w}) {
          const double py = (c - nx * px) / ny;
          if (py >= y - 1e-9 && py <= y + h + 1e-9) pts.emplace_back(px, py);
        }
      if (std::abs(nx) > 1e-12)
        for (double py : {y, y + h}) {
          const double px = (c - ny * py) / nx;
          if (px >= x - 1e-9 && px <= x + w + 1e-9) pts.emplace_back(px, py);
        }
      if (pts.size() < 2) continue;
      const auto [a, b] = std::minmax_element(pts.begin(), pts.end());
      if (std::hypot(b->first - a->first, b->second - a->second) < 0.5) continue;
      d << "M" << num(a->first) << "," << num(a->second) << "L" << num(b->first) << ","
        << num(b->second);
    }
  };
  const double r = std::sqrt(0.5);
  switch (hatch) {
    case Hatch::diagonal:
      family(r, r);
      break;
    case Hatch::back_diagonal:
      family(-r, r);
      break;
    case Hatch::cross:
      family(r, r);
      family(-r, r);
      break;
    case Hatch::horizontal:
      family(0, 1);
      break;
    case Hatch::vertical:
      family(1, 0);
      break;
    case Hatch::dots:
      for (double py = y + spacing / 2; py < y + h; py += spacing)
        for (double px = x + spacing / 2; px < x + w; px += spacing)
          d << "M" << num(px - 0.6) << "," << num(py) << "h1.2";
      break;
    case Hatch::none:
      break;
  }
  return d.str();
}

/// The hatch of a filled rectangle, as a path element (nothing for Hatch::none).
std::string hatch_element(const Style& st, double x, double y, double w, double h) {
  const std::string d = hatch_path(st.hatch, x, y, w, h);
  if (d.empty()) return "";
  return "<path d=\"" + d + "\" stroke=\"#000000\" stroke-opacity=\"0.7\" stroke-width=\"" +
         std::string(st.hatch == Hatch::dots ? "1.6" : "0.8") + "\" fill=\"none\"" + key_attr(st) +
         "/>\n";
}

/// A marker centred at (x, y).
std::string marker_element(const Style& st, double x, double y) {
  constexpr double r = 4;
  const std::string fill = " fill=\"" + st.colour + "\" stroke=\"#000000\" stroke-width=\"0.8\"";
  std::ostringstream os;
  switch (st.marker) {
    case Marker::none:
      return "";
    case Marker::circle:
      os << "<circle cx=\"" << num(x) << "\" cy=\"" << num(y) << "\" r=\"" << num(r) << "\""
         << fill;
      break;
    case Marker::square:
      os << "<rect x=\"" << num(x - r * 0.85) << "\" y=\"" << num(y - r * 0.85) << "\" width=\""
         << num(r * 1.7) << "\" height=\"" << num(r * 1.7) << "\"" << fill;
      break;
    case Marker::triangle:
      os << "<path d=\"M" << num(x) << "," << num(y - r) << "L" << num(x + r) << ","
         << num(y + r * 0.8) << "L" << num(x - r) << "," << num(y + r * 0.8) << "Z\"" << fill;
      break;
    case Marker::down_triangle:
      os << "<path d=\"M" << num(x) << "," << num(y + r) << "L" << num(x + r) << ","
         << num(y - r * 0.8) << "L" << num(x - r) << "," << num(y - r * 0.8) << "Z\"" << fill;
      break;
    case Marker::diamond:
      os << "<path d=\"M" << num(x) << "," << num(y - r * 1.2) << "L" << num(x + r) << "," << num(y)
         << "L" << num(x) << "," << num(y + r * 1.2) << "L" << num(x - r) << "," << num(y) << "Z\""
         << fill;
      break;
    case Marker::cross:
    case Marker::plus: {
      const bool diag = st.marker == Marker::cross;
      const double a = diag ? r * 0.8 : 0, b = diag ? r * 0.8 : r;
      os << "<path d=\"M" << num(x - b) << "," << num(y - a) << "L" << num(x + b) << ","
         << num(y + a) << "M" << num(x - a) << "," << num(y + b) << "L" << num(x + a) << ","
         << num(y - b) << "\" stroke=\"" << st.colour << "\" stroke-width=\"2.2\" fill=\"none\"";
      break;
    }
  }
  os << key_attr(st) << "/>\n";
  return os.str();
}

}  // namespace

double symlog(double x, double linthresh) {
  return std::copysign(std::log10(1.0 + std::abs(x) / linthresh), x);
}

double symlog_inverse(double t, double linthresh) {
  return std::copysign(linthresh * (std::pow(10.0, std::abs(t)) - 1.0), t);
}

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Plot::Plot(std::string title, Axis x, Axis y)
    : m_title(std::move(title)), m_x(std::move(x)), m_y(std::move(y)) {}

void Plot::set_size(double width, double height) {
  m_width = width;
  m_height = height;
}

void Plot::add_histogram(std::vector<double> edges, std::vector<double> heights, std::string name,
                         std::string colour) {
  m_hists.push_back({std::move(edges), std::move(heights), std::move(name), std::move(colour)});
}

void Plot::add_line(std::vector<double> x, std::vector<double> y, std::string name,
                    std::string colour, bool dashed) {
  m_lines.push_back({std::move(x), std::move(y), std::move(name), std::move(colour), dashed});
}

void Plot::add_band(std::vector<double> x, std::vector<double> lo, std::vector<double> hi,
                    std::string name, std::string colour) {
  m_bands.push_back(
      {std::move(x), std::move(lo), std::move(hi), std::move(name), std::move(colour)});
}

void Plot::set_categories(std::vector<std::string> categories) {
  m_categories = std::move(categories);
}

void Plot::add_bars(std::string name, std::string colour, std::vector<double> values,
                    std::vector<double> err_lo, std::vector<double> err_hi) {
  Style st;
  st.colour = std::move(colour);
  add_bars(std::move(name), std::move(st), std::move(values), std::move(err_lo), std::move(err_hi));
}

void Plot::set_empty_message(std::string message) { m_empty_message = std::move(message); }

void Plot::add_series(std::vector<double> x, std::vector<double> y, std::vector<double> lo,
                      std::vector<double> hi, std::string name, Style style, double dx) {
  m_series.push_back({std::move(x), std::move(y), std::move(lo), std::move(hi), std::move(name),
                      std::move(style), dx});
}

void Plot::add_bars(std::string name, Style style, std::vector<double> values,
                    std::vector<double> err_lo, std::vector<double> err_hi) {
  m_bars.push_back({std::move(name),
                    {std::move(style)},
                    std::move(values),
                    std::move(err_lo),
                    std::move(err_hi)});
}

void Plot::add_bars(std::string name, std::vector<Style> styles, std::vector<double> values,
                    std::vector<double> err_lo, std::vector<double> err_hi) {
  if (styles.empty()) styles.emplace_back();
  m_bars.push_back({std::move(name), std::move(styles), std::move(values), std::move(err_lo),
                    std::move(err_hi)});
}

void Plot::add_note(std::string text) { m_notes.push_back(std::move(text)); }

/// Everything one render needs besides the data: ranges and ticks in axis coordinates, the
/// legend's placement, the category labels and the plot area in pixels.
struct Plot::Layout {
  struct LegendEntry {
    std::string name, kind;  // kind: box, band, line or series
    Style style;
  };
  struct PlacedEntry {
    LegendEntry e;
    double x, y;
  };

  bool categorical = false;
  bool any = false;  // anything to draw (else the empty message)
  Range xr, yr;
  Axis yaxis;
  std::vector<Tick> xticks, yticks;
  std::vector<std::string> title_lines;
  std::vector<PlacedEntry> legend;
  std::vector<std::vector<std::string>> cat_labels;  // lines of each category label
  bool rotate = false;                               // category labels rotated
  double px0 = 0, px1 = 0, py0 = 0, py1 = 0;
  double base_t = 0;  // bars and histograms start here (axis coordinate)

  double map_x(double t) const {
    const double v = px0 + (t - xr.lo) / (xr.hi - xr.lo) * (px1 - px0);
    return std::clamp(v, px0, px1);
  }
  double map_y(double t) const {
    const double v = py1 - (t - yr.lo) / (yr.hi - yr.lo) * (py1 - py0);
    return std::clamp(v, py0, py1);
  }
  /// Width of one category on the x axis.
  double band(std::size_t categories) const { return (px1 - px0) / double(categories); }
};

void Plot::data_ranges(Layout& L) const {
  Range& xr = L.xr;
  Range& yr = L.yr;
  bool& any = L.any;
  for (const auto& h : m_hists) {
    for (std::size_t i = 0; i + 1 < h.edges.size() && i < h.heights.size(); ++i) {
      xr.add(to_axis(m_x, h.edges[i]));
      xr.add(to_axis(m_x, h.edges[i + 1]));
      yr.add(to_axis(m_y, h.heights[i]));
      any = true;
    }
  }
  for (const auto& l : m_lines)
    for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i) {
      const double tx = to_axis(m_x, l.x[i]), ty = to_axis(m_y, l.y[i]);
      if (std::isfinite(tx) && std::isfinite(ty)) {
        xr.add(tx);
        yr.add(ty);
        any = true;
      }
    }
  for (const auto& sr : m_series)
    for (std::size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i) {
      const double tx = to_axis(m_x, sr.x[i]), ty = to_axis(m_y, sr.y[i]);
      if (!std::isfinite(tx) || !std::isfinite(ty)) continue;
      xr.add(tx);
      yr.add(ty);
      any = true;
      if (i < sr.lo.size()) yr.add(to_axis(m_y, sr.lo[i]));
      if (i < sr.hi.size()) yr.add(to_axis(m_y, sr.hi[i]));
    }
  for (const auto& b : m_bands)
    for (std::size_t i = 0; i < b.x.size() && i < b.lo.size() && i < b.hi.size(); ++i) {
      xr.add(to_axis(m_x, b.x[i]));
      yr.add(to_axis(m_y, b.lo[i]));
      yr.add(to_axis(m_y, b.hi[i]));
    }
  for (const auto& b : m_bars) {
    for (double v : b.values) {
      yr.add(to_axis(m_y, v));
      any = true;
    }
    for (double v : b.err_lo) yr.add(to_axis(m_y, v));
    for (double v : b.err_hi) yr.add(to_axis(m_y, v));
  }
}

double Plot::place_legend(Layout& L, double left, double right, double top) const {
  std::vector<Layout::LegendEntry> entries;
  const auto plain = [](const std::string& colour, bool dashed) {
    Style st;
    st.colour = colour;
    if (dashed) st.dash = "6 4";
    return st;
  };
  for (const auto& h : m_hists)
    if (!h.name.empty()) entries.push_back({h.name, "box", plain(h.colour, false)});
  for (const auto& b : m_bands)
    if (!b.name.empty()) entries.push_back({b.name, "band", plain(b.colour, false)});
  for (const auto& l : m_lines)
    if (!l.name.empty()) entries.push_back({l.name, "line", plain(l.colour, l.dashed)});
  for (const auto& sr : m_series)
    if (!sr.name.empty()) entries.push_back({sr.name, "series", sr.style});
  for (const auto& b : m_bars)
    if (!b.name.empty() && (m_bars.size() > 1 || !b.styles[0].key.empty()) && b.styles.size() == 1)
      entries.push_back({b.name, "box", b.styles[0]});
  if (entries.empty()) return top + 8;
  // Rows wrapped to the plot width.
  double lx = left, ly = top + 6;
  for (const auto& e : entries) {
    const double w = 22 + text_width(display_length(e.name), kLegendFont) + 16;
    if (lx + w > m_width - right && lx > left) {
      lx = left;
      ly += kLegendFont + 8;
    }
    L.legend.push_back({e, lx, ly});
    lx += w;
  }
  return ly + kLegendFont + 10;
}

double Plot::place_category_labels(Layout& L, double left, double right) const {
  if (!L.categorical) return 0;
  std::size_t longest = 0, lines = 1;
  for (const auto& c : m_categories) {
    std::vector<std::string> ls;
    for (const auto& line : split_lines(c)) ls.push_back(truncate_label(line, 40));
    for (const auto& line : ls) longest = std::max(longest, display_length(line));
    lines = std::max(lines, ls.size());
    L.cat_labels.push_back(std::move(ls));
  }
  // Horizontal lines stacked under each category when they fit; else each label rotated, its
  // lines joined on one line (never cut short of the values they hold).
  const double band_guess = (m_width - left - right) / double(m_categories.size());
  if (text_width(longest, kTickFont) <= band_guess - 4) return double(lines - 1) * (kTickFont + 2);
  L.rotate = true;
  std::size_t joined = 0;
  for (auto& ls : L.cat_labels) {
    std::string one;
    for (const auto& line : ls) one += (one.empty() ? "" : ", ") + line;
    ls.assign(1, one);
    joined = std::max(joined, display_length(one));
  }
  return text_width(joined, kTickFont) * 0.6;
}

Plot::Layout Plot::layout() const {
  Layout L;
  L.categorical = !m_categories.empty();
  data_ranges(L);
  L.yaxis = m_y;
  if ((!m_hists.empty() || !m_bars.empty()) && L.yaxis.scale == Scale::linear)
    L.yaxis.include_zero = true;  // bars start at zero
  L.yticks = finish_axis(L.yaxis, L.yr, 5, true);
  if (!L.categorical) {
    Axis xaxis = m_x;
    if (!m_series.empty() && !xaxis.fixed_range && L.xr.valid()) {
      // Points sit inside the frame, not on it: 5% of the range on either side (or ±0.5 for a
      // single x), and no rounding of a log axis out to whole decades.
      const double pad = L.xr.hi > L.xr.lo ? 0.05 * (L.xr.hi - L.xr.lo) : 0.5;
      const auto from_axis = [&](double t) {
        return xaxis.scale == Scale::log10    ? std::pow(10.0, t)
               : xaxis.scale == Scale::symlog ? symlog_inverse(t, xaxis.linthresh)
                                              : t;
      };
      xaxis.fixed_range = true;
      xaxis.lo = from_axis(L.xr.lo - pad);
      xaxis.hi = from_axis(L.xr.hi + pad);
    }
    L.xticks = finish_axis(xaxis, L.xr, 6, false);
  }

  // Title, legend, then the plot area with room for tick labels and axis labels.
  L.title_lines = wrap_title(m_title, m_width - 20);
  std::size_t ylab_chars = 1;
  for (const auto& t : L.yticks) ylab_chars = std::max(ylab_chars, t.chars());
  const double left = 10 + kLabelFont + 10 + text_width(ylab_chars, kTickFont) + 8;
  const double right = 18;
  const double top =
      place_legend(L, left, right, 12 + double(L.title_lines.size()) * (kTitleFont + 4));
  const double cat_extra = place_category_labels(L, left, right);
  const double bottom = 8 + kTickFont + 10 + kLabelFont + 10 + cat_extra;
  L.px0 = left;
  L.px1 = m_width - right;
  L.py0 = top;
  L.py1 = m_height - bottom;
  L.base_t = L.yaxis.scale == Scale::log10 ? L.yr.lo : std::clamp(0.0, L.yr.lo, L.yr.hi);
  return L;
}

void Plot::render_header(std::ostream& os, const Layout& L) const {
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(m_width) << "\" height=\""
     << num(m_height) << "\" viewBox=\"0 0 " << num(m_width) << " " << num(m_height)
     << "\" role=\"img\" font-family=\"" << kFont << "\">\n";
  os << "<title>" << xml_escape(m_title) << "</title>\n";
  os << "<rect x=\"0\" y=\"0\" width=\"" << num(m_width) << "\" height=\"" << num(m_height)
     << "\" fill=\"#ffffff\"/>\n";
  for (std::size_t i = 0; i < L.title_lines.size(); ++i)
    os << "<text x=\"" << num(m_width / 2) << "\" y=\""
       << num(12 + kTitleFont + double(i) * (kTitleFont + 4))
       << "\" text-anchor=\"middle\" font-size=\"" << kTitleFont
       << "\" font-weight=\"bold\" fill=\"#000000\">" << xml_escape(L.title_lines[i])
       << "</text>\n";
}

void Plot::render_grid_and_ticks(std::ostream& os, const Layout& L) const {
  // Grid lines and y ticks.
  for (const auto& t : L.yticks) {
    const double y = L.map_y(t.t);
    os << "<line x1=\"" << num(L.px0) << "\" y1=\"" << num(y) << "\" x2=\"" << num(L.px1)
       << "\" y2=\"" << num(y) << "\" stroke=\"#d9d9d9\" stroke-width=\"1\"/>\n";
    os << "<line x1=\"" << num(L.px0 - 5) << "\" y1=\"" << num(y) << "\" x2=\"" << num(L.px0)
       << "\" y2=\"" << num(y) << "\" stroke=\"#000000\" stroke-width=\"1\"/>\n";
    os << "<text class=\"tick-y\" x=\"" << num(L.px0 - 8) << "\" y=\"" << num(y + kTickFont * 0.35)
       << "\" text-anchor=\"end\" font-size=\"" << kTickFont << "\" fill=\"#000000\">"
       << tick_text(t) << "</text>\n";
  }
  // x ticks. Labels that would overlap one already placed are dropped, placing 0 first (a
  // spike at zero is read against the "0" label, never against a neighbouring ±10^k that
  // crowds it) and then from left to right.
  std::vector<std::size_t> order(L.xticks.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return (L.xticks[a].text == "0" && !L.xticks[a].power) >
           (L.xticks[b].text == "0" && !L.xticks[b].power);
  });
  std::vector<std::pair<double, double>> placed;
  for (std::size_t i : order) {
    const Tick& t = L.xticks[i];
    const double x = L.map_x(t.t);
    const double w = text_width(t.chars(), kTickFont);
    os << "<line x1=\"" << num(x) << "\" y1=\"" << num(L.py1) << "\" x2=\"" << num(x) << "\" y2=\""
       << num(L.py1 + 5) << "\" stroke=\"#000000\" stroke-width=\"1\"/>\n";
    bool clash = false;
    for (const auto& [a, b] : placed) clash = clash || (x - w / 2 < b + 6 && x + w / 2 > a - 6);
    if (clash) continue;
    placed.emplace_back(x - w / 2, x + w / 2);
    os << "<text class=\"tick-x\" x=\"" << num(x) << "\" y=\"" << num(L.py1 + 8 + kTickFont)
       << "\" text-anchor=\"middle\" font-size=\"" << kTickFont << "\" fill=\"#000000\">"
       << tick_text(t) << "</text>\n";
  }
}

void Plot::render_bands(std::ostream& os, const Layout& L) const {
  for (const auto& b : m_bands) {
    // One polygon per run of finite points: the upper edge forwards, the lower one back.
    std::vector<std::pair<double, double>> upper, lower;
    auto flush = [&]() {
      if (upper.size() >= 2) {
        os << "<polygon fill=\"" << b.colour
           << "\" fill-opacity=\"0.35\" stroke=\"none\" points=\"";
        for (const auto& p : upper) os << num(p.first) << "," << num(p.second) << " ";
        for (auto it = lower.rbegin(); it != lower.rend(); ++it)
          os << num(it->first) << "," << num(it->second) << " ";
        os << "\"/>\n";
      }
      upper.clear();
      lower.clear();
    };
    for (std::size_t i = 0; i < b.x.size() && i < b.lo.size() && i < b.hi.size(); ++i) {
      const double tx = to_axis(m_x, b.x[i]), tl = to_axis(m_y, b.lo[i]),
                   th = to_axis(m_y, b.hi[i]);
      if (!std::isfinite(tx) || !std::isfinite(tl) || !std::isfinite(th)) {
        flush();
        continue;
      }
      upper.emplace_back(L.map_x(tx), L.map_y(th));
      lower.emplace_back(L.map_x(tx), L.map_y(tl));
    }
    flush();
  }
}

void Plot::render_histograms(std::ostream& os, const Layout& L) const {
  for (const auto& h : m_hists) {
    for (std::size_t i = 0; i + 1 < h.edges.size() && i < h.heights.size(); ++i) {
      const double ty = to_axis(L.yaxis, h.heights[i]);
      if (!std::isfinite(ty) || h.heights[i] == 0) continue;
      double xa = L.map_x(to_axis(m_x, h.edges[i]));
      double xb = L.map_x(to_axis(m_x, h.edges[i + 1]));
      if (xb < xa) std::swap(xa, xb);
      if (xb - xa < 3) {  // a bin narrower than 3 px is widened about its centre, never lost
        const double xc = (xa + xb) / 2;
        xa = xc - 1.5;
        xb = xc + 1.5;
      }
      const double ya = L.map_y(ty), yb = L.map_y(L.base_t);
      os << "<rect x=\"" << num(xa) << "\" y=\"" << num(std::min(ya, yb)) << "\" width=\""
         << num(xb - xa) << "\" height=\"" << num(std::abs(yb - ya)) << "\" fill=\"" << h.colour
         << "\" fill-opacity=\"0.8\" stroke=\"#000000\""
         << " stroke-width=\"0.6\"/>\n";
    }
  }
}

void Plot::render_bars(std::ostream& os, const Layout& L) const {
  const double band = L.band(m_categories.size());
  const double group = band * 0.8;
  const double bw = group / double(std::max<std::size_t>(1, m_bars.size()));
  for (std::size_t s = 0; s < m_bars.size(); ++s) {
    const auto& b = m_bars[s];
    for (std::size_t i = 0; i < m_categories.size() && i < b.values.size(); ++i) {
      const double xa = L.px0 + band * double(i) + (band - group) / 2 + bw * double(s);
      const double ty = to_axis(L.yaxis, b.values[i]);
      const Style& st = b.style(i);
      std::string title = m_categories[i] + (b.name.empty() ? "" : " — " + b.name);
      std::replace(title.begin(), title.end(), '\n', ' ');
      if (std::isfinite(ty)) {
        const double ya = L.map_y(ty), yb = L.map_y(L.base_t);
        const double top = std::min(ya, yb), height = std::abs(yb - ya);
        os << "<rect x=\"" << num(xa) << "\" y=\"" << num(top) << "\" width=\"" << num(bw)
           << "\" height=\"" << num(height) << "\" fill=\"" << st.colour
           << "\" stroke=\"#000000\" stroke-width=\"0.6\"" << key_attr(st) << "><title>"
           << xml_escape(title) << "</title></rect>\n";
        os << hatch_element(st, xa, top, bw, height);
      }
      if (i < b.err_lo.size() && i < b.err_hi.size())
        render_error_bar(os, L, xa + bw / 2, std::min(6.0, bw * 0.35), b.values[i], b.err_lo[i],
                         b.err_hi[i], key_attr(st) + " data-for=\"" + xml_escape(title) + "\"");
    }
  }
}

void Plot::render_error_bar(std::ostream& os, const Layout& L, double xc, double cap, double value,
                            double lo, double hi, const std::string& attrs) const {
  const double tl = to_axis(L.yaxis, lo), th = to_axis(L.yaxis, hi);
  if (!std::isfinite(tl) || !std::isfinite(th)) return;
  // An end equal to the value (an interval [0, u] at a count of 0, [l, 1] at n of n) has no cap:
  // the bar is one-sided, dashed, from the value to the other end.
  const auto same = [](double a, double b) {
    return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b));
  };
  const bool at_lo = same(lo, value), at_hi = same(hi, value);
  if (at_lo && at_hi) return;  // no interval to draw
  const double yl = L.map_y(tl), yh = L.map_y(th);
  std::ostringstream d;
  d << "M" << num(xc) << "," << num(yl) << "V" << num(yh);
  if (!at_lo) d << "M" << num(xc - cap) << "," << num(yl) << "H" << num(xc + cap);
  if (!at_hi) d << "M" << num(xc - cap) << "," << num(yh) << "H" << num(xc + cap);
  const char* sided = at_lo ? "upper" : at_hi ? "lower" : "two";
  os << "<path class=\"errorbar\" data-sided=\"" << sided << "\"" << attrs << " d=\"" << d.str()
     << (at_lo || at_hi  // a bound, not an estimate: lighter, so that it never reads as a bar
             ? "\" stroke=\"#595959\" stroke-width=\"1\" stroke-dasharray=\"3 2\""
             : "\" stroke=\"#000000\" stroke-width=\"1.3\"")
     << " fill=\"none\"/>\n";
}

void Plot::render_category_labels(std::ostream& os, const Layout& L) const {
  const double band = L.band(m_categories.size());
  // Thinned when rotated labels would collide.
  const std::size_t stride =
      L.rotate ? std::max<std::size_t>(1, std::size_t(std::ceil((kTickFont + 2) / band))) : 1;
  for (std::size_t i = 0; i < m_categories.size(); i += stride) {
    const double xc = L.px0 + band * (double(i) + 0.5);
    os << "<line x1=\"" << num(xc) << "\" y1=\"" << num(L.py1) << "\" x2=\"" << num(xc)
       << "\" y2=\"" << num(L.py1 + 5) << "\" stroke=\"#000000\" stroke-width=\"1\"/>\n";
    if (L.rotate) {
      os << "<text class=\"tick-x\" transform=\"translate(" << num(xc + 4) << "," << num(L.py1 + 10)
         << ") rotate(-35)\" text-anchor=\"end\" font-size=\"" << kTickFont
         << "\" fill=\"#000000\">" << xml_escape(L.cat_labels[i].front()) << "</text>\n";
    } else {
      os << "<text class=\"tick-x\" x=\"" << num(xc) << "\" y=\"" << num(L.py1 + 8 + kTickFont)
         << "\" text-anchor=\"middle\" font-size=\"" << kTickFont << "\" fill=\"#000000\">";
      for (std::size_t k = 0; k < L.cat_labels[i].size(); ++k)
        os << "<tspan x=\"" << num(xc) << "\"" << (k ? " dy=\"" + num(kTickFont + 2) + "\"" : "")
           << ">" << xml_escape(L.cat_labels[i][k]) << "</tspan>";
      os << "</text>\n";
    }
  }
}

void Plot::render_lines(std::ostream& os, const Layout& L) const {
  for (const auto& l : m_lines) {
    std::ostringstream d;
    bool pen = false;
    for (std::size_t i = 0; i < l.x.size() && i < l.y.size(); ++i) {
      const double tx = to_axis(m_x, l.x[i]), ty = to_axis(m_y, l.y[i]);
      if (!std::isfinite(tx) || !std::isfinite(ty)) {
        pen = false;
        continue;
      }
      d << (pen ? "L" : "M") << num(L.map_x(tx)) << "," << num(L.map_y(ty));
      pen = true;
    }
    const std::string path = d.str();
    if (path.empty()) continue;
    os << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << l.colour
       << "\" stroke-width=\"2\" stroke-linejoin=\"round\""
       << (l.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>\n";
  }
}

void Plot::render_series(std::ostream& os, const Layout& L) const {
  for (const auto& sr : m_series) {
    const Style& st = sr.style;
    std::ostringstream d;
    bool pen = false;
    std::vector<std::pair<double, double>> points;
    for (std::size_t i = 0; i < sr.x.size() && i < sr.y.size(); ++i) {
      const double tx = to_axis(m_x, sr.x[i]), ty = to_axis(m_y, sr.y[i]);
      if (!std::isfinite(tx) || !std::isfinite(ty)) {
        pen = false;
        continue;
      }
      const double px = L.map_x(tx) + sr.dx, py = L.map_y(ty);
      d << (pen ? "L" : "M") << num(px) << "," << num(py);
      pen = true;
      points.emplace_back(px, py);
      if (i < sr.lo.size() && i < sr.hi.size())
        render_error_bar(os, L, px, 3, sr.y[i], sr.lo[i], sr.hi[i], key_attr(st));
    }
    if (!points.empty())
      os << "<path d=\"" << d.str() << "\" fill=\"none\" stroke=\"" << st.colour
         << "\" stroke-width=\"2\" stroke-linejoin=\"round\""
         << (st.dash.empty() ? "" : " stroke-dasharray=\"" + st.dash + "\"") << key_attr(st)
         << "/>\n";
    for (const auto& [px, py] : points) os << marker_element(st, px, py);
  }
}

void Plot::render_notes(std::ostream& os, const Layout& L) const {
  for (std::size_t i = 0; i < m_notes.size(); ++i)
    os << "<text class=\"note\" x=\"" << num(L.px0 + 8) << "\" y=\""
       << num(L.py0 + kLegendFont + 4 + double(i) * (kLegendFont + 4)) << "\" font-size=\""
       << kLegendFont << "\" fill=\"#000000\">" << xml_escape(m_notes[i]) << "</text>\n";
}

void Plot::render_empty_message(std::ostream& os, const Layout& L) const {
  os << "<text x=\"" << num((L.px0 + L.px1) / 2) << "\" y=\"" << num((L.py0 + L.py1) / 2)
     << "\" text-anchor=\"middle\" font-size=\"13\" fill=\"#000000\">"
     << xml_escape(m_empty_message) << "</text>\n";
}

void Plot::render_axes(std::ostream& os, const Layout& L) const {
  // Axes frame (left and bottom) and axis labels.
  os << "<path d=\"M" << num(L.px0) << "," << num(L.py0) << "V" << num(L.py1) << "H" << num(L.px1)
     << "\" stroke=\"#000000\" stroke-width=\"1.2\" fill=\"none\"/>\n";
  os << "<text x=\"" << num((L.px0 + L.px1) / 2) << "\" y=\"" << num(m_height - 10)
     << "\" text-anchor=\"middle\" font-size=\"" << kLabelFont << "\" fill=\"#000000\">"
     << xml_escape(m_x.label) << "</text>\n";
  os << "<text transform=\"translate(" << num(10 + kLabelFont) << "," << num((L.py0 + L.py1) / 2)
     << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"" << kLabelFont
     << "\" fill=\"#000000\">" << xml_escape(m_y.label) << "</text>\n";
}

void Plot::render_legend(std::ostream& os, const Layout& L) const {
  for (const auto& p : L.legend) {
    const double cy = p.y + kLegendFont / 2;
    const Style& st = p.e.style;
    if (p.e.kind == "line" || p.e.kind == "series") {
      os << "<line x1=\"" << num(p.x) << "\" y1=\"" << num(cy) << "\" x2=\"" << num(p.x + 18)
         << "\" y2=\"" << num(cy) << "\" stroke=\"" << st.colour << "\" stroke-width=\"2\""
         << (st.dash.empty() ? "" : " stroke-dasharray=\"" + st.dash + "\"") << key_attr(st)
         << "/>\n";
      os << marker_element(st, p.x + 9, cy);
    } else {
      os << "<rect x=\"" << num(p.x) << "\" y=\"" << num(cy - 6) << "\" width=\"18\" height=\"12\""
         << " fill=\"" << st.colour << "\""
         << (p.e.kind == "band" ? " fill-opacity=\"0.35\""
                                : " stroke=\"#000000\" stroke-width=\"0.6\"")
         << key_attr(st) << "/>\n";
      os << hatch_element(st, p.x, cy - 6, 18, 12);
    }
    os << "<text x=\"" << num(p.x + 22) << "\" y=\"" << num(cy + kLegendFont * 0.35)
       << "\" font-size=\"" << kLegendFont << "\" fill=\"#000000\">" << xml_escape(p.e.name)
       << "</text>\n";
  }
}

std::string Plot::render() const {
  const Layout L = layout();
  std::ostringstream os;
  render_header(os, L);
  render_grid_and_ticks(os, L);
  // Data: bands, histograms, bars, lines (lines on top).
  render_bands(os, L);
  render_histograms(os, L);
  if (L.categorical) {
    render_bars(os, L);
    render_category_labels(os, L);
  }
  render_lines(os, L);
  render_series(os, L);
  render_notes(os, L);
  if (!L.any) render_empty_message(os, L);
  render_axes(os, L);
  render_legend(os, L);
  os << "</svg>";
  return os.str();
}

}  // namespace landscape::svg
