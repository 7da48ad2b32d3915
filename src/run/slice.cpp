// The loss around one point: direction and plane selection, then analysis/geometry's slices.
#include "landscape/run/slice.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "landscape/core/common.hpp"
#include "landscape/io/point.hpp"

namespace landscape {
namespace {

/// K of "eig:K", or −1 when `s` is not of that form; "min-eig" is eig:0.
int eig_index(const std::string& s) {
  if (s == "min-eig") return 0;
  if (s.rfind("eig:", 0) != 0 || s.size() == 4) return -1;
  const std::string k = s.substr(4);
  require(k.find_first_not_of("0123456789") == std::string::npos && k.size() <= 6, "--direction",
          "expected eig:K with K a non-negative integer, got '" + s + "'");
  return std::stoi(k);
}

/// The eigenvector of the K-th smallest eigenvalue from the classification's eigenvectors.
std::vector<double> eigen_direction(const PointReport& r, int k, const std::string& what,
                                    double& eigenvalue) {
  require(r.vectors && k < r.vectors->count, what,
          "eigenvector " + std::to_string(k) + " is not available");
  eigenvalue = r.vectors->values[std::size_t(k)];
  return std::vector<double>(r.vectors->vector(k), r.vectors->vector(k) + r.vectors->P);
}

double norm2(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

}  // namespace

SliceResult slice_point(const Point& p, const SliceSpec& spec, const DecideSettings& settings,
                        const RestartSpec& rs, Backend& backend, PointOptions options) {
  const std::string src = p.source.empty() ? std::string("point") : p.source;
  require(spec.range > 0 && std::isfinite(spec.range), "--range", "must be finite and > 0");
  require(spec.steps >= 2, "--steps", "needs at least 2 points");
  require(spec.plane_steps >= 2, "--plane-steps", "needs at least 2 points");
  // Which eigenvectors the directions need: the classification returns them.
  const int P = int(p.model.param_count());
  int need = 1;  // auto falls back to eig:0
  if (const int k = spec.direction_vector ? -1 : eig_index(spec.direction); k >= 0)
    need = std::max(need, k + 1);
  require(need <= P, "--direction",
          "eigenvector " + std::to_string(need - 1) + " does not exist: P = " + std::to_string(P));
  std::vector<std::string> plane_dirs;
  std::string plane_kind = spec.plane;
  if (plane_kind == "auto") {
    // Filter-normalised random directions follow the weights' rows; where a row is zero so is
    // its slice of the direction, and at W = 0 the plane would be a point: use eigenvectors.
    double wmin_row = INFINITY;
    std::size_t off = 0;
    for (int i = 1; i <= p.model.depth(); ++i) {
      const std::size_t rows = std::size_t(p.model.dims[std::size_t(i)]),
                        cols = std::size_t(p.model.dims[std::size_t(i - 1)]);
      for (std::size_t r = 0; r < rows; ++r) {
        double n = 0;
        for (std::size_t c = 0; c < cols; ++c)
          n += p.weights[off + r * cols + c] * p.weights[off + r * cols + c];
        wmin_row = std::min(wmin_row, n);
      }
      off += rows * cols;
    }
    plane_kind = wmin_row > 0 || P < 2 ? "random" : "eig:0,eig:1";
  }
  if (plane_kind != "none" && plane_kind != "random") {
    const auto comma = plane_kind.find(',');
    require(comma != std::string::npos, "--plane",
            "expected eig:I,eig:J, random, auto or none, got '" + spec.plane + "'");
    plane_dirs = {plane_kind.substr(0, comma), plane_kind.substr(comma + 1)};
    for (const auto& d : plane_dirs) {
      const int k = eig_index(d);
      require(k >= 0, "--plane",
              "expected eig:I,eig:J, random, auto or none, got '" + spec.plane + "'");
      require(k < P, "--plane",
              "eigenvector " + std::to_string(k) + " does not exist: P = " + std::to_string(P));
      need = std::max(need, k + 1);
    }
    require(plane_dirs[0] != plane_dirs[1], "--plane", "the two directions must differ");
  }
  options.vectors = std::max(options.vectors, need);
  options.lanczos_k = std::max(options.lanczos_k, need);
  SliceResult res;
  res.report = classify_single(p, settings, rs, backend, options);
  const PointReport& r = res.report;
  const EndpointRecord& e = r.endpoint;
  require(e.finite, src,
          "the loss, gradient or Hessian is not finite at this point: nothing to slice");

  const std::vector<double> ts = symmetric_grid(spec.range, spec.steps);
  LineSlice& line = res.line;
  std::vector<double> dir;
  std::string kind = spec.direction;
  const bool has_witness = e.escape && e.escape->escaped && !e.escape->direction.empty();
  if (kind == "auto") kind = has_witness ? "witness" : "eig:0";
  if (spec.direction_vector) {
    require(spec.direction_vector->size() == std::size_t(P), "direction",
            "expected " + std::to_string(P) + " numbers (P, parameter order), got " +
                std::to_string(spec.direction_vector->size()));
    for (std::size_t k = 0; k < spec.direction_vector->size(); ++k)
      require(std::isfinite((*spec.direction_vector)[k]), "direction[" + std::to_string(k) + "]",
              "non-finite number");
    dir = *spec.direction_vector;
    kind = spec.direction == "auto" ? "given" : spec.direction;
    line.description = "direction given as numbers (as given, not normalised)";
  } else if (kind == "witness") {
    require(
        has_witness, "--direction witness",
        "this point (class " + to_string(e.cls) +
            ") has no escape witness: the escape test "
            "runs only where the Hessian is PSD to tolerance above L*, and gives a witness only "
            "when it finds a loss drop (use --direction min-eig)");
    dir = e.escape->direction;
    line.description = "escape witness (" + e.escape->method + "), loss drop " +
                       std::to_string(e.escape->loss_drop) +
                       " at t = " + std::to_string(e.escape->step);
  } else if (const int k = eig_index(kind); k >= 0) {
    dir = eigen_direction(r, k, "--direction", line.eigenvalue);
    line.has_eigenvalue = true;
    kind = "eig:" + std::to_string(k);
    line.description = "Hessian eigenvector " + std::to_string(k) + " (eigenvalue " +
                       std::to_string(line.eigenvalue) + ")";
  } else if (kind == "random") {
    dir = filter_normalized_direction(p.model, p.weights.data(), spec.seed, 1);
    line.description =
        "filter-normalised random direction (Li et al. 2018), seed " + std::to_string(spec.seed);
  } else {
    require(std::filesystem::exists(kind), "--direction",
            "expected auto, witness, min-eig, eig:K, random or a direction file; '" + kind +
                "' is none of them (no such file)");
    dir = load_direction(kind, p.model);
    line.description = "direction from " + kind + " (as given, not normalised)";
    kind = std::filesystem::path(kind).filename().string();
  }
  line.direction = kind;
  line.dir_norm = norm2(dir);
  require(line.dir_norm > 0, "--direction",
          kind == "random" ? "the filter-normalised direction is zero (so are the weights): use "
                             "--direction min-eig"
                           : "the direction is zero");
  line.t = ts;
  const std::vector<double>& w = p.weights;
  // Slices are taken at the given point, also with --refine (the classification's point may
  // have moved; its class is reported alongside).
  line.loss = loss_along(p.model, p.data, w.data(), dir.data(), ts);
  line.vector = std::move(dir);

  if (plane_kind != "none") {
    PlaneSlice pl;
    pl.a = pl.b = symmetric_grid(spec.range, spec.plane_steps);
    std::vector<double> d1, d2;
    if (plane_kind == "random") {
      d1 = filter_normalized_direction(p.model, w.data(), spec.seed, 2);
      d2 = filter_normalized_direction(p.model, w.data(), spec.seed, 3);
      pl.direction1 = "random 1";
      pl.direction2 = "random 2";
      pl.description = "two filter-normalised random directions (Li et al. 2018), seed " +
                       std::to_string(spec.seed);
    } else {
      double l1 = 0, l2 = 0;
      d1 = eigen_direction(r, eig_index(plane_dirs[0]), "--plane", l1);
      d2 = eigen_direction(r, eig_index(plane_dirs[1]), "--plane", l2);
      pl.direction1 = plane_dirs[0];
      pl.direction2 = plane_dirs[1];
      pl.description = "Hessian eigenvectors " + plane_dirs[0] + " (eigenvalue " +
                       std::to_string(l1) + ") and " + plane_dirs[1] + " (eigenvalue " +
                       std::to_string(l2) + ")";
    }
    require(
        norm2(d1) > 0 && norm2(d2) > 0, "--plane",
        "a filter-normalised direction is zero (all weights are zero): use --plane eig:0,eig:1");
    pl.loss = loss_on_plane(p.model, p.data, w.data(), d1.data(), d2.data(), pl.a, pl.b);
    pl.vector1 = std::move(d1);
    pl.vector2 = std::move(d2);
    res.plane = std::move(pl);
  }
  return res;
}

std::optional<LineSlice> witness_slice(const Model& m, const Dataset& d, const double* w,
                                       const EndpointRecord& e, int steps) {
  if (!e.escape || !e.escape->escaped || e.escape->direction.empty()) return std::nullopt;
  const std::size_t P = m.param_count();
  double wn = 0;
  for (std::size_t k = 0; k < P; ++k) wn += w[k] * w[k];
  const double range = 2.0 * std::max(e.escape->step, 1e-3 * std::max(1.0, std::sqrt(wn)));
  LineSlice s;
  s.direction = "witness";
  s.description = "escape witness (" + e.escape->method + ")";
  s.t = symmetric_grid(range, steps);
  s.loss = loss_along(m, d, w, e.escape->direction.data(), s.t);
  s.vector = e.escape->direction;
  return s;
}

std::optional<LineSlice> min_eig_slice(const Model& m, const Dataset& d, const double* w,
                                       int steps) {
  if (dense_hessian_bytes(m) > kDefaultMaxDenseMb * 1024.0 * 1024.0) return std::nullopt;
  const Eigenpairs e = smallest_eigenpairs(m, d, w, 1);
  const std::size_t P = m.param_count();
  double wn = 0;
  for (std::size_t k = 0; k < P; ++k) wn += w[k] * w[k];
  LineSlice s;
  s.direction = "min-eig";
  s.description = "Hessian eigenvector of lambda_min";
  s.eigenvalue = e.values[0];
  s.has_eigenvalue = true;
  s.t = symmetric_grid(0.1 * std::max(1.0, std::sqrt(wn)), steps);
  s.loss = loss_along(m, d, w, e.vector(0), s.t);
  s.vector.assign(e.vector(0), e.vector(0) + P);
  return s;
}

std::vector<std::pair<long, LineSlice>> endpoint_slices(
    const Model& m, const Dataset& d, const std::vector<EndpointRecord>& endpoints,
    const std::map<long, std::vector<double>>& weights) {
  std::vector<std::pair<long, LineSlice>> out;
  for (const auto& e : endpoints) {
    const auto it = weights.find(e.index);
    if (it == weights.end()) continue;
    std::optional<LineSlice> s;
    if (e.cls == PointClass::non_strict_saddle)
      s = witness_slice(m, d, it->second.data(), e);
    else if (e.cls == PointClass::spurious_local_minimum)
      s = min_eig_slice(m, d, it->second.data());
    if (s) out.emplace_back(e.index, std::move(*s));
  }
  return out;
}

}  // namespace landscape
