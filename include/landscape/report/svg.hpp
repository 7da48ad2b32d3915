// A small inline-SVG plotting helper for the HTML report: histograms, line plots with a shaded
// band, series with markers and error bars, grouped bar charts with (one-sided where due) error
// bars and hatches; linear, log10 and signed-log (symlog) axes.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace landscape::svg {

/// Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), plus a neutral grey.
inline constexpr const char* kBlack = "#000000";
inline constexpr const char* kOrange = "#E69F00";
inline constexpr const char* kSkyBlue = "#56B4E9";
inline constexpr const char* kGreen = "#009E73";
inline constexpr const char* kYellow = "#F0E442";
inline constexpr const char* kBlue = "#0072B2";
inline constexpr const char* kVermillion = "#D55E00";
inline constexpr const char* kPurple = "#CC79A7";
inline constexpr const char* kGrey = "#999999";

enum class Scale {
  linear,
  log10,   ///< positive values only; ticks at decades
  symlog,  ///< sign(x)·log10(1 + |x|/linthresh): linear near 0, logarithmic beyond ±linthresh
};

/// Signed-log transform and its inverse (the symlog axis coordinate).
double symlog(double x, double linthresh);
double symlog_inverse(double t, double linthresh);

/// Escapes & < > " ' for XML/HTML text and attribute values.
std::string xml_escape(const std::string& s);

/// Fill patterns for bars: with the colour they tell series apart in greyscale.
enum class Hatch { none, diagonal, back_diagonal, cross, horizontal, vertical, dots };
/// Point markers of a series.
enum class Marker { none, circle, square, triangle, diamond, down_triangle, cross, plus };

/// How one series is drawn.
struct Style {
  std::string colour = kBlack;
  Hatch hatch = Hatch::none;     ///< bars and their legend boxes
  Marker marker = Marker::none;  ///< points of a series
  std::string dash;              ///< stroke-dasharray of a series' line ("" = solid)
  std::string key;  ///< written as data-key="…" on every element drawn for the series (e.g. the
                    ///< class it shows), so that tests and scripts can find them
};

/// A numeric axis. The range is taken from the data unless both `lo` and `hi` are set.
struct Axis {
  std::string label;  ///< quantity and unit, e.g. "step (optimizer iterations)"
  Scale scale = Scale::linear;
  double linthresh = 1.0;  ///< symlog only
  bool fixed_range = false;
  double lo = 0, hi = 1;  ///< used when fixed_range
  bool integer_ticks = false;
  bool include_zero = false;  ///< linear axes: extend the automatic range to 0
};

/// One plot: title, two axes, a legend, and any mix of histograms, bands and lines on a numeric
/// x axis, or grouped bars (with optional error bars) on a categorical x axis.
class Plot {
 public:
  Plot(std::string title, Axis x, Axis y);

  /// Overall size in CSS pixels (default 560 × 360).
  void set_size(double width, double height);

  /// Histogram: `edges` (k + 1 bin edges, data units, ascending) and `heights` (k values).
  void add_histogram(std::vector<double> edges, std::vector<double> heights, std::string name,
                     std::string colour);
  /// Polyline through (x[i], y[i]); non-finite or out-of-scale points break the line.
  void add_line(std::vector<double> x, std::vector<double> y, std::string name, std::string colour,
                bool dashed = false);
  /// Shaded band between lo[i] and hi[i] at x[i].
  void add_band(std::vector<double> x, std::vector<double> lo, std::vector<double> hi,
                std::string name, std::string colour);
  /// Points (x[i], y[i]) joined by a line, with markers and, when `lo` and `hi` are given, an
  /// error bar from lo[i] to hi[i] at each point (one-sided where an end equals the point: an
  /// interval [0, u] at 0 is drawn as a dashed bar up to u with one cap). `dx` shifts the points
  /// by that many pixels, so that the bars of several series at one x stay apart.
  void add_series(std::vector<double> x, std::vector<double> y, std::vector<double> lo,
                  std::vector<double> hi, std::string name, Style style, double dx = 0);
  /// Switches the x axis to categories (bar charts); call before add_bars. A category's text
  /// may hold line breaks ('\n'): its lines are stacked under the axis.
  void set_categories(std::vector<std::string> categories);
  /// One bar per category (a series; several series are grouped side by side). `err_lo` and
  /// `err_hi`, when non-empty, are the lower and upper ends of an error bar in y units, drawn
  /// one-sided where an end equals the value (a count of 0 or n).
  void add_bars(std::string name, std::string colour, std::vector<double> values,
                std::vector<double> err_lo = {}, std::vector<double> err_hi = {});
  void add_bars(std::string name, Style style, std::vector<double> values,
                std::vector<double> err_lo = {}, std::vector<double> err_hi = {});
  /// One series of bars with a style per category (a chart whose categories are the series,
  /// e.g. one bar per class); no legend entry.
  void add_bars(std::string name, std::vector<Style> styles, std::vector<double> values,
                std::vector<double> err_lo = {}, std::vector<double> err_hi = {});
  /// A line of text at the top of the plot area (e.g. what a histogram's single bar means).
  void add_note(std::string text);
  /// Text drawn in the middle of the plot area when there is nothing to plot.
  void set_empty_message(std::string message);

  /// The standalone `<svg>` element (with xmlns, role="img" and a <title>).
  std::string render() const;

 private:
  struct Histogram {
    std::vector<double> edges, heights;
    std::string name, colour;
  };
  struct Line {
    std::vector<double> x, y;
    std::string name, colour;
    bool dashed;
  };
  struct Band {
    std::vector<double> x, lo, hi;
    std::string name, colour;
  };
  struct Series {
    std::vector<double> x, y, lo, hi;
    std::string name;
    Style style;
    double dx;
  };
  struct Bars {
    std::string name;
    std::vector<Style> styles;  // one for every bar, or one per category
    std::vector<double> values, err_lo, err_hi;
    const Style& style(std::size_t i) const { return i < styles.size() ? styles[i] : styles[0]; }
  };

  struct Layout;  // ranges, ticks, legend and plot area of one render (svg.cpp)
  /// Sets the layout's x and y data ranges (axis coordinates) and whether there is anything
  /// to draw.
  void data_ranges(Layout& layout) const;
  /// Places the legend entries below the title; returns the top of the plot area.
  double place_legend(Layout& layout, double left, double right, double top) const;
  /// Truncates the category labels and rotates them when they do not fit; returns the extra
  /// room they need below the axis.
  double place_category_labels(Layout& layout, double left, double right) const;
  Layout layout() const;
  void render_header(std::ostream& os, const Layout& layout) const;
  void render_grid_and_ticks(std::ostream& os, const Layout& layout) const;
  void render_bands(std::ostream& os, const Layout& layout) const;
  void render_histograms(std::ostream& os, const Layout& layout) const;
  void render_bars(std::ostream& os, const Layout& layout) const;
  void render_error_bar(std::ostream& os, const Layout& layout, double xc, double cap, double value,
                        double lo, double hi, const std::string& attrs) const;
  void render_series(std::ostream& os, const Layout& layout) const;
  void render_notes(std::ostream& os, const Layout& layout) const;
  void render_category_labels(std::ostream& os, const Layout& layout) const;
  void render_lines(std::ostream& os, const Layout& layout) const;
  void render_empty_message(std::ostream& os, const Layout& layout) const;
  void render_axes(std::ostream& os, const Layout& layout) const;
  void render_legend(std::ostream& os, const Layout& layout) const;

  std::string m_title;
  Axis m_x, m_y;
  double m_width = 560, m_height = 360;
  std::vector<Histogram> m_hists;
  std::vector<Line> m_lines;
  std::vector<Band> m_bands;
  std::vector<std::string> m_categories;
  std::vector<Bars> m_bars;
  std::vector<Series> m_series;
  std::vector<std::string> m_notes;
  std::string m_empty_message = "no data";
};

}  // namespace landscape::svg
