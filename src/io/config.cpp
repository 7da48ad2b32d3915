// TOML experiment files: strict parsing (unknown keys and wrong types are errors) with defaults.
#include "landscape/io/config.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "landscape/core/common.hpp"
#include "landscape/io/settings_keys.hpp"

namespace landscape {
namespace {

std::string sweepable_keys();

/// Reads keys from one TOML table, remembering which were used so leftovers can be reported.
class TableReader {
 public:
  /// `original` is the same table as parsed from the file, for line numbers: a sweep cell's
  /// table is a copy, and copies of TOML nodes carry no source position.
  TableReader(const toml::table* t, std::string prefix, std::string source,
              const toml::table* original = nullptr)
      : m_t(t), m_orig(original ? original : t), m_prefix(std::move(prefix)),
        m_source(std::move(source)) {}

  std::string where(const std::string& key) const {
    std::string w = m_source + ": " + (m_prefix.empty() ? key : m_prefix + "." + key);
    for (const toml::table* t : {m_t, m_orig}) {
      const toml::node* n = t ? t->get(key) : nullptr;
      if (n && n->source().begin.line > 0) {
        w += " (line " + std::to_string(n->source().begin.line) + ")";
        break;
      }
    }
    return w;
  }

  const toml::node* get(const std::string& key) {
    m_used.insert(key);
    return m_t ? m_t->get(key) : nullptr;
  }
  /// A scalar key: get(key), refusing a list (only the sweep keys take lists of alternatives,
  /// and expand_sweep has replaced those by one value each).
  const toml::node* scalar(const std::string& key) {
    const toml::node* n = get(key);
    if (n && n->is_array())
      throw Error(where(key) + ": a list of alternatives, but this key cannot be swept (keys that can: " +
                  sweepable_keys() + ")");
    return n;
  }

  void number(const std::string& key, double& out) {
    if (const toml::node* n = scalar(key)) {
      if (auto v = n->value_exact<double>()) out = *v;
      else if (auto i = n->value_exact<std::int64_t>()) out = double(*i);
      else throw Error(where(key) + ": expected a number");
      require(std::isfinite(out), where(key), "must be finite");
    }
  }
  void positive(const std::string& key, double& out) {
    number(key, out);
    require(out > 0, where(key), "must be > 0");
  }
  template <class I>
  void integer(const std::string& key, I& out, long long min_value) {
    if (const toml::node* n = scalar(key)) {
      auto i = n->value_exact<std::int64_t>();
      require(bool(i), where(key), "expected an integer");
      require(*i >= min_value, where(key), "must be >= " + std::to_string(min_value));
      // The struct field may be narrower than TOML's 64-bit integers: refuse what would wrap.
      require(*i <= static_cast<long long>(std::numeric_limits<I>::max()),
              where(key), "must be <= " + std::to_string(std::numeric_limits<I>::max()));
      out = static_cast<I>(*i);
    }
  }
  void boolean(const std::string& key, bool& out) {
    if (const toml::node* n = scalar(key)) {
      auto b = n->value_exact<bool>();
      require(bool(b), where(key), "expected true or false");
      out = *b;
    }
  }
  void string(const std::string& key, std::string& out) {
    if (const toml::node* n = scalar(key)) {
      auto s = n->value_exact<std::string>();
      require(bool(s), where(key), "expected a string");
      out = *s;
    }
  }
  void int_list(const std::string& key, std::vector<int>& out) {
    if (const toml::node* n = get(key)) {
      const toml::array* a = n->as_array();
      require(a != nullptr, where(key), "expected an array of integers");
      out.clear();
      for (std::size_t k = 0; k < a->size(); ++k) {
        auto i = (*a)[k].value_exact<std::int64_t>();
        require(bool(i), where(key), "element " + std::to_string(k) + " is not an integer");
        require(*i >= 1 && *i <= 1000000, where(key),
                "element " + std::to_string(k) + " must be a positive width, got " +
                    std::to_string(*i));
        out.push_back(int(*i));
      }
    }
  }
  /// Errors on any key of the table that was never asked for.
  void finish() const {
    if (!m_t) return;
    for (const auto& [k, v] : *m_t) {
      const std::string key(k.str());
      if (!m_used.count(key))
        throw Error(where(key) + ": unknown key (see README for the documented keys)");
    }
  }

 private:
  const toml::table* m_t;
  const toml::table* m_orig;
  std::string m_prefix, m_source;
  std::set<std::string> m_used;
};

const toml::table* subtable(const toml::table& root, const std::string& key,
                            const std::string& source) {
  const toml::node* n = root.get(key);
  if (!n) return nullptr;
  require(n->is_table(), source + ": [" + key + "]", "expected a table");
  return n->as_table();
}

}  // namespace

math::OptimizerKind parse_optimizer(const std::string& s, const std::string& where) {
  if (s == "gd") return math::OptimizerKind::gd;
  if (s == "momentum") return math::OptimizerKind::momentum;
  if (s == "adam") return math::OptimizerKind::adam;
  throw Error(where + ": unknown optimizer '" + s + "' (expected gd, momentum or adam)");
}

namespace {

toml::table parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << source << ":" << e.source().begin.line << ":" << e.source().begin.column
       << ": TOML syntax error: " << e.description();
    throw Error(os.str());
  }
}

ExperimentConfig parse_config_table(const toml::table& root, const std::string& source,
                                    const toml::table& original);

/// Keys that may hold a list of alternatives; the grid is their Cartesian product, in this order.
/// `dims` sweeps when it is a list of lists.
constexpr const char* kSweepKeys[][2] = {
    {"model", "family"}, {"model", "dims"},      {"model", "slope"},      {"data", "n"},
    {"data", "x_rank"},  {"data", "y_rank"},     {"data", "y"},           {"data", "noise"},
    {"data", "seed"},    {"init", "scale"},   {"init", "small"},      {"train", "optimizer"},  {"train", "lr"},
    {"train", "steps"},  {"train", "precision"}};

std::string sweepable_keys() {
  std::string s;
  for (const auto& k : kSweepKeys) s += (s.empty() ? "" : ", ") + std::string(k[0]) + "." + k[1];
  return s;
}

std::string node_text(const toml::node& n) {
  std::ostringstream os;
  if (auto s = n.value_exact<std::string>()) os << *s;
  else if (auto d = n.value_exact<double>()) os << format_shortest(*d, true);  // "0.1", "2.0", "1e-07"
  else if (const toml::array* a = n.as_array()) {
    os << "[";
    for (std::size_t i = 0; i < a->size(); ++i) os << (i ? "," : "") << node_text((*a)[i]);
    os << "]";
  } else {
    n.visit([&](const auto& v) { os << v; });
  }
  return os.str();
}

/// One swept value of a cell, typed after its TOML node (already checked by parse_config_table).
SweptValue swept_value(const std::string& name, const toml::node& n) {
  SweptValue v;
  v.name = name;
  v.text = node_text(n);
  if (auto d = n.value_exact<double>()) {
    v.kind = SweptValue::Kind::real;
    v.real = *d;
  } else if (auto i = n.value_exact<std::int64_t>()) {
    v.kind = SweptValue::Kind::integer;
    v.integer = *i;
  } else if (auto b = n.value_exact<bool>()) {
    v.kind = SweptValue::Kind::boolean;
    v.boolean = *b;
  } else if (const toml::array* a = n.as_array()) {
    v.kind = SweptValue::Kind::integers;
    for (const toml::node& e : *a) v.integers.push_back(e.value_exact<std::int64_t>().value_or(0));
  }
  return v;
}

}  // namespace

std::vector<SweepCell> expand_sweep(const std::string& text, const std::string& source) {
  const toml::table root = parse_toml(text, source);
  struct Axis {
    std::string table, key;
    const toml::array* values;
  };
  std::vector<Axis> axes;
  for (const auto& k : kSweepKeys) {
    const toml::table* t = root.get(k[0]) ? root.get(k[0])->as_table() : nullptr;
    const toml::node* n = t ? t->get(k[1]) : nullptr;
    const toml::array* a = n ? n->as_array() : nullptr;
    if (!a) continue;
    const bool is_dims = std::string(k[1]) == "dims";
    if (is_dims && (a->empty() || !(*a)[0].is_array())) continue;  // one architecture
    require(!a->empty(), source + ": " + k[0] + "." + k[1], "an empty list of alternatives");
    // The same alternative twice would run identical cells (twice the work, counted twice).
    std::set<std::string> seen;
    for (const toml::node& v : *a) {
      const std::string value = node_text(v);
      require(seen.insert(value).second,
              source + ": " + k[0] + "." + k[1] + " (line " + std::to_string(v.source().begin.line) + ")",
              "lists " + value + " twice: every alternative must differ");
    }
    axes.push_back({k[0], k[1], a});
  }
  std::vector<SweepCell> cells;
  std::vector<std::size_t> pos(axes.size(), 0);
  while (true) {
    toml::table t = root;
    std::string label;
    SweepCell cell;
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const toml::node& v = (*axes[i].values)[pos[i]];
      toml::table* sub = t.get(axes[i].table)->as_table();
      sub->insert_or_assign(axes[i].key, v);
      // data.seed is labelled data_seed: a bare "seed" would read as the experiment's.
      const std::string name = axes[i].key == "seed" ? "data_seed" : axes[i].key;
      if (axes[i].values->size() > 1) {
        label += (label.empty() ? "" : " ") + name + "=" + node_text(v);
        cell.swept.push_back(swept_value(name, v));
      }
    }
    const std::string where = axes.empty() ? source : source + " [cell " + std::to_string(cells.size()) +
                                                         (label.empty() ? "" : ": " + label) + "]";
    cell.config = parse_config_table(t, where, root);
    cell.config.source = source;
    cell.label = label.empty() ? cell.config.name : label;
    cells.push_back(std::move(cell));
    std::size_t i = 0;
    for (; i < axes.size(); ++i) {
      if (++pos[i] < axes[i].values->size()) break;
      pos[i] = 0;
    }
    if (i == axes.size()) break;
  }
  // y may be swept, so a y_file is checked against every cell: some cell must read it.
  const toml::table* data = root.get("data") ? root.get("data")->as_table() : nullptr;
  if (const toml::node* yf = data ? data->get("y_file") : nullptr) {
    bool used = false;
    for (const auto& c : cells) used = used || c.config.data.y == TargetKind::csv;
    require(used, source + ": data.y_file (line " + std::to_string(yf->source().begin.line) + ")",
            "given, but data.y is not \"csv\" in any cell: set y = \"csv\" to read Y from it");
  }
  return cells;
}

ExperimentConfig parse_config(const std::string& text, const std::string& source) {
  const std::vector<SweepCell> cells = expand_sweep(text, source);
  require(cells.size() == 1, source, "describes a sweep of " + std::to_string(cells.size()) +
                                         " cells where one experiment was expected");
  return cells.front().config;
}

namespace {

/// [experiment]: name, network count, seeds, backend, threads, chunk.
void read_experiment(TableReader ex, ExperimentConfig& c) {
  ex.string("name", c.name);
  ex.integer("networks", c.networks, 1);
  long long seed = 1;
  ex.integer("seed", seed, 0);
  c.seed = std::uint64_t(seed);
  ex.string("backend", c.backend);
  require(c.backend == "auto" || c.backend == "cpu" || c.backend == "cuda", ex.where("backend"),
          "expected \"auto\", \"cpu\" or \"cuda\"");
  ex.integer("threads", c.threads, 0);
  check_threads(c.threads, ex.where("threads"));
  ex.integer("chunk", c.chunk, 0);
  ex.finish();
}

/// [model]: family and dims (both required), slope for leaky-ReLU networks; then validated.
void read_model(const toml::table& root, const toml::table& original, const std::string& source,
                Model& model) {
  const toml::table* mt = subtable(root, "model", source);
  require(mt != nullptr, source, "missing [model] table (family and dims are required)");
  TableReader mo(mt, "model", source, subtable(original, "model", source));
  std::string family = "linear";
  require(mt->get("family") != nullptr, mo.where("family"), "missing (\"linear\" or \"leaky_relu\")");
  mo.string("family", family);
  model.family = parse_family(family, mo.where("family"));
  require(mt->get("dims") != nullptr, mo.where("dims"), "missing (e.g. dims = [4, 3, 4])");
  mo.int_list("dims", model.dims);
  if (model.family == Family::leaky_relu) {
    model.slope = 0.1;
    mo.number("slope", model.slope);
  } else if (mt->get("slope")) {
    throw Error(mo.where("slope") + ": only leaky_relu networks take a slope");
  }
  mo.finish();
  model.validate(source + ": model");
}

/// [data]: sample count, input and target kinds, ranks, noise, seed, CSV files (made relative
/// to the config file). Needs the model's dims for the rank check.
void read_data(TableReader da, const Model& model, const std::string& source, DataSpec& data) {
  da.integer("n", data.n, 1);
  std::string x = "gaussian", y = "gaussian";
  da.string("x", x);
  da.string("y", y);
  if (x == "gaussian") data.x = InputKind::gaussian;
  else if (x == "csv") data.x = InputKind::csv;
  else throw Error(da.where("x") + ": expected \"gaussian\" or \"csv\", got '" + x + "'");
  if (y == "gaussian") data.y = TargetKind::gaussian;
  else if (y == "teacher") data.y = TargetKind::teacher;
  else if (y == "csv") data.y = TargetKind::csv;
  else throw Error(da.where("y") + ": expected \"gaussian\", \"teacher\" or \"csv\", got '" + y + "'");
  da.integer("x_rank", data.x_rank, 0);
  da.integer("y_rank", data.y_rank, 0);
  da.number("noise", data.noise);
  da.integer("seed", data.seed, 0);
  require(data.noise >= 0, da.where("noise"), "must be >= 0");
  da.positive("teacher_scale", data.teacher_scale);
  da.string("x_file", data.x_file);
  da.string("y_file", data.y_file);
  require(data.x != InputKind::csv || !data.x_file.empty(), da.where("x_file"),
          "required when x = \"csv\"");
  require(data.y != TargetKind::csv || !data.y_file.empty(), da.where("y_file"),
          "required when y = \"csv\"");
  require(data.x == InputKind::csv || data.x_file.empty(), da.where("x_file"),
          "given, but data.x is \"gaussian\": set x = \"csv\" to read X from it");
  // A rank above min(rows, samples) cannot be drawn: refuse it here, with the line. With X
  // from a CSV file the sample count is the file's, and make_dataset checks the ranks then.
  if (data.x == InputKind::gaussian)
    check_data_ranks(data, model.dims.front(), model.dims.back(), data.n, da.where("x_rank"),
                     da.where("y_rank"));
  da.finish();
  // CSV paths are relative to the config file.
  const auto dir_of = [&](const std::string& p) {
    if (p.empty() || p[0] == '/') return p;
    const auto slash = source.find_last_of('/');
    return slash == std::string::npos ? p : source.substr(0, slash + 1) + p;
  };
  data.x_file = dir_of(data.x_file);
  data.y_file = dir_of(data.y_file);
}

/// [init]: scale and the small-initialisation switch.
void read_init(TableReader in, InitSpec& init) {
  in.positive("scale", init.scale);
  in.boolean("small", init.small);
  in.positive("small_factor", init.small_factor);
  in.finish();
}

/// [train]: optimizer and its constants, steps, precision, stopping and divergence thresholds.
void read_train(TableReader tr, TrainSpec& train) {
  tr.string("optimizer", train.optimizer);
  parse_optimizer(train.optimizer, tr.where("optimizer"));
  tr.positive("lr", train.lr);
  tr.number("momentum", train.momentum);
  require(train.momentum >= 0 && train.momentum < 1, tr.where("momentum"), "must be in [0, 1)");
  tr.number("beta1", train.beta1);
  require(train.beta1 >= 0 && train.beta1 < 1, tr.where("beta1"), "must be in [0, 1)");
  tr.number("beta2", train.beta2);
  require(train.beta2 >= 0 && train.beta2 < 1, tr.where("beta2"), "must be in [0, 1)");
  tr.positive("eps", train.eps);
  tr.integer("steps", train.steps, 1);
  std::string prec = "float64";
  tr.string("precision", prec);
  if (prec == "float64") train.precision = Precision::f64;
  else if (prec == "float32") train.precision = Precision::f32;
  else throw Error(tr.where("precision") + ": expected \"float32\" or \"float64\", got '" + prec + "'");
  tr.number("grad_tol", train.grad_tol);
  require(train.grad_tol >= 0, tr.where("grad_tol"), "must be >= 0");
  tr.positive("diverge_factor", train.diverge_factor);
  tr.boolean("compress", train.compress);
  tr.finish();
}

/// [classify], [refine] and [escape]: the decision settings, with the keys and bounds that
/// POINT.json's "settings" also takes (io/settings_keys.hpp).
void read_classify(TableReader cl, DecideSettings& decide) {
  classify_keys(cl, decide);
  cl.finish();
}

void read_refine(TableReader rf, RefineSpec& refine) {
  refine_keys(rf, refine);
  rf.finish();
}

void read_escape(TableReader es, EscapeSpec& e) {
  escape_keys(es, e);
  es.finish();
}

/// [output]: folder, database, and what is stored besides the endpoints.
void read_output(TableReader ou, OutputSpec& output) {
  ou.string("dir", output.dir);
  require(!output.dir.empty(), ou.where("dir"), "must not be empty");
  ou.string("db", output.db);
  ou.boolean("spectrum", output.spectrum);
  ou.boolean("curves", output.curves);
  ou.integer("curve_points", output.curve_points, 2);
  ou.boolean("weights", output.weights);
  ou.finish();
}

/// One experiment from its (sweep-free) table; `original` is the table as parsed from the file,
/// for line numbers. Sections are read in a fixed order: [data] needs the validated [model].
ExperimentConfig parse_config_table(const toml::table& root, const std::string& source,
                                    const toml::table& original) {
  ExperimentConfig c;
  c.source = source;

  const auto reader = [&](const char* name) {
    return TableReader(subtable(root, name, source), name, source, subtable(original, name, source));
  };
  TableReader top(&root, "", source, &original);
  for (const char* t : {"experiment", "model", "data", "init", "train", "classify", "refine",
                        "escape", "output"})
    top.get(t);
  top.finish();

  read_experiment(reader("experiment"), c);
  read_model(root, original, source, c.model);
  read_data(reader("data"), c.model, source, c.data);
  read_init(reader("init"), c.init);
  read_train(reader("train"), c.train);
  read_classify(reader("classify"), c.decide);
  read_refine(reader("refine"), c.decide.refine);
  read_escape(reader("escape"), c.decide.escape);
  read_output(reader("output"), c.output);
  return c;
}

}  // namespace


TrainSettings make_train_settings(const TrainSpec& t, double loss_scale) {
  TrainSettings s;
  s.precision = t.precision;
  s.params.kind = parse_optimizer(t.optimizer, "train.optimizer");
  s.params.lr = t.lr;
  s.params.momentum = t.momentum;
  s.params.beta1 = t.beta1;
  s.params.beta2 = t.beta2;
  s.params.eps = t.eps;
  s.params.max_steps = t.steps;
  s.params.grad_tol = t.grad_tol * loss_scale;
  s.params.diverge_loss = t.diverge_factor * loss_scale;
  s.compress = t.compress;
  return s;
}

void enable_curves(TrainSettings& s, long steps, int points) {
  s.params.curve_every = int(std::max<long>(1, steps / std::max(1, points - 1)));
  s.params.curve_len = int(steps / s.params.curve_every + 1);
}

}  // namespace landscape
