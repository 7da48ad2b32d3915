// The JSON codec of the stored record shapes (see codec.hpp): every key written into the
// database's details and prediction columns and into summary.json's theory and run is spelled here.
#include "landscape/io/codec.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "landscape/analysis/theory.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/settings_keys.hpp"

namespace landscape {
namespace {

using json = nlohmann::json;

/// The value at `key`, or nullptr where it is absent or null.
const json* part(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

json optional_bool(const std::optional<bool>& b) { return b ? json(*b) : json(nullptr); }

std::optional<bool> optional_bool_from(const json& j, const char* key) {
  const json* v = part(j, key);
  return v ? std::optional<bool>(v->get<bool>()) : std::nullopt;
}

json refined_to_json(const RefineSummary& r) {
  return {{"converged", r.converged},
          {"n_negative_before", r.spectrum_before.n_negative},
          {"iterations", r.iterations},
          {"distance", number_to_json(r.distance)},
          {"grad_norm_before", number_to_json(r.grad_norm_before)},
          {"grad_norm_after", number_to_json(r.grad_norm_after)},
          {"loss_before", number_to_json(r.loss_before)},
          {"loss_after", number_to_json(r.loss_after)},
          {"class_before", to_string(r.class_before)}};
}

RefineSummary refined_from_json(const json& j) {
  RefineSummary r;
  r.converged = j.at("converged").get<bool>();
  r.iterations = j.at("iterations").get<int>();
  r.distance = number_from_json(j.at("distance"));
  r.grad_norm_before = number_from_json(j.at("grad_norm_before"));
  r.grad_norm_after = number_from_json(j.at("grad_norm_after"));
  r.loss_before = number_from_json(j.at("loss_before"));
  r.loss_after = number_from_json(j.at("loss_after"));
  r.spectrum_before.n_negative = j.value("n_negative_before", 0);
  if (const json* c = part(j, "class_before"))
    r.class_before = parse_point_class(c->get<std::string>());
  return r;
}

json escape_to_json(const EscapeResult& e, bool with_direction) {
  json j = {{"escaped", e.escaped},
            {"loss_drop", number_to_json(e.loss_drop)},
            {"method", e.escaped ? json(e.method) : json(nullptr)},
            {"step", e.escaped ? number_to_json(e.step) : json(nullptr)},
            {"probes", e.probes},
            {"descent_steps", e.descent_steps},
            {"null_space_dim", e.null_space_dim}};
  if (with_direction && e.escaped) j["direction"] = e.direction;
  return j;
}

EscapeResult escape_from_json(const json& j) {
  EscapeResult e;
  e.escaped = j.at("escaped").get<bool>();
  e.loss_drop = number_from_json(j.at("loss_drop"));
  if (const json* m = part(j, "method")) e.method = m->get<std::string>();
  if (e.escaped) e.step = number_from_json(j.at("step"));
  e.probes = j.at("probes").get<long>();
  e.descent_steps = j.at("descent_steps").get<long>();
  e.null_space_dim = j.at("null_space_dim").get<int>();
  if (const json* d = part(j, "direction")) e.direction = d->get<std::vector<double>>();
  return e;
}

json symmetry_to_json(const SymmetryInfo& s) {
  return {{"orbit_dim", s.orbit_dim},
          {"orbit_dim_max", s.orbit_dim_max},
          {"data_null_dim", s.data_null_dim},
          {"near_zero_eigenvalues", s.near_zero},
          {"excess_degeneracy", s.excess},
          {"normal_margin", number_to_json(s.normal_margin)},
          {"spectrum_error", number_to_json(s.spectrum_error)}};
}

json dynamics_to_json(const DynamicsInfo& d) {
  return {{"initial_loss", number_to_json(d.initial_loss)},
          {"escape_step", d.escape_step >= 0 ? json(d.escape_step) : json(nullptr)},
          {"loss_drop", number_to_json(d.loss_drop)},
          {"late_loss", number_to_json(d.late_loss)},
          {"on_plateau", d.on_plateau},
          {"still_descending", d.still_descending},
          {"state", d.label()}};
}

DynamicsInfo dynamics_from_json(const json& j) {
  DynamicsInfo d;
  d.initial_loss = number_from_json(j.at("initial_loss"));
  const json* st = part(j, "escape_step");
  d.escape_step = st ? st->get<long>() : -1;
  d.loss_drop = number_from_json(j.at("loss_drop"));
  d.late_loss = number_from_json(j.at("late_loss"));
  d.on_plateau = j.at("on_plateau").get<bool>();
  d.still_descending = j.at("still_descending").get<bool>();
  return d;
}

json certificate_to_json(const MinimumCertificate& c) {
  return {{"status", c.status},
          {"certified", c.certified()},
          {"margin", number_to_json(c.margin)},
          {"error_bound", number_to_json(c.error_bound)}};
}

MinimumCertificate certificate_from_json(const json& j) {
  MinimumCertificate c;
  c.status = j.at("status").get<std::string>();
  c.margin = number_from_json(j.at("margin"));
  c.error_bound = number_from_json(j.at("error_bound"));
  return c;
}

SymmetryInfo symmetry_from_json(const json& j) {
  SymmetryInfo s;
  s.orbit_dim = j.at("orbit_dim").get<int>();
  s.orbit_dim_max = j.at("orbit_dim_max").get<int>();
  s.data_null_dim = j.value("data_null_dim", 0);  // absent in records written before it existed
  s.near_zero = j.at("near_zero_eigenvalues").get<int>();
  s.excess = j.at("excess_degeneracy").get<int>();
  if (const auto it = j.find("normal_margin"); it != j.end()) s.normal_margin = number_from_json(*it);
  if (const auto it = j.find("spectrum_error"); it != j.end()) s.spectrum_error = number_from_json(*it);
  return s;
}

json openness_to_json(const OpennessInfo& o) {
  json partial = json::array();
  for (const auto& p : o.partial)
    partial.push_back({{"from", p.from}, {"to", p.to}, {"rank", p.rank}});
  json j = {{"layer_ranks", o.layer_ranks},
            {"product_rank", o.product_rank},
            {"min_width", o.min_width},
            {"partial_products", partial}};
  j["non_degenerate"] = optional_bool(o.non_degenerate);
  j["locally_open"] = optional_bool(o.locally_open);
  if (o.locally_open) j["openness_rule"] = o.openness_rule;
  j["all_full_row_rank"] = optional_bool(o.all_full_row_rank);
  return j;
}

OpennessInfo openness_from_json(const json& j) {
  OpennessInfo o;
  o.layer_ranks = j.at("layer_ranks").get<std::vector<int>>();
  o.product_rank = j.at("product_rank").get<int>();
  o.min_width = j.at("min_width").get<int>();
  for (const auto& p : j.at("partial_products"))
    o.partial.push_back({p.at("from").get<int>(), p.at("to").get<int>(), p.at("rank").get<int>()});
  o.non_degenerate = optional_bool_from(j, "non_degenerate");
  o.locally_open = optional_bool_from(j, "locally_open");
  if (o.locally_open) o.openness_rule = j.value("openness_rule", "");
  o.all_full_row_rank = optional_bool_from(j, "all_full_row_rank");
  return o;
}

/// The claim's keys, shared by a claim and an observation.
void put_claim(json& j, const Claim& c) {
  j["id"] = c.id;
  j["source"] = c.source;
  j["statement"] = c.statement;
  j["kind"] = to_string(c.kind);
  j["classes"] = c.classes;
  j["scope"] = to_string(c.scope);
  j["why"] = c.why;
}

template <class T>
std::vector<T> parse_array(const std::string& text) {
  return json::parse(text).get<std::vector<T>>();
}

}  // namespace

json number_to_json(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

double number_from_json(const json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

json details_to_json(const EndpointRecord& e, bool with_direction) {
  json j;
  j["refined"] = e.refined ? refined_to_json(*e.refined) : json(nullptr);
  j["escape"] = e.escape ? escape_to_json(*e.escape, with_direction) : json(nullptr);
  j["symmetry"] = e.symmetry ? symmetry_to_json(*e.symmetry) : json(nullptr);
  j["openness"] = e.openness ? openness_to_json(*e.openness) : json(nullptr);
  j["dynamics"] = e.dynamics ? dynamics_to_json(*e.dynamics) : json(nullptr);
  j["certificate"] = e.minimum ? certificate_to_json(*e.minimum) : json(nullptr);
  return j;
}

void details_from_json(const json& j, EndpointRecord& e) {
  const json* r = part(j, "refined");
  const json* x = part(j, "escape");
  const json* s = part(j, "symmetry");
  const json* o = part(j, "openness");
  e.refined = r ? std::optional<RefineSummary>(refined_from_json(*r)) : std::nullopt;
  e.escape = x ? std::optional<EscapeResult>(escape_from_json(*x)) : std::nullopt;
  e.symmetry = s ? std::optional<SymmetryInfo>(symmetry_from_json(*s)) : std::nullopt;
  e.openness = o ? std::optional<OpennessInfo>(openness_from_json(*o)) : std::nullopt;
  const json* dy = part(j, "dynamics");
  const json* ce = part(j, "certificate");
  e.dynamics = dy ? std::optional<DynamicsInfo>(dynamics_from_json(*dy)) : std::nullopt;
  e.minimum = ce ? std::optional<MinimumCertificate>(certificate_from_json(*ce)) : std::nullopt;
}

std::string dump_details(const EndpointRecord& e) { return details_to_json(e, false).dump(); }

void parse_details(const std::string& text, EndpointRecord& e) {
  details_from_json(json::parse(text), e);
}

void to_json(json& j, const Claim& c) {
  j = json::object();
  put_claim(j, c);
}

void from_json(const json& j, Claim& c) {
  c.id = j.at("id").get<std::string>();
  c.source = j.at("source").get<std::string>();
  c.statement = j.at("statement").get<std::string>();
  c.kind = parse_claim_kind(j.at("kind").get<std::string>());
  c.classes = j.at("classes").get<std::vector<std::string>>();
  c.scope = parse_claim_scope(j.at("scope").get<std::string>());
  c.why = j.at("why").get<std::string>();
}

void to_json(json& j, const Observation& o) {
  j = json::object();
  put_claim(j, o.claim);
  j["in_scope"] = o.in_scope;
  j["count"] = o.count;
  j["ci95"] = {o.ci.lo, o.ci.hi};  // a non-finite bound dumps as null
  j["verdict"] = to_string(o.verdict);
  j["offending"] = o.offending;
  j["set_aside"] = {{"tolerance", o.set_aside.tolerance},
                    {"refinement", o.set_aside.refinement},
                    {"kink", o.set_aside.kink},
                    {"dynamics", o.set_aside.dynamics}};
  j["not_critical"] = o.not_critical;
  j["text"] = format_observation(o);
}

void from_json(const json& j, Observation& o) {
  o.claim = j.get<Claim>();
  o.in_scope = j.at("in_scope").get<long>();
  o.count = j.at("count").get<long>();
  const json& ci = j.at("ci95");
  o.ci.lo = number_from_json(ci.at(0));
  o.ci.hi = number_from_json(ci.at(1));
  o.verdict = parse_verdict(j.at("verdict").get<std::string>());
  o.offending = j.at("offending").get<std::vector<long>>();
  if (const auto s = j.find("set_aside"); s != j.end()) {  // absent in databases of earlier versions
    o.set_aside.tolerance = s->value("tolerance", 0L);
    o.set_aside.refinement = s->value("refinement", 0L);
    o.set_aside.kink = s->value("kink", 0L);
    o.set_aside.dynamics = s->value("dynamics", 0L);
  }
  o.not_critical = j.value("not_critical", 0L);
}

std::string dump_claims(const std::vector<Claim>& claims) { return json(claims).dump(); }

std::vector<Claim> parse_claims(const std::string& text) { return parse_array<Claim>(text); }

std::string dump_observations(const std::vector<Observation>& obs) { return json(obs).dump(); }

std::vector<Observation> parse_observations(const std::string& text) {
  return parse_array<Observation>(text);
}

void to_json(json& j, const RunInfo& r) {
  j = {{"run_id", r.run_id},
       {"database", r.database},
       {"config_hash", r.config_hash},
       {"resumed", r.resumed},
       {"seconds_this_process", r.seconds_this_process},
       {"networks_this_process", r.networks_this_process}};
}

void from_json(const json& j, RunInfo& r) {
  r.run_id = j.at("run_id").get<long>();
  r.database = j.at("database").get<std::string>();
  r.config_hash = j.at("config_hash").get<std::string>();
  r.resumed = j.at("resumed").get<bool>();
  r.seconds_this_process = number_from_json(j.at("seconds_this_process"));
  r.networks_this_process = j.at("networks_this_process").get<long>();
}

// ---- decision settings ------------------------------------------------------------------------

namespace {

/// Writes one settings section's keys into a JSON object (the Section adaptor of
/// io/settings_keys.hpp, as a writer).
class SectionWriter {
 public:
  explicit SectionWriter(json& j) : m_j(j) {}
  std::string where(const std::string& key) const { return key; }
  void positive(const std::string& key, double& v) { m_j[key] = v; }
  template <class I>
  void integer(const std::string& key, I& v, long long) {
    m_j[key] = v;
  }
  void boolean(const std::string& key, bool& v) { m_j[key] = v; }

 private:
  json& m_j;
};

/// Reads the keys of one settings section (the Section adaptor of io/settings_keys.hpp, as a
/// reader), with the experiment file's rules; unknown keys are errors (finish).
class SectionReader {
 public:
  SectionReader(const json* j, std::string where) : m_j(j), m_where(std::move(where)) {
    require(!m_j || m_j->is_object(), m_where, "expected an object");
  }
  std::string where(const std::string& key) const { return m_where + "." + key; }
  const json* get(const std::string& key) {
    m_known.push_back(key);
    if (!m_j) return nullptr;
    const auto it = m_j->find(key);
    return it == m_j->end() ? nullptr : &*it;
  }
  void positive(const std::string& key, double& out) {
    if (const json* v = get(key)) {
      require(v->is_number(), where(key), "expected a number");
      const double x = v->get<double>();
      require(std::isfinite(x), where(key), "must be finite");
      out = x;
    }
    require(out > 0, where(key), "must be > 0");
  }
  template <class I>
  void integer(const std::string& key, I& out, long long min_value) {
    if (const json* v = get(key)) {
      require(v->is_number_integer(), where(key), "expected an integer");
      const std::string too_big = "must be <= " + std::to_string(std::numeric_limits<I>::max());
      // nlohmann keeps integers above 2^63 - 1 as unsigned; get<long long> would wrap them.
      require(!v->is_number_unsigned() ||
                  v->get<unsigned long long>() <= static_cast<unsigned long long>(std::numeric_limits<I>::max()),
              where(key), too_big);
      const long long i = v->get<long long>();
      require(i >= min_value, where(key), "must be >= " + std::to_string(min_value));
      // The struct field may be narrower than a JSON integer: refuse what would wrap.
      require(i <= static_cast<long long>(std::numeric_limits<I>::max()),
              where(key), too_big);
      out = static_cast<I>(i);
    }
  }
  void boolean(const std::string& key, bool& out) {
    if (const json* v = get(key)) {
      require(v->is_boolean(), where(key), "expected true or false");
      out = v->get<bool>();
    }
  }
  void finish() const {
    if (!m_j) return;
    for (const auto& [k, v] : m_j->items()) {
      (void)v;
      if (std::find(m_known.begin(), m_known.end(), k) == m_known.end())
        throw Error(where(k) + ": unknown key (see README for the documented keys)");
    }
  }

 private:
  const json* m_j;
  std::string m_where;
  std::vector<std::string> m_known;
};

}  // namespace

json decide_settings_to_json(const DecideSettings& settings) {
  DecideSettings s = settings;  // the key walk takes references
  json j = {{"classify", json::object()}, {"refine", json::object()}, {"escape", json::object()}};
  SectionWriter cl(j["classify"]), rf(j["refine"]), es(j["escape"]);
  classify_keys(cl, s);
  refine_keys(rf, s.refine);
  escape_keys(es, s.escape);
  return j;
}

DecideSettings decide_settings_from_json(const json& j, const std::string& where) {
  DecideSettings s;
  SectionReader top(&j, where);
  SectionReader cl(top.get("classify"), where + ".classify");
  classify_keys(cl, s);
  cl.finish();
  SectionReader rf(top.get("refine"), where + ".refine");
  refine_keys(rf, s.refine);
  rf.finish();
  SectionReader es(top.get("escape"), where + ".escape");
  escape_keys(es, s.escape);
  es.finish();
  top.finish();
  return s;
}

// ---- swept values -----------------------------------------------------------------------------

nlohmann::json swept_value_json(const SweptValue& v) {
  switch (v.kind) {
    case SweptValue::Kind::real:
      return v.real;
    case SweptValue::Kind::integer:
      return v.integer;
    case SweptValue::Kind::boolean:
      return v.boolean;
    case SweptValue::Kind::integers:
      return v.integers;
    case SweptValue::Kind::text:
      break;
  }
  return v.text;
}

nlohmann::ordered_json swept_to_json(const std::vector<SweptValue>& swept) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const SweptValue& v : swept) j[v.name] = nlohmann::ordered_json(swept_value_json(v));
  return j;
}

std::string dump_swept(const std::vector<SweptValue>& swept) { return swept_to_json(swept).dump(); }

std::vector<SweptValue> parse_swept(const std::string& text) {
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
  if (!j.is_object()) throw Error("swept values: expected a JSON object, got " + text.substr(0, 80));
  std::vector<SweptValue> out;
  for (const auto& [name, x] : j.items()) {
    SweptValue v;
    v.name = name;
    if (x.is_number_float()) {
      v.kind = SweptValue::Kind::real;
      v.real = x.get<double>();
      v.text = format_shortest(v.real, true);
    } else if (x.is_number_integer()) {
      v.kind = SweptValue::Kind::integer;
      v.integer = x.get<long long>();
      v.text = std::to_string(v.integer);
    } else if (x.is_boolean()) {
      v.kind = SweptValue::Kind::boolean;
      v.boolean = x.get<bool>();
      v.text = v.boolean ? "true" : "false";
    } else if (x.is_string()) {
      v.text = x.get<std::string>();
    } else if (x.is_array()) {
      v.kind = SweptValue::Kind::integers;
      v.integers = x.get<std::vector<long long>>();
      v.text = "[";
      for (std::size_t i = 0; i < v.integers.size(); ++i)
        v.text += (i ? "," : "") + std::to_string(v.integers[i]);
      v.text += "]";
    } else {
      throw Error("swept values: '" + name + "' has a value of no known kind: " + x.dump());
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace landscape
