// POINT.json parsing with errors that name the offending field.
#include "landscape/io/point.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"

namespace landscape {
namespace {

using json = nlohmann::json;

double number_at(const json& v, const std::string& where) {
  require(v.is_number(), where, "expected a number, got " + std::string(v.type_name()));
  const double x = v.get<double>();
  require(std::isfinite(x), where, "non-finite number");
  return x;
}

/// Reads a rows×cols matrix given as a list of rows; appends row-major to `out`.
void read_matrix(const json& v, int rows, int cols, const std::string& where,
                 std::vector<double>& out) {
  require(v.is_array(), where, "expected a list of rows");
  require(int(v.size()) == rows, where,
          "expected " + std::to_string(rows) + " rows, got " + std::to_string(v.size()));
  for (int r = 0; r < rows; ++r) {
    const json& row = v[std::size_t(r)];
    const std::string wr = where + "[" + std::to_string(r) + "]";
    require(row.is_array(), wr, "expected a list of numbers");
    require(int(row.size()) == cols, wr,
            "expected " + std::to_string(cols) + " numbers, got " + std::to_string(row.size()));
    for (int c = 0; c < cols; ++c)
      out.push_back(number_at(row[std::size_t(c)], wr + "[" + std::to_string(c) + "]"));
  }
}

/// A weight matrix given as (in, out) where landscape expects (out, in): names the layout, so a
/// transposed export (e.g. W.T of a PyTorch weight, or a Keras/JAX kernel) is not reported as a
/// bare row-count mismatch. Square layers cannot tell and pass through.
void refuse_transposed(const json& v, int rows, int cols, const std::string& where) {
  if (rows == cols || !v.is_array() || int(v.size()) != cols || v.empty()) return;
  for (const json& row : v)
    if (!row.is_array() || int(row.size()) != rows) return;
  throw Error(where + ": shape (" + std::to_string(cols) + ", " + std::to_string(rows) +
              ") looks like (in, out); landscape expects (out, in) = (" + std::to_string(rows) +
              ", " + std::to_string(cols) + ") as PyTorch's nn.Linear.weight: transpose it");
}

/// Parses `text`, refusing a key given twice in one object (JSON allows it and the parser
/// would keep the last value silently).
json parse_unique_keys(const std::string& text, const std::string& source) {
  std::vector<std::vector<std::string>> seen;  // keys of each open object
  std::string path;
  const json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) seen.emplace_back();
    else if (event == json::parse_event_t::object_end) seen.pop_back();
    else if (event == json::parse_event_t::key && !seen.empty()) {
      const std::string key = parsed.get<std::string>();
      auto& keys = seen.back();
      if (std::find(keys.begin(), keys.end(), key) != keys.end())
        throw Error(source + ": " + key + ": key given twice (each key may appear once)");
      keys.push_back(key);
    }
    return true;
  };
  return json::parse(text, cb);
}

/// The JSON of a point: a parse error names the line (and a NaN or infinity for what it is).
json parse_point_json(const std::string& text, const std::string& source) {
  try {
    return parse_unique_keys(text, source);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based, the byte where parsing failed.
    const std::size_t at = std::min(text.size(), e.byte > 0 ? std::size_t(e.byte - 1) : 0);
    const std::string line =
        std::to_string(1 + std::count(text.begin(), text.begin() + std::ptrdiff_t(at), '\n'));
    // The parser stops on the first letter of a NaN or (-)Infinity literal.
    if (text.compare(at, 3, "NaN") == 0 || text.compare(at, 8, "Infinity") == 0)
      throw Error(source + ":" + line + ": a non-finite number (NaN or Infinity is not JSON, and "
                  "every number of a point must be finite)");
    throw Error(source + ":" + line + ": malformed JSON: " + e.what());
  } catch (const json::out_of_range& e) {
    // nlohmann reports numbers that overflow a double (e.g. 1e999) here, without a position.
    throw Error(source + ": non-finite number (out of range for float64): " + e.what());
  }
}

/// The point's "model": family, dims and (leaky ReLU only) slope, validated.
Model read_model(const json& m, const std::string& source) {
  Model model;
  const std::string wm = source + ": model";
  require(m.is_object(), wm, "expected an object");
  for (const auto& [k, v] : m.items()) {
    (void)v;
    require(k == "family" || k == "dims" || k == "slope", wm + "." + k,
            "unknown key (expected family, dims, slope)");
  }
  require(m.contains("family") && m["family"].is_string(), wm + ".family",
          "missing or not a string");
  model.family = parse_family(m["family"].get<std::string>(), wm + ".family");
  require(m.contains("dims") && m["dims"].is_array(), wm + ".dims", "missing or not a list");
  for (std::size_t i = 0; i < m["dims"].size(); ++i) {
    const json& d = m["dims"][i];
    const std::string wd = wm + ".dims[" + std::to_string(i) + "]";
    require(d.is_number_integer(), wd, "expected a positive integer");
    const long long v = d.get<long long>();
    require(v >= 1 && v <= 1000000, wd, "expected a positive width, got " + std::to_string(v));
    model.dims.push_back(int(v));
  }
  if (model.family == Family::leaky_relu) {
    require(m.contains("slope"), wm + ".slope", "missing (required for leaky_relu)");
    model.slope = number_at(m["slope"], wm + ".slope");
  } else {
    require(!m.contains("slope"), wm + ".slope", "only leaky_relu networks take a slope");
  }
  model.validate(wm);
  return model;
}

}  // namespace

Point parse_point(const std::string& text, const std::string& source) {
  const json j = parse_point_json(text, source);
  require(j.is_object(), source, "top level must be a JSON object");
  for (const auto& [k, v] : j.items()) {
    (void)v;
    require(k == "model" || k == "X" || k == "Y" || k == "weights" || k == "settings" ||
                k == "global_loss",
            source + ": " + k, "unknown key (expected model, X, Y, weights, settings, global_loss)");
  }
  for (const char* k : {"model", "X", "Y", "weights"})
    require(j.contains(k), source + ": " + k, "missing");

  Point p;
  p.source = source;
  p.model = read_model(j["model"], source);
  const int h = p.model.depth();
  p.data.d0 = p.model.dims.front();
  p.data.dh = p.model.dims.back();
  const json& X = j["X"];
  require(X.is_array() && !X.empty() && X[0].is_array(), source + ": X",
          "expected a list of d0 rows of n numbers");
  p.data.n = int(X[0].size());
  require(p.data.n >= 1, source + ": X[0]", "needs at least one sample");
  read_matrix(X, p.data.d0, p.data.n, source + ": X", p.data.X);
  read_matrix(j["Y"], p.data.dh, p.data.n, source + ": Y", p.data.Y);

  const json& W = j["weights"];
  require(W.is_array(), source + ": weights", "expected a list of h weight matrices");
  require(int(W.size()) == h, source + ": weights",
          "expected " + std::to_string(h) + " matrices (one per layer), got " +
              std::to_string(W.size()));
  for (int i = 1; i <= h; ++i) {
    const std::string wi = source + ": weights[" + std::to_string(i - 1) + "]";
    refuse_transposed(W[std::size_t(i - 1)], p.model.dims[i], p.model.dims[i - 1], wi);
    read_matrix(W[std::size_t(i - 1)], p.model.dims[i], p.model.dims[i - 1], wi, p.weights);
  }
  // Optional: the decision settings and, where no closed form applies, the L* of the sweep the
  // point was taken from (`landscape point` writes both), so classify reproduces its class.
  if (j.contains("settings")) p.settings = decide_settings_from_json(j["settings"], source + ": settings");
  if (j.contains("global_loss")) p.global_loss = number_at(j["global_loss"], source + ": global_loss");
  return p;
}

std::vector<double> parse_direction(const std::string& text, const std::string& source,
                                    const Model& m) {
  const json j = parse_point_json(text, source);
  const std::size_t P = m.param_count();
  std::vector<double> v;
  const json* d = &j;
  if (j.is_object()) {
    for (const auto& [k, x] : j.items()) {
      (void)x;
      require(k == "direction" || k == "weights", source + ": " + k,
              "unknown key (expected direction or weights)");
    }
    require(j.size() == 1, source, "expected one of direction (P numbers) or weights (h matrices)");
    d = j.contains("direction") ? &j["direction"] : &j["weights"];
  }
  const std::string where = source + (j.is_object() ? ": " + j.begin().key() : std::string());
  require(d->is_array(), where, "expected a list of P numbers or of h weight matrices");
  if (!d->empty() && (*d)[0].is_array()) {
    require(int(d->size()) == m.depth(), where,
            "expected " + std::to_string(m.depth()) + " matrices (one per layer), got " +
                std::to_string(d->size()));
    for (int i = 1; i <= m.depth(); ++i) {
      const std::string wi = where + "[" + std::to_string(i - 1) + "]";
      refuse_transposed((*d)[std::size_t(i - 1)], m.dims[i], m.dims[i - 1], wi);
      read_matrix((*d)[std::size_t(i - 1)], m.dims[i], m.dims[i - 1], wi, v);
    }
  } else {
    require(d->size() == P, where,
            "expected P = " + std::to_string(P) + " numbers (parameter order), got " +
                std::to_string(d->size()));
    for (std::size_t k = 0; k < P; ++k) v.push_back(number_at((*d)[k], where + "[" + std::to_string(k) + "]"));
  }
  return v;
}

std::vector<double> load_direction(const std::string& path, const Model& m) {
  return parse_direction(read_file(path), path, m);
}

Point load_point(const std::string& path) { return parse_point(read_file(path), path); }

std::string point_to_json(const Point& p) {
  json j;
  j["model"]["family"] = to_string(p.model.family);
  j["model"]["dims"] = p.model.dims;
  if (p.model.family == Family::leaky_relu) j["model"]["slope"] = p.model.slope;
  auto matrix = [](const double* a, int rows, int cols) {
    json m = json::array();
    for (int r = 0; r < rows; ++r)
      m.push_back(std::vector<double>(a + std::size_t(r) * cols, a + std::size_t(r + 1) * cols));
    return m;
  };
  j["X"] = matrix(p.data.X.data(), p.data.d0, p.data.n);
  j["Y"] = matrix(p.data.Y.data(), p.data.dh, p.data.n);
  j["weights"] = json::array();
  std::size_t off = 0;
  for (int i = 1; i <= p.model.depth(); ++i) {
    j["weights"].push_back(matrix(p.weights.data() + off, p.model.dims[i], p.model.dims[i - 1]));
    off += std::size_t(p.model.dims[i]) * p.model.dims[i - 1];
  }
  if (p.settings) j["settings"] = decide_settings_to_json(*p.settings);
  if (p.global_loss) j["global_loss"] = *p.global_loss;
  return j.dump(1) + "\n";
}

}  // namespace landscape
