// Text formatting shared by the report's writers (format.hpp).
#include "format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

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
  if (!p.present) return "";
  if (!p.parsed) return "prediction present but not valid JSON";
  if (!p.items.empty()) {
    std::string all;
    for (const auto& q : p.items) all += (all.empty() ? "" : "; ") + q.text;
    return all;
  }
  std::string s = "predicted: " + p.statement + (p.source.empty() ? "" : " (" + p.source + ")");
  if (p.forbids.empty()) return s;
  s += " \xE2\x80\x94 observed " + std::to_string(p.k) + " of " + std::to_string(p.n) +
       " (rate < " + g3(p.iv.hi) + " at 95%) \xE2\x80\x94 " + p.verdict;
  return s;
}

std::string forbids_text(const Prediction& p) {
  std::string s;
  for (std::size_t i = 0; i < p.forbids.size(); ++i) s += (i ? ", " : "") + p.forbids[i];
  return s;
}

std::vector<std::string> tolerance_classes(const Report& r, const Cell& c) {
  std::vector<std::string> out = r.classes;
  for (const auto* m : {&c.counts_lo, &c.counts_hi})
    for (const auto& [name, k] : *m)
      if (k > 0 && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  return out;
}

long get(const std::map<std::string, long>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

}  // namespace landscape::report
