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
    return symlog_ticks(r.lo, r.hi, a.linthresh, target);
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
  m_bars.push_back({std::move(name), std::move(colour), std::move(values), std::move(err_lo),
                    std::move(err_hi)});
}

void Plot::set_empty_message(std::string message) { m_empty_message = std::move(message); }

/// Everything one render needs besides the data: ranges and ticks in axis coordinates, the
/// legend's placement, the category labels and the plot area in pixels.
struct Plot::Layout {
  struct LegendEntry {
    std::string name, colour, kind;
    bool dashed = false;
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
  std::vector<std::string> cat_labels;
  bool rotate = false;  // category labels rotated
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
  for (const auto& h : m_hists)
    if (!h.name.empty()) entries.push_back({h.name, h.colour, "box"});
  for (const auto& b : m_bands)
    if (!b.name.empty()) entries.push_back({b.name, b.colour, "band"});
  for (const auto& l : m_lines)
    if (!l.name.empty()) entries.push_back({l.name, l.colour, "line", l.dashed});
  for (const auto& b : m_bars)
    if (!b.name.empty() && m_bars.size() > 1) entries.push_back({b.name, b.colour, "box"});
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
  std::size_t longest = 0;
  for (const auto& c : m_categories) {
    L.cat_labels.push_back(truncate_label(c, 24));
    longest = std::max(longest, display_length(L.cat_labels.back()));
  }
  // Horizontal when they fit, else rotated.
  const double band_guess = (m_width - left - right) / double(m_categories.size());
  if (text_width(longest, kTickFont) <= band_guess - 4) return 0;
  L.rotate = true;
  return text_width(longest, kTickFont) * 0.6;
}

Plot::Layout Plot::layout() const {
  Layout L;
  L.categorical = !m_categories.empty();
  data_ranges(L);
  L.yaxis = m_y;
  if ((!m_hists.empty() || !m_bars.empty()) && L.yaxis.scale == Scale::linear)
    L.yaxis.include_zero = true;  // bars start at zero
  L.yticks = finish_axis(L.yaxis, L.yr, 5, true);
  if (!L.categorical) L.xticks = finish_axis(m_x, L.xr, 6, false);

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
    os << "<text x=\"" << num(L.px0 - 8) << "\" y=\"" << num(y + kTickFont * 0.35)
       << "\" text-anchor=\"end\" font-size=\"" << kTickFont << "\" fill=\"#000000\">"
       << tick_text(t) << "</text>\n";
  }
  // x ticks, dropping labels that would overlap their left neighbour.
  double last_right = -1e300;
  for (const auto& t : L.xticks) {
    const double x = L.map_x(t.t);
    const double w = text_width(t.chars(), kTickFont);
    os << "<line x1=\"" << num(x) << "\" y1=\"" << num(L.py1) << "\" x2=\"" << num(x) << "\" y2=\""
       << num(L.py1 + 5) << "\" stroke=\"#000000\" stroke-width=\"1\"/>\n";
    if (x - w / 2 < last_right + 6) continue;
    last_right = x + w / 2;
    os << "<text x=\"" << num(x) << "\" y=\"" << num(L.py1 + 8 + kTickFont)
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
      const double xa = L.map_x(to_axis(m_x, h.edges[i]));
      const double xb = L.map_x(to_axis(m_x, h.edges[i + 1]));
      const double ya = L.map_y(ty), yb = L.map_y(L.base_t);
      os << "<rect x=\"" << num(std::min(xa, xb)) << "\" y=\"" << num(std::min(ya, yb))
         << "\" width=\"" << num(std::abs(xb - xa)) << "\" height=\"" << num(std::abs(yb - ya))
         << "\" fill=\"" << h.colour << "\" fill-opacity=\"0.8\" stroke=\"#000000\""
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
      if (std::isfinite(ty)) {
        const double ya = L.map_y(ty), yb = L.map_y(L.base_t);
        os << "<rect x=\"" << num(xa) << "\" y=\"" << num(std::min(ya, yb)) << "\" width=\""
           << num(bw) << "\" height=\"" << num(std::abs(yb - ya)) << "\" fill=\"" << b.colour
           << "\" stroke=\"#000000\" stroke-width=\"0.6\"><title>"
           << xml_escape(m_categories[i] + (b.name.empty() ? "" : " — " + b.name))
           << "</title></rect>\n";
      }
      if (i < b.err_lo.size() && i < b.err_hi.size())
        render_error_bar(os, L, xa + bw / 2, std::min(6.0, bw * 0.35), b.err_lo[i], b.err_hi[i]);
    }
  }
}

void Plot::render_error_bar(std::ostream& os, const Layout& L, double xc, double cap, double lo,
                            double hi) const {
  const double tl = to_axis(L.yaxis, lo), th = to_axis(L.yaxis, hi);
  if (!std::isfinite(tl) || !std::isfinite(th)) return;
  const double yl = L.map_y(tl), yh = L.map_y(th);
  os << "<path d=\"M" << num(xc) << "," << num(yl) << "V" << num(yh) << "M" << num(xc - cap) << ","
     << num(yl) << "H" << num(xc + cap) << "M" << num(xc - cap) << "," << num(yh) << "H"
     << num(xc + cap) << "\" stroke=\"#000000\" stroke-width=\"1.3\" fill=\"none\"/>\n";
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
      os << "<text transform=\"translate(" << num(xc + 4) << "," << num(L.py1 + 10)
         << ") rotate(-35)\" text-anchor=\"end\" font-size=\"" << kTickFont
         << "\" fill=\"#000000\">" << xml_escape(L.cat_labels[i]) << "</text>\n";
    } else {
      os << "<text x=\"" << num(xc) << "\" y=\"" << num(L.py1 + 8 + kTickFont)
         << "\" text-anchor=\"middle\" font-size=\"" << kTickFont << "\" fill=\"#000000\">"
         << xml_escape(L.cat_labels[i]) << "</text>\n";
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
    if (p.e.kind == "line") {
      os << "<line x1=\"" << num(p.x) << "\" y1=\"" << num(cy) << "\" x2=\"" << num(p.x + 18)
         << "\" y2=\"" << num(cy) << "\" stroke=\"" << p.e.colour << "\" stroke-width=\"2\""
         << (p.e.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>\n";
    } else {
      os << "<rect x=\"" << num(p.x) << "\" y=\"" << num(cy - 6) << "\" width=\"18\" height=\"12\""
         << " fill=\"" << p.e.colour << "\""
         << (p.e.kind == "band" ? " fill-opacity=\"0.35\""
                                : " stroke=\"#000000\" stroke-width=\"0.6\"")
         << "/>\n";
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
  if (!L.any) render_empty_message(os, L);
  render_axes(os, L);
  render_legend(os, L);
  os << "</svg>";
  return os.str();
}

}  // namespace landscape::svg
