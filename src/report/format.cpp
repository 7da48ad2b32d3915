// Text formatting shared by the report's writers (format.hpp).
#include "format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "landscape/analysis/theory.hpp"

namespace landscape::report {

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}
std::string g3(double x) { return fmt("%.3g", x); }
std::string frac4(double x) { return fmt("%.4f", x); }
std::string full(double x) { return std::isfinite(x) ? fmt("%.10g", x) : ""; }

std::string interval_text(const Interval& iv) {
  if (iv.method == "none") return "—";  // n = 0
  return "[" + g3(iv.lo) + ", " + g3(iv.hi) + "]";
}

std::string frac_text(long k, long n) { return n > 0 ? frac4(double(k) / double(n)) : "—"; }

double fraction(long k, long n) { return n > 0 ? double(k) / double(n) : 0.0; }

std::string human_class(const std::string& c) {
  std::string s = c;
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

std::string cell_title(const Cell& c) {
  return "cell " + std::to_string(c.cell_index) + ": " + c.label;
}

std::string prediction_text(const Prediction& p) {
  if (!p.present()) return "";
  if (!p.parsed()) return "prediction present but not valid JSON";
  if (p.is_list() && !p.items.empty()) {
    std::string all;
    for (const auto& o : p.items) all += (all.empty() ? "" : "; ") + item_text(p, o);
    return all;
  }
  const std::string source = prediction_source(p);
  std::string s = "predicted: " + prediction_statement(p) + (source.empty() ? "" : " (" + source + ")");
  if (!p.checks_classes()) return s;
  const Observation& o = p.items[0];
  s += " \xE2\x80\x94 observed " + std::to_string(o.count) + " of " + std::to_string(o.in_scope) +
       " (rate < " + g3(o.ci.hi) + " at 95%) \xE2\x80\x94 " + prediction_verdict(p);
  return s;
}

std::string prediction_statement(const Prediction& p) {
  if (p.is_list()) return std::to_string(p.items.size()) + " claim(s)";
  return p.form == Prediction::Form::single ? p.items[0].claim.statement : "";
}

std::string prediction_source(const Prediction& p) {
  return p.form == Prediction::Form::single ? p.items[0].claim.source : "";
}

std::vector<std::string> prediction_forbids(const Prediction& p) {
  return p.form == Prediction::Form::single ? p.items[0].claim.classes
                                            : std::vector<std::string>{};
}

std::string forbids_text(const Prediction& p) {
  const std::vector<std::string> forbids = prediction_forbids(p);
  std::string s;
  for (std::size_t i = 0; i < forbids.size(); ++i) s += (i ? ", " : "") + forbids[i];
  return s;
}

std::string prediction_verdict(const Prediction& p) {
  if (p.is_list()) {
    bool any_inconsistent = false, any_consistent = false;
    for (const auto& o : p.items) {
      const std::string v = item_verdict(p, o);
      any_inconsistent = any_inconsistent || v == "inconsistent";
      any_consistent = any_consistent || v == "consistent";
    }
    return any_inconsistent ? "inconsistent" : any_consistent ? "consistent" : "inconclusive";
  }
  return p.checks_classes() ? to_string(p.items[0].verdict) : "";
}

std::vector<std::string> claim_forbids(const Claim& c) {
  return c.kind == ClaimKind::forbids ? c.classes : std::vector<std::string>{};
}

std::string item_verdict(const Prediction& p, const Observation& o) {
  const bool observed = p.form == Prediction::Form::observations || p.checks_classes();
  return observed ? to_string(o.verdict) : "";
}

std::string item_text(const Prediction& p, const Observation& o) {
  return p.form == Prediction::Form::observations ? format_observation(o) : "";
}

std::vector<std::string> tolerance_classes(const Report& r, const Cell& c) {
  std::vector<std::string> out = r.classes;
  for (const auto* m : {&c.counts_lo, &c.counts_hi})
    for (const auto& [name, k] : *m)
      if (k > 0 && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  return out;
}

svg::Style class_style(const std::string& c) {
  svg::Style st;
  st.key = c;
  using H = svg::Hatch;
  using M = svg::Marker;
  const auto set = [&](const char* colour, H hatch, M marker, const char* dash) {
    st.colour = colour;
    st.hatch = hatch;
    st.marker = marker;
    st.dash = dash;
  };
  if (c == "global_minimum") set(svg::kGreen, H::none, M::circle, "");
  else if (c == "strict_saddle") set(svg::kBlue, H::diagonal, M::square, "7 3");
  else if (c == "non_strict_saddle") set(svg::kOrange, H::back_diagonal, M::triangle, "2 2");
  else if (c == "spurious_local_minimum") set(svg::kVermillion, H::cross, M::diamond, "8 3 2 3");
  else if (c == "not_critical") set(svg::kSkyBlue, H::horizontal, M::down_triangle, "4 2 1 2");
  else if (c == "diverged") set(svg::kGrey, H::vertical, M::cross, "1 3");
  else if (c == "degenerate") set(svg::kPurple, H::dots, M::plus, "10 2");
  else set(svg::kYellow, H::dots, M::plus, "3 3");
  return st;
}

std::string swept_text(const Cell& c, const std::string& name) {
  const SweptValue* v = c.swept_value(name);
  return v ? v->text : "";
}

long get(const std::map<std::string, long>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

std::vector<std::string> verdict_header() {
  return {"cell", "label", "finished", "on initial plateau", "out of budget, still falling",
          "escape step median (10-90%)", "refinement: class changes", "verdict raw -> refined",
          "certified global minima", "certified spurious minima"};
}

std::vector<std::vector<std::string>> verdict_rows(const Report& r) {
  std::vector<std::vector<std::string>> rows;
  for (const Cell& c : r.cells) {
    const Verdicts& v = c.verdicts;
    const auto of = [](long k, long n) { return n ? std::to_string(k) + " of " + std::to_string(n) : std::string("-"); };
    std::string escape = "-";
    if (v.escaped > 0)
      escape = fmt("%.6g", v.escape_median) + " (" + fmt("%.6g", v.escape_q10) + " to " +
               fmt("%.6g", v.escape_q90) + "), " + std::to_string(v.escaped) + " left";
    std::string verdict = "-";
    if (v.refined > 0)
      verdict = v.raw_verdict + " -> " + v.refined_verdict + (v.verdict_flips ? " (FLIPS)" : "");
    rows.push_back({std::to_string(c.cell_index), c.label, std::to_string(c.finished),
                    of(v.plateau, v.with_dynamics), of(v.descending, v.with_dynamics), escape,
                    of(v.refine_changed, v.refined), verdict, of(v.global_certified, v.global_minima),
                    of(v.spurious_certified, v.spurious_minima)});
  }
  return rows;
}

}  // namespace landscape::report
