// The Python package's extension module `landscape._landscape`: the library's own code paths
// (classify, Hessian, loss and gradient, slices, sample, stored endpoints) on NumPy arrays.
// Every call that computes more than a copy releases the GIL while it runs. The friendly
// signatures and the pandas side live in python/landscape/__init__.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "landscape/analysis/hessian.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/output.hpp"
#include "landscape/io/point.hpp"
#include "landscape/io/schema.hpp"
#include "landscape/io/store.hpp"
#include "landscape/math/network.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/run/slice.hpp"
#include "landscape/run/stored_point.hpp"
#include "landscape/run/sweep.hpp"

namespace py = pybind11;
using landscape::require;

namespace {

/// Float64, C-contiguous: converted (copied) only when the caller's array is not already so.
using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// A NumPy array that owns `v` (moved, not copied), of the given shape.
py::array_t<double> to_numpy(std::vector<double>&& v, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<double>(std::move(v));
  py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<double>*>(p); });
  return py::array_t<double>(shape, owned->data(), free_when_done);
}

/// Copies a 2-D array into `out` (row-major), refusing wrong shapes and non-finite numbers with
/// messages in POINT.json's words.
void read_matrix(const Array& a, int rows, int cols, const std::string& where, std::vector<double>& out) {
  require(a.ndim() == 2, where, "expected a 2-D array, got " + std::to_string(a.ndim()) + "-D");
  require(a.shape(0) == rows, where,
          "expected " + std::to_string(rows) + " rows, got " + std::to_string(a.shape(0)));
  require(a.shape(1) == cols, where,
          "expected " + std::to_string(cols) + " columns, got " + std::to_string(a.shape(1)));
  const double* p = a.data();
  for (py::ssize_t r = 0; r < rows; ++r)
    for (py::ssize_t c = 0; c < cols; ++c)
      require(std::isfinite(p[r * cols + c]), where + "[" + std::to_string(r) + "][" + std::to_string(c) + "]",
              "non-finite number");
  out.insert(out.end(), p, p + std::size_t(rows) * std::size_t(cols));
}

/// The point (model, data, weights) given as arrays: W_i of shape (d_i, d_{i−1}) as
/// nn.Linear.weight, X of shape (d0, n), Y of shape (dh, n).
landscape::Point make_point(const std::vector<Array>& weights, const Array& X, const Array& Y,
                            const std::string& family, const py::object& slope) {
  landscape::Point p;
  p.source = "point";
  p.model.family = landscape::parse_family(family, "model.family");
  if (p.model.family == landscape::Family::leaky_relu) {
    require(!slope.is_none(), "model.slope", "missing (required for leaky_relu)");
    p.model.slope = slope.cast<double>();
  } else {
    require(slope.is_none(), "model.slope", "only leaky_relu networks take a slope");
  }
  require(X.ndim() == 2, "X", "expected a 2-D array (d0, n), got " + std::to_string(X.ndim()) + "-D");
  require(!weights.empty(), "weights", "expected a list of h >= 1 weight matrices");
  p.model.dims.push_back(int(X.shape(0)));
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const std::string where = "weights[" + std::to_string(i) + "]";
    require(weights[i].ndim() == 2, where,
            "expected a 2-D array (d_i, d_{i-1}), got " + std::to_string(weights[i].ndim()) + "-D");
    p.model.dims.push_back(int(weights[i].shape(0)));
  }
  p.model.validate("model");
  p.data.d0 = p.model.dims.front();
  p.data.dh = p.model.dims.back();
  p.data.n = int(X.shape(1));
  require(p.data.n >= 1, "X", "needs at least one sample");
  read_matrix(X, p.data.d0, p.data.n, "X", p.data.X);
  read_matrix(Y, p.data.dh, p.data.n, "Y", p.data.Y);
  for (std::size_t i = 0; i < weights.size(); ++i)
    read_matrix(weights[i], p.model.dims[i + 1], p.model.dims[i], "weights[" + std::to_string(i) + "]",
                p.weights);
  return p;
}

/// POINT.json's "settings" object given as JSON text (the package writes it), read by the one
/// settings reader; text that is not JSON is a landscape::Error naming the argument, not a raw
/// nlohmann exception.
landscape::DecideSettings settings_from_text(const std::string& settings_json) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(settings_json);
  } catch (const nlohmann::json::parse_error& e) {
    throw landscape::Error(std::string("settings: not valid JSON (") + e.what() + ")");
  }
  return landscape::decide_settings_from_json(j, "settings");
}

/// The gradient (or any vector in parameter order) as one array per layer, shaped like W_i.
py::list per_layer(const std::vector<double>& v, const landscape::Model& m) {
  py::list out;
  std::size_t off = 0;
  for (int i = 1; i <= m.depth(); ++i) {
    const std::size_t rows = std::size_t(m.dims[std::size_t(i)]), cols = std::size_t(m.dims[std::size_t(i - 1)]);
    std::vector<double> block(v.begin() + std::ptrdiff_t(off), v.begin() + std::ptrdiff_t(off + rows * cols));
    out.append(to_numpy(std::move(block), {py::ssize_t(rows), py::ssize_t(cols)}));
    off += rows * cols;
  }
  return out;
}

/// `landscape.classify`: classify_single on the point, with the settings given as the JSON of
/// POINT.json's "settings"; returns `classify --json`'s text (the same codec).
std::string classify_json(const std::vector<Array>& weights, const Array& X, const Array& Y,
                          const std::string& family, const py::object& slope, const std::string& settings_json,
                          const py::object& global_loss, const std::string& backend, int restarts,
                          long restart_steps) {
  landscape::Point p = make_point(weights, X, Y, family, slope);
  const landscape::DecideSettings settings = settings_from_text(settings_json);
  if (!global_loss.is_none()) {
    p.global_loss = global_loss.cast<double>();
    require(std::isfinite(*p.global_loss), "global_loss", "non-finite number");
  }
  require(restarts >= 1 && restarts <= 1000000, "restarts", "must be in [1, 1000000]");
  require(restart_steps >= 1, "restart_steps", "must be >= 1");
  landscape::RestartSpec rs;
  rs.restarts = restarts;
  rs.steps = restart_steps;
  py::gil_scoped_release unlocked;
  auto be = landscape::make_backend(backend, 0);
  return landscape::point_report_json(landscape::classify_single(p, settings, rs, *be));
}

py::array_t<double> hessian(const std::vector<Array>& weights, const Array& X, const Array& Y,
                            const std::string& family, const py::object& slope) {
  const landscape::Point p = make_point(weights, X, Y, family, slope);
  const py::ssize_t P = py::ssize_t(p.model.param_count());
  landscape::check_point_memory(p, landscape::physical_memory_bytes());
  landscape::HessianResult h;
  {
    py::gil_scoped_release unlocked;
    h = landscape::exact_hessian(p.model, p.data, p.weights.data());
  }
  return to_numpy(std::move(h.H), {P, P});
}

py::tuple loss_and_gradient(const std::vector<Array>& weights, const Array& X, const Array& Y,
                            const std::string& family, const py::object& slope) {
  const landscape::Point p = make_point(weights, X, Y, family, slope);
  const landscape::math::Shape s = p.model.shape(p.data.n);
  std::vector<double> g(landscape::math::param_count(s)), ws(landscape::math::gradient_workspace(s));
  double loss = 0;
  {
    py::gil_scoped_release unlocked;
    loss = landscape::math::loss_and_gradient(s, p.data.X.data(), p.data.Y.data(), p.weights.data(), g.data(),
                                              ws.data());
  }
  return py::make_tuple(loss, per_layer(g, p.model));
}

/// A stream buffer that writes into a Python file object (sys.stderr), taking the GIL for each
/// flush, so the progress line shows where Python's stderr goes (a notebook included).
class PyWriteBuf : public std::streambuf {
 public:
  /// `file` may be None (sys.stderr under pythonw or a closed console): the text is dropped.
  explicit PyWriteBuf(py::object file) : m_file(std::move(file)) {}
  ~PyWriteBuf() override { sync(); }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) m_pending.push_back(char(c));
    if (c == '\n') sync();
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    m_pending.append(s, std::size_t(n));
    if (m_pending.find('\n') != std::string::npos || m_pending.find('\r') != std::string::npos) sync();
    return n;
  }
  int sync() override {
    if (m_pending.empty()) return 0;
    py::gil_scoped_acquire locked;
    if (m_file.is_none()) {
      m_pending.clear();
      return 0;
    }
    try {
      m_file.attr("write")(m_pending);
      m_file.attr("flush")();
    } catch (const py::error_already_set&) {
      // A closed or odd stderr must not stop the run; the text is dropped.
    }
    m_pending.clear();
    return 0;
  }

 private:
  py::object m_file;
  std::string m_pending;
};

/// `landscape.sample`: run_sweep on an experiment file (or its text), the progress on
/// sys.stderr; returns (exit code, database path, the summary tables).
py::tuple sample(const std::string& config_path, const py::object& config_text, const std::string& db,
                 const std::string& out_dir, const std::string& backend, int threads, bool resume, bool quiet) {
  landscape::SweepOptions opt;
  opt.config_path = config_path;
  if (!config_text.is_none()) opt.config_text = config_text.cast<std::string>();
  opt.db_path = db;
  opt.out_dir = out_dir;
  opt.backend = backend;
  opt.threads = threads;
  opt.resume = resume;
  opt.quiet = quiet;
  require(threads >= -1, "threads", "must be 0 (every core) or a positive thread count, got " + std::to_string(threads));
  py::object err_file = py::module_::import("sys").attr("stderr");
  // sys.stderr may be None or an object without isatty (a notebook's stream has one): no
  // terminal then, so the progress line is not redrawn in place.
  opt.interactive = false;
  if (!quiet && !err_file.is_none() && py::hasattr(err_file, "isatty")) {
    try {
      opt.interactive = py::bool_(err_file.attr("isatty")());
    } catch (const py::error_already_set&) {
      opt.interactive = false;
    }
  }
  std::ostringstream out;
  landscape::SweepOutcome outcome;
  int code = 0;
  {
    PyWriteBuf buf(err_file);
    std::ostream err(&buf);
    py::gil_scoped_release unlocked;
    code = landscape::run_sweep(opt, out, err, &outcome);
    err.flush();
  }
  return py::make_tuple(code, outcome.db_path, out.str());
}

/// `landscape.endpoint`'s arrays and decision context: read_stored_endpoint, and with `refined`
/// the weights its run refined the endpoint to.
py::dict stored_endpoint(const std::string& db, int cell, long net, long run, bool refined) {
  require(cell >= 0, "cell", "must be >= 0");
  require(net >= 0, "net", "must be >= 0");
  landscape::StoredEndpoint s;
  landscape::Point p;
  {
    // Reading the database and refining (Newton steps with dense Hessians) can take a while.
    py::gil_scoped_release unlocked;
    s = landscape::read_stored_endpoint(db, run, cell, net);
    p = s.point;
    if (refined) {
      const landscape::DecideSettings settings = p.settings.value_or(landscape::DecideSettings{});
      require(settings.refine.enabled, p.source,
              "refined: the run did not refine its endpoints ([refine] enabled = false)");
      p = landscape::stored_point(s, true);
    }
  }
  py::dict d;
  d["run"] = s.run_id;
  d["cell"] = s.cell_index;
  d["cell_id"] = s.cell_id;
  d["net"] = s.net_index;
  d["label"] = s.label;
  d["cell_status"] = s.cell_status;
  d["family"] = landscape::to_string(p.model.family);
  d["slope"] = p.model.family == landscape::Family::leaky_relu ? py::object(py::float_(p.model.slope)) : py::none();
  d["dims"] = p.model.dims;
  d["weights"] = per_layer(p.weights, p.model);
  d["X"] = to_numpy(std::move(p.data.X), {p.data.d0, p.data.n});
  d["Y"] = to_numpy(std::move(p.data.Y), {p.data.dh, p.data.n});
  d["settings"] = p.settings ? landscape::decide_settings_to_json(*p.settings).dump() : std::string("{}");
  d["global_loss"] = s.global_loss ? py::object(py::float_(*s.global_loss)) : py::none();
  d["global_loss_kind"] = s.global_loss_kind;
  d["point_global_loss"] = p.global_loss ? py::object(py::float_(*p.global_loss)) : py::none();
  d["class"] = s.cls ? py::object(py::str(*s.cls)) : py::none();
  d["raw_class"] = s.raw_class ? py::object(py::str(*s.raw_class)) : py::none();
  d["train_status"] = s.train_status;
  return d;
}

/// `landscape point`'s POINT.json text for a stored endpoint.
std::string point_json(const std::string& db, int cell, long net, long run, bool refined) {
  require(cell >= 0, "cell", "must be >= 0");
  require(net >= 0, "net", "must be >= 0");
  py::gil_scoped_release unlocked;
  return landscape::point_to_json(landscape::stored_point(landscape::read_stored_endpoint(db, run, cell, net), refined));
}

/// What to slice, as `landscape slice` takes it; `direction_vector` (None or P numbers) is a
/// direction given as numbers, which `direction` then names.
landscape::SliceSpec slice_spec(const std::string& direction, const py::object& direction_vector,
                                const std::string& plane, double range, int steps, int plane_steps,
                                std::uint64_t seed) {
  landscape::SliceSpec spec;
  spec.direction = direction;
  spec.plane = plane;
  spec.range = range;
  spec.steps = steps;
  spec.plane_steps = plane_steps;
  spec.seed = seed;
  require(steps <= 100000, "steps", "at most 100000 points along the line");
  require(plane_steps <= 2000, "plane_steps", "at most 2000 points per side of the plane");
  if (!direction_vector.is_none()) {
    const Array v = direction_vector.cast<Array>();
    require(v.ndim() == 1, "direction", "expected P numbers in parameter order (a 1-D array)");
    spec.direction_vector = std::vector<double>(v.data(), v.data() + v.size());
  }
  return spec;
}

/// slice_point on `p` (the GIL released), as a dict of NumPy arrays: the line (t, loss, the
/// direction), the plane (a, b, the loss grid of shape (len(b), len(a)), both directions) or
/// None, and the classification as `classify --json`'s text.
py::dict slice_dict(const landscape::Point& p, const landscape::DecideSettings& settings,
                    const landscape::SliceSpec& spec, const std::string& backend, double max_dense_mb) {
  require(max_dense_mb > 0 && std::isfinite(max_dense_mb), "max_dense_mb", "must be finite and > 0");
  landscape::PointOptions options;
  options.max_dense_mb = max_dense_mb;
  landscape::SliceResult r;
  std::string report;
  {
    py::gil_scoped_release unlocked;
    auto be = landscape::make_backend(backend, 0);
    r = landscape::slice_point(p, spec, settings, landscape::RestartSpec{}, *be, options);
    report = landscape::point_report_json(r.report);
  }
  const py::ssize_t P = py::ssize_t(p.model.param_count());
  py::dict line;
  line["direction"] = r.line.direction;
  line["description"] = r.line.description;
  line["t"] = to_numpy(std::move(r.line.t), {py::ssize_t(spec.steps)});
  line["loss"] = to_numpy(std::move(r.line.loss), {py::ssize_t(spec.steps)});
  line["eigenvalue"] = r.line.has_eigenvalue ? py::object(py::float_(r.line.eigenvalue)) : py::none();
  line["direction_norm"] = r.line.dir_norm;
  line["vector"] = to_numpy(std::move(r.line.vector), {P});
  py::dict d;
  d["line"] = line;
  if (r.plane) {
    landscape::PlaneSlice& pl = *r.plane;
    const py::ssize_t na = py::ssize_t(pl.a.size()), nb = py::ssize_t(pl.b.size());
    py::dict plane;
    plane["direction1"] = pl.direction1;
    plane["direction2"] = pl.direction2;
    plane["description"] = pl.description;
    plane["a"] = to_numpy(std::move(pl.a), {na});
    plane["b"] = to_numpy(std::move(pl.b), {nb});
    plane["loss"] = to_numpy(std::move(pl.loss), {nb, na});
    plane["vector1"] = to_numpy(std::move(pl.vector1), {P});
    plane["vector2"] = to_numpy(std::move(pl.vector2), {P});
    d["plane"] = plane;
  } else {
    d["plane"] = py::none();
  }
  d["classification"] = report;
  d["dims"] = p.model.dims;
  return d;
}

/// `landscape.slice` on a point given as arrays.
py::dict slice_arrays(const std::vector<Array>& weights, const Array& X, const Array& Y, const std::string& family,
                      const py::object& slope, const std::string& settings_json, const py::object& global_loss,
                      const std::string& direction, const py::object& direction_vector, const std::string& plane,
                      double range, int steps, int plane_steps, std::uint64_t seed, const std::string& backend,
                      double max_dense_mb) {
  landscape::Point p = make_point(weights, X, Y, family, slope);
  if (!global_loss.is_none()) {
    p.global_loss = global_loss.cast<double>();
    require(std::isfinite(*p.global_loss), "global_loss", "non-finite number");
  }
  const landscape::DecideSettings settings = settings_from_text(settings_json);
  return slice_dict(p, settings,
                    slice_spec(direction, direction_vector, plane, range, steps, plane_steps, seed),
                    backend, max_dense_mb);
}

/// `landscape.slice` on a stored endpoint: the point `landscape point` writes for it, with its
/// cell's settings, as `landscape slice DB --cell C --net I` slices it.
py::dict slice_stored(const std::string& db, int cell, long net, long run, bool refined,
                      const std::string& direction, const py::object& direction_vector, const std::string& plane,
                      double range, int steps, int plane_steps, std::uint64_t seed, const std::string& backend,
                      double max_dense_mb) {
  require(cell >= 0, "cell", "must be >= 0");
  require(net >= 0, "net", "must be >= 0");
  const landscape::SliceSpec spec =
      slice_spec(direction, direction_vector, plane, range, steps, plane_steps, seed);
  landscape::Point p;
  {
    py::gil_scoped_release unlocked;
    p = landscape::stored_point(landscape::read_stored_endpoint(db, run, cell, net), refined);
  }
  const landscape::DecideSettings settings = p.settings.value_or(landscape::DecideSettings{});
  return slice_dict(p, settings, spec, backend, max_dense_mb);
}

}  // namespace

PYBIND11_MODULE(_landscape, m) {
  m.doc() = "landscape's C++ library (use the functions of the landscape package)";
  // Every landscape::Error, with its message as the command line prints it after "error: ".
  py::register_exception<landscape::Error>(m, "Error", PyExc_ValueError);
  m.attr("__version__") = LANDSCAPE_VERSION;
  m.attr("SCHEMA_VERSION") = landscape::kSchemaVersion;
  m.def("classify_json", &classify_json, py::arg("weights"), py::arg("X"), py::arg("Y"), py::arg("family"),
        py::arg("slope"), py::arg("settings_json"), py::arg("global_loss"), py::arg("backend"),
        py::arg("restarts"), py::arg("restart_steps"));
  m.def("hessian", &hessian, py::arg("weights"), py::arg("X"), py::arg("Y"), py::arg("family"),
        py::arg("slope"));
  m.def("loss_and_gradient", &loss_and_gradient, py::arg("weights"), py::arg("X"), py::arg("Y"),
        py::arg("family"), py::arg("slope"));
  m.def("sample", &sample, py::arg("config_path"), py::arg("config_text"), py::arg("db"), py::arg("out_dir"),
        py::arg("backend"), py::arg("threads"), py::arg("resume"), py::arg("quiet"));
  m.def("stored_endpoint", &stored_endpoint, py::arg("db"), py::arg("cell"), py::arg("net"), py::arg("run"),
        py::arg("refined"));
  m.def("slice_arrays", &slice_arrays, py::arg("weights"), py::arg("X"), py::arg("Y"), py::arg("family"),
        py::arg("slope"), py::arg("settings_json"), py::arg("global_loss"), py::arg("direction"),
        py::arg("direction_vector"), py::arg("plane"), py::arg("range"), py::arg("steps"),
        py::arg("plane_steps"), py::arg("seed"), py::arg("backend"), py::arg("max_dense_mb"));
  m.def("slice_stored", &slice_stored, py::arg("db"), py::arg("cell"), py::arg("net"), py::arg("run"),
        py::arg("refined"), py::arg("direction"), py::arg("direction_vector"), py::arg("plane"),
        py::arg("range"), py::arg("steps"), py::arg("plane_steps"), py::arg("seed"), py::arg("backend"),
        py::arg("max_dense_mb"));
  m.attr("DEFAULT_MAX_DENSE_MB") = landscape::kDefaultMaxDenseMb;
  m.def("point_json", &point_json, py::arg("db"), py::arg("cell"), py::arg("net"), py::arg("run"),
        py::arg("refined"));
}
