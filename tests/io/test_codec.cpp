// The JSON codec: endpoint details, claims, observations and the run description survive
// record → JSON → record field by field (optional parts absent and present, non-finite numbers
// as null), and text in the shape the database already holds decodes to the same records.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "landscape/analysis/theory.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/config.hpp"
#include "landscape/io/point.hpp"

using namespace landscape;
using json = nlohmann::json;

namespace {

/// Equal, or both NaN.
bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

void expect_same(const RefineSummary& a, const RefineSummary& b) {
  EXPECT_EQ(a.converged, b.converged);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_TRUE(same(a.distance, b.distance)) << a.distance << " vs " << b.distance;
  EXPECT_TRUE(same(a.grad_norm_before, b.grad_norm_before));
  EXPECT_TRUE(same(a.grad_norm_after, b.grad_norm_after));
  EXPECT_TRUE(same(a.loss_before, b.loss_before));
  EXPECT_TRUE(same(a.loss_after, b.loss_after));
  EXPECT_EQ(a.class_before, b.class_before);
  EXPECT_EQ(a.spectrum_before.n_negative, b.spectrum_before.n_negative);
}

void expect_same(const EscapeResult& a, const EscapeResult& b) {
  EXPECT_EQ(a.escaped, b.escaped);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.direction, b.direction);
  EXPECT_TRUE(same(a.step, b.step)) << a.step << " vs " << b.step;
  EXPECT_TRUE(same(a.loss_drop, b.loss_drop)) << a.loss_drop << " vs " << b.loss_drop;
  EXPECT_EQ(a.probes, b.probes);
  EXPECT_EQ(a.descent_steps, b.descent_steps);
  EXPECT_EQ(a.null_space_dim, b.null_space_dim);
}

void expect_same(const OpennessInfo& a, const OpennessInfo& b) {
  EXPECT_EQ(a.layer_ranks, b.layer_ranks);
  ASSERT_EQ(a.partial.size(), b.partial.size());
  for (std::size_t i = 0; i < a.partial.size(); ++i) {
    EXPECT_EQ(a.partial[i].from, b.partial[i].from);
    EXPECT_EQ(a.partial[i].to, b.partial[i].to);
    EXPECT_EQ(a.partial[i].rank, b.partial[i].rank);
  }
  EXPECT_EQ(a.product_rank, b.product_rank);
  EXPECT_EQ(a.min_width, b.min_width);
  EXPECT_EQ(a.non_degenerate, b.non_degenerate);
  EXPECT_EQ(a.locally_open, b.locally_open);
  EXPECT_EQ(a.openness_rule, b.openness_rule);
  EXPECT_EQ(a.all_full_row_rank, b.all_full_row_rank);
}

/// The parts of an endpoint the details carry.
void expect_same_details(const EndpointRecord& a, const EndpointRecord& b) {
  ASSERT_EQ(a.refined.has_value(), b.refined.has_value());
  ASSERT_EQ(a.escape.has_value(), b.escape.has_value());
  ASSERT_EQ(a.symmetry.has_value(), b.symmetry.has_value());
  ASSERT_EQ(a.openness.has_value(), b.openness.has_value());
  if (a.refined) expect_same(*a.refined, *b.refined);
  if (a.escape) expect_same(*a.escape, *b.escape);
  if (a.symmetry) {
    EXPECT_EQ(a.symmetry->orbit_dim, b.symmetry->orbit_dim);
    EXPECT_EQ(a.symmetry->orbit_dim_max, b.symmetry->orbit_dim_max);
    EXPECT_EQ(a.symmetry->data_null_dim, b.symmetry->data_null_dim);
    EXPECT_EQ(a.symmetry->near_zero, b.symmetry->near_zero);
    EXPECT_EQ(a.symmetry->excess, b.symmetry->excess);
    EXPECT_TRUE(same(a.symmetry->normal_margin, b.symmetry->normal_margin));
    EXPECT_TRUE(same(a.symmetry->spectrum_error, b.symmetry->spectrum_error));
  }
  ASSERT_EQ(a.dynamics.has_value(), b.dynamics.has_value());
  if (a.dynamics) {
    EXPECT_TRUE(same(a.dynamics->initial_loss, b.dynamics->initial_loss));
    EXPECT_EQ(a.dynamics->escape_step, b.dynamics->escape_step);
    EXPECT_TRUE(same(a.dynamics->loss_drop, b.dynamics->loss_drop));
    EXPECT_TRUE(same(a.dynamics->late_loss, b.dynamics->late_loss));
    EXPECT_EQ(a.dynamics->on_plateau, b.dynamics->on_plateau);
    EXPECT_EQ(a.dynamics->still_descending, b.dynamics->still_descending);
  }
  ASSERT_EQ(a.minimum.has_value(), b.minimum.has_value());
  if (a.minimum) {
    EXPECT_EQ(a.minimum->status, b.minimum->status);
    EXPECT_TRUE(same(a.minimum->margin, b.minimum->margin));
    EXPECT_TRUE(same(a.minimum->error_bound, b.minimum->error_bound));
  }
  if (a.openness) expect_same(*a.openness, *b.openness);
}

void expect_same(const Observation& a, const Observation& b) {
  EXPECT_EQ(a.claim, b.claim);
  EXPECT_EQ(a.in_scope, b.in_scope);
  EXPECT_EQ(a.count, b.count);
  EXPECT_TRUE(same(a.ci.lo, b.ci.lo));
  EXPECT_TRUE(same(a.ci.hi, b.ci.hi));
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.offending, b.offending);
}

EndpointRecord full_endpoint() {
  EndpointRecord e;
  RefineSummary r;
  r.converged = true;
  r.iterations = 7;
  r.distance = 0.125;
  r.grad_norm_before = 0.25;
  r.grad_norm_after = 1e-12;
  r.loss_before = 1.5;
  r.loss_after = 0.5;
  r.class_before = PointClass::strict_saddle;
  r.spectrum_before.n_negative = 2;
  e.refined = r;
  EscapeResult x;
  x.escaped = true;
  x.method = "null_eigenvector";
  x.direction = {0.5, -0.5, 0.5, -0.5};
  x.step = 0.25;
  x.loss_drop = 0.75;
  x.probes = 40;
  x.descent_steps = 12;
  x.null_space_dim = 3;
  e.escape = x;
  e.symmetry = SymmetryInfo{4, 8, 6, 5, 1, 0.5, 0.125};
  DynamicsInfo dy;
  dy.initial_loss = 2.5;
  dy.escape_step = 40;
  dy.loss_drop = 2.0;
  dy.late_loss = 0.75;
  dy.still_descending = true;
  e.dynamics = dy;
  e.minimum = MinimumCertificate{"no_descent_found", 0.5, 0.125};
  OpennessInfo o;
  o.layer_ranks = {2, 2};
  o.partial = {{1, 2, 1}};
  o.product_rank = 1;
  o.min_width = 2;
  o.non_degenerate = false;
  o.locally_open = true;
  o.openness_rule = "N&R Thm 2";
  e.openness = o;
  return e;
}

EndpointRecord round_trip(const EndpointRecord& e, bool with_direction) {
  EndpointRecord back;
  details_from_json(json::parse(details_to_json(e, with_direction).dump()), back);
  return back;
}

Claim claim(ClaimKind kind, ClaimScope scope) {
  return {"NR-Thm5",
          "N&R Thm 5",
          "no \"spurious\" local minima",
          kind,
          {"spurious_local_minimum", "non_strict_saddle"},
          scope,
          "h = 2; holds for any data"};
}

}  // namespace

// ---- endpoint details -------------------------------------------------------------------------

TEST(Codec, DetailsAllAbsent) {
  const EndpointRecord e;
  EXPECT_EQ(dump_details(e),
            R"({"certificate":null,"dynamics":null,"escape":null,"openness":null,"refined":null,"symmetry":null})");
  EndpointRecord back = full_endpoint();  // parts present before are reset
  parse_details(dump_details(e), back);
  expect_same_details(e, back);
}

TEST(Codec, DetailsAllPresentRoundTrip) {
  const EndpointRecord e = full_endpoint();
  expect_same_details(e, round_trip(e, true));
  // Without the witness direction (as stored), everything else survives.
  EndpointRecord stored = e;
  stored.escape->direction.clear();
  EndpointRecord back;
  parse_details(dump_details(e), back);
  expect_same_details(stored, back);
}

TEST(Codec, DetailsEscapeNotEscaped) {
  EndpointRecord e;
  EscapeResult x;
  x.escaped = false;
  x.loss_drop = 0;
  x.probes = 100;
  x.descent_steps = 3000;
  x.null_space_dim = 0;
  e.escape = x;
  const json j = details_to_json(e, true);
  EXPECT_TRUE(j["escape"]["method"].is_null());
  EXPECT_TRUE(j["escape"]["step"].is_null());
  EXPECT_FALSE(j["escape"].contains("direction"));
  expect_same_details(e, round_trip(e, true));
}

TEST(Codec, DetailsOpennessOptionals) {
  for (int mask = 0; mask < 8; ++mask) {
    EndpointRecord e;
    OpennessInfo o;
    o.layer_ranks = {3, 1, 2};
    o.partial = {{1, 2, 1}, {2, 3, 1}, {1, 3, 1}};
    o.product_rank = 1;
    o.min_width = 1;
    if (mask & 1) o.non_degenerate = true;
    if (mask & 2) {
      o.locally_open = false;
      o.openness_rule = "Behrends";
    }
    if (mask & 4) o.all_full_row_rank = false;
    e.openness = o;
    SCOPED_TRACE(mask);
    expect_same_details(e, round_trip(e, false));
  }
}

TEST(Codec, DetailsNonFiniteAsNull) {
  EndpointRecord e = full_endpoint();
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  e.refined->distance = inf;
  e.refined->loss_after = nan;
  e.escape->loss_drop = -inf;
  e.escape->step = nan;
  const json j = details_to_json(e, false);
  EXPECT_TRUE(j["refined"]["distance"].is_null());
  EXPECT_TRUE(j["refined"]["loss_after"].is_null());
  EXPECT_TRUE(j["escape"]["loss_drop"].is_null());
  EXPECT_TRUE(j["escape"]["step"].is_null());
  // null reads back as NaN, as the database loader always did.
  EndpointRecord expected = e;
  expected.refined->distance = nan;
  expected.escape->loss_drop = nan;
  expected.escape->direction.clear();
  EndpointRecord back;
  parse_details(j.dump(), back);
  expect_same_details(expected, back);
}

TEST(Codec, DetailsStoredTextDecodes) {
  // endpoints.details as the database holds it (compact, keys sorted, no direction).
  const std::string stored =
      R"({"certificate":{"certified":false,"error_bound":0.125,"margin":0.5,"status":"no_descent_found"},)"
      R"("dynamics":{"escape_step":40,"initial_loss":2.5,"late_loss":0.75,"loss_drop":2.0,)"
      R"("on_plateau":false,"state":"descending","still_descending":true},)"
      R"("escape":{"descent_steps":12,"escaped":true,"loss_drop":0.75,"method":"null_eigenvector",)"
      R"("null_space_dim":3,"probes":40,"step":0.25},"openness":{"all_full_row_rank":null,)"
      R"("layer_ranks":[2,2],"locally_open":true,"min_width":2,"non_degenerate":false,)"
      R"("openness_rule":"N&R Thm 2","partial_products":[{"from":1,"rank":1,"to":2}],)"
      R"("product_rank":1},"refined":{"class_before":"strict_saddle","converged":true,)"
      R"("distance":0.125,"grad_norm_after":1e-12,"grad_norm_before":0.25,"iterations":7,)"
      R"("loss_after":0.5,"loss_before":1.5,"n_negative_before":2},"symmetry":)"
      R"({"data_null_dim":6,"excess_degeneracy":1,"near_zero_eigenvalues":5,"normal_margin":0.5,)"
      R"("orbit_dim":4,"orbit_dim_max":8,"spectrum_error":0.125}})";
  EndpointRecord expected = full_endpoint();
  expected.escape->direction.clear();
  EndpointRecord back;
  parse_details(stored, back);
  expect_same_details(expected, back);
  EXPECT_EQ(dump_details(full_endpoint()), stored);
  // A record written before data_null_dim existed reads it as 0.
  std::string old = stored;
  old.erase(old.find(R"("data_null_dim":6,)"), std::string(R"("data_null_dim":6,)").size());
  EndpointRecord before;
  parse_details(old, before);
  expected.symmetry->data_null_dim = 0;
  expect_same_details(expected, before);
}

// ---- claims and observations ------------------------------------------------------------------

TEST(Codec, EnumNames) {
  for (ClaimKind k : {ClaimKind::forbids, ClaimKind::exists, ClaimKind::none, ClaimKind::not_applicable})
    EXPECT_EQ(parse_claim_kind(to_string(k)), k);
  for (ClaimScope s : {ClaimScope::all, ClaimScope::degenerate, ClaimScope::non_degenerate,
                       ClaimScope::full_row_rank})
    EXPECT_EQ(parse_claim_scope(to_string(s)), s);
  for (Verdict v :
       {Verdict::consistent, Verdict::inconsistent, Verdict::inconclusive, Verdict::no_prediction, Verdict::not_applicable})
    EXPECT_EQ(parse_verdict(to_string(v)), v);
  EXPECT_EQ(to_string(Verdict::no_prediction), "no prediction");
  EXPECT_EQ(to_string(ClaimScope::non_degenerate), "non_degenerate");
  for (int c = 0; c < kNumClasses; ++c)
    EXPECT_EQ(parse_point_class(to_string(PointClass(c))), PointClass(c));
  EXPECT_THROW(parse_claim_kind("forbid"), Error);
  EXPECT_THROW(parse_claim_scope("some"), Error);
  EXPECT_THROW(parse_verdict("no_prediction"), Error);
  EXPECT_THROW(parse_point_class("saddle"), Error);
}

TEST(Codec, ClaimsRoundTrip) {
  std::vector<Claim> claims;
  for (ClaimKind k : {ClaimKind::forbids, ClaimKind::exists, ClaimKind::none, ClaimKind::not_applicable})
    for (ClaimScope s : {ClaimScope::all, ClaimScope::degenerate, ClaimScope::non_degenerate,
                         ClaimScope::full_row_rank})
      claims.push_back(claim(k, s));
  claims.back().classes.clear();
  EXPECT_EQ(parse_claims(dump_claims(claims)), claims);
  EXPECT_EQ(parse_claims(dump_claims({})), std::vector<Claim>{});
  EXPECT_THROW(parse_claims(R"([{"id":"x","source":"","statement":"","kind":"maybe","classes":[],)"
                            R"("scope":"all","why":""}])"),
               Error);
}

TEST(Codec, ClaimsStoredTextDecodes) {
  const std::string stored =
      R"([{"classes":["spurious_local_minimum","non_strict_saddle"],"id":"NR-Thm5","kind":"forbids",)"
      R"("scope":"degenerate","source":"N&R Thm 5","statement":"no \"spurious\" local minima",)"
      R"("why":"h = 2; holds for any data"}])";
  const std::vector<Claim> expected = {claim(ClaimKind::forbids, ClaimScope::degenerate)};
  EXPECT_EQ(parse_claims(stored), expected);
  EXPECT_EQ(dump_claims(expected), stored);
}

TEST(Codec, ObservationsRoundTrip) {
  // Observations as check_claims makes them, every verdict among them.
  std::vector<EndpointRecord> eps(4);
  for (std::size_t i = 0; i < eps.size(); ++i) {
    eps[i].index = long(i);
    eps[i].cls = i == 2 ? PointClass::spurious_local_minimum : PointClass::global_minimum;
  }
  std::vector<Claim> claims = {
      claim(ClaimKind::forbids, ClaimScope::all), claim(ClaimKind::exists, ClaimScope::all),
      claim(ClaimKind::none, ClaimScope::all), claim(ClaimKind::forbids, ClaimScope::degenerate)};
  claims[0].classes = {"non_strict_saddle"};
  const std::vector<Observation> obs = check_claims(claims, eps);
  ASSERT_EQ(obs.size(), 4u);
  std::vector<Observation> more = obs;
  more[1].offending = {2, 7, 1000000000000L};
  more[3].ci.hi = std::numeric_limits<double>::quiet_NaN();  // written as null, read as NaN
  more[3].verdict = Verdict::inconsistent;
  for (const auto& list : {obs, more}) {
    const std::vector<Observation> back = parse_observations(dump_observations(list));
    ASSERT_EQ(back.size(), list.size());
    for (std::size_t i = 0; i < list.size(); ++i) expect_same(list[i], back[i]);
  }
  // Each carries its readable line.
  const json j = json(obs);
  for (std::size_t i = 0; i < obs.size(); ++i) EXPECT_EQ(j[i]["text"], format_observation(obs[i]));
}

TEST(Codec, ObservationsStoredTextDecodes) {
  const std::string stored =
      R"([{"ci95":[0.0,0.5],"classes":["spurious_local_minimum"],"count":0,"id":"none","in_scope":4,)"
      R"("kind":"none","offending":[],"scope":"all","source":"-","statement":"no theorem applies",)"
      R"("text":"ignored on reading","verdict":"no prediction","why":"pyramidal no"},)"
      R"({"ci95":[0.25,null],"classes":["spurious_local_minimum"],"count":1,"id":"NR-Lemma7",)"
      R"("in_scope":3,"kind":"forbids","offending":[5],"scope":"non_degenerate","source":"N&R Lemma 7",)"
      R"("statement":"every non-degenerate local minimum is global","text":"","verdict":"inconsistent",)"
      R"("why":"any depth"}])";
  Observation a;
  a.claim = {"none",
             "-",
             "no theorem applies",
             ClaimKind::none,
             {"spurious_local_minimum"},
             ClaimScope::all,
             "pyramidal no"};
  a.in_scope = 4;
  a.ci = {0.0, 0.5, ""};
  a.verdict = Verdict::no_prediction;
  Observation b;
  b.claim = {"NR-Lemma7",
             "N&R Lemma 7",
             "every non-degenerate local minimum is global",
             ClaimKind::forbids,
             {"spurious_local_minimum"},
             ClaimScope::non_degenerate,
             "any depth"};
  b.in_scope = 3;
  b.count = 1;
  b.ci = {0.25, std::numeric_limits<double>::quiet_NaN(), ""};
  b.verdict = Verdict::inconsistent;
  b.offending = {5};
  const std::vector<Observation> back = parse_observations(stored);
  ASSERT_EQ(back.size(), 2u);
  expect_same(a, back[0]);
  expect_same(b, back[1]);
}

// ---- run ----------------------------------------------------------------------------------------

TEST(Codec, RunRoundTrip) {
  const RunInfo r{3, "out/results.db", "abc123", true, 1.25, 4096};
  const json j = r;
  EXPECT_EQ(j.dump(),
            R"({"config_hash":"abc123","database":"out/results.db","networks_this_process":4096,)"
            R"("resumed":true,"run_id":3,"seconds_this_process":1.25})");
  const RunInfo back = j.get<RunInfo>();
  EXPECT_EQ(back.run_id, r.run_id);
  EXPECT_EQ(back.database, r.database);
  EXPECT_EQ(back.config_hash, r.config_hash);
  EXPECT_EQ(back.resumed, r.resumed);
  EXPECT_EQ(back.seconds_this_process, r.seconds_this_process);
  EXPECT_EQ(back.networks_this_process, r.networks_this_process);
}

namespace {

/// The message of the Error `f` throws, or "" when it throws none.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

/// What an error message says after the field `field` (and a TOML line number): "must be > 0".
std::string why(const std::string& message, const std::string& field) {
  std::size_t pos = message.find(field);
  if (pos == std::string::npos) return "<no field " + field + " in: " + message + ">";
  pos += field.size();
  if (message.compare(pos, 2, " (") == 0) pos = message.find(')', pos) + 1;
  if (message.compare(pos, 2, ": ") != 0) return "<no ': ' after " + field + " in: " + message + ">";
  return message.substr(pos + 2);
}

}  // namespace

// Every field set to its own non-default value, written against a literal object: a key bound
// to the wrong field (or two keys to one field) changes the text and fails.
TEST(Codec, DecideSettingsRoundTripEveryKey) {
  DecideSettings s;
  s.tol.grad = 1.1e-3;
  s.tol.loss = 1.2e-3;
  s.tol.eig = 1.3e-3;
  s.tol.kink = 1.4e-3;
  s.rank_tol = 1.5e-3;
  s.refine.enabled = true;
  s.refine.max_iterations = 21;
  s.refine.grad_rtol = 2.2e-3;
  s.escape.random_directions = 31;
  s.escape.null_directions = 33;
  s.escape.null_combinations = 34;
  s.escape.step_min = 3.5e-3;
  s.escape.step_max = 3.6;
  s.escape.step_factor = 3.7;
  s.escape.perturbed_runs = 38;
  s.escape.perturb_radius = 3.9e-3;
  s.escape.perturbed_steps = 40;
  const json expected = json::parse(R"({
    "classify": {"grad_tol": 1.1e-3, "loss_tol": 1.2e-3, "eig_tol": 1.3e-3, "kink_tol": 1.4e-3,
                 "rank_tol": 1.5e-3},
    "refine": {"enabled": true, "max_iterations": 21, "grad_tol": 2.2e-3},
    "escape": {"random_directions": 31, "null_directions": 33, "null_combinations": 34,
               "step_min": 3.5e-3, "step_max": 3.6, "step_factor": 3.7, "perturbed_runs": 38,
               "perturb_radius": 3.9e-3, "perturbed_steps": 40}})");
  const json j = decide_settings_to_json(s);
  EXPECT_EQ(j, expected) << j.dump();
  // Read back field by field (the reader's binding, independently of the writer's).
  const DecideSettings t = decide_settings_from_json(expected, "settings");
  EXPECT_EQ(t.tol.grad, 1.1e-3);
  EXPECT_EQ(t.tol.loss, 1.2e-3);
  EXPECT_EQ(t.tol.eig, 1.3e-3);
  EXPECT_EQ(t.tol.kink, 1.4e-3);
  EXPECT_EQ(t.rank_tol, 1.5e-3);
  EXPECT_TRUE(t.refine.enabled);
  EXPECT_EQ(t.refine.max_iterations, 21);
  EXPECT_EQ(t.refine.grad_rtol, 2.2e-3);
  EXPECT_EQ(t.escape.random_directions, 31);
  EXPECT_EQ(t.escape.null_directions, 33);
  EXPECT_EQ(t.escape.null_combinations, 34);
  EXPECT_EQ(t.escape.step_min, 3.5e-3);
  EXPECT_EQ(t.escape.step_max, 3.6);
  EXPECT_EQ(t.escape.step_factor, 3.7);
  EXPECT_EQ(t.escape.perturbed_runs, 38);
  EXPECT_EQ(t.escape.perturb_radius, 3.9e-3);
  EXPECT_EQ(t.escape.perturbed_steps, 40);
  EXPECT_EQ(decide_settings_to_json(t), expected);
}

// POINT.json's settings and the experiment file's [classify], [refine] and [escape] are read by
// one key table: the same bad value gets the same message in both, each naming its own field.
TEST(Codec, DecideSettingsBoundsAreTheExperimentFilesBounds) {
  struct Case {
    const char* section;
    const char* key;
    const char* value;  // the same text is TOML and JSON
    const char* expected;
  };
  const Case cases[] = {
      {"classify", "eig_tol", "-1.0", "must be > 0"},
      {"classify", "rank_tol", "0", "must be > 0"},
      {"classify", "grad_tol", "true", "expected a number"},
      {"refine", "max_iterations", "0", "must be >= 1"},
      {"refine", "max_iterations", "2.5", "expected an integer"},
      {"refine", "enabled", "1", "expected true or false"},
      {"escape", "random_directions", "-2", "must be >= 0"},
      {"escape", "step_factor", "0.5", "must be > 1"},
      {"escape", "step_max", "1e-9", "must be >= escape.step_min"},
      {"escape", "perturb_radius", "0.0", "must be > 0"},
      // Integers wider than the field are refused, not wrapped (2^32 would be 0, 2^32 + 1 be 1).
      {"refine", "max_iterations", "4294967296", "must be <= 2147483647"},
      {"escape", "random_directions", "4294967297", "must be <= 2147483647"},
      {"escape", "perturbed_runs", "2147483648", "must be <= 2147483647"},
  };
  for (const Case& c : cases) {
    const std::string field = std::string(c.section) + "." + c.key;
    const std::string toml = std::string("[model]\nfamily = \"linear\"\ndims = [2, 2]\n[") + c.section +
                             "]\n" + c.key + " = " + c.value + "\n";
    const std::string toml_error = error_of([&] { parse_config(toml, "bad.toml"); });
    const std::string json_text = std::string("{\"") + c.section + "\": {\"" + c.key + "\": " + c.value + "}}";
    const std::string json_error =
        error_of([&] { decide_settings_from_json(json::parse(json_text), "p.json: settings"); });
    EXPECT_EQ(why(toml_error, "bad.toml: " + field), c.expected) << toml_error;
    EXPECT_EQ(why(json_error, "p.json: settings." + field), c.expected) << json_error;
  }
  // JSON integers above 2^63 - 1 (which TOML cannot write) are refused too.
  EXPECT_EQ(why(error_of([] {
                  decide_settings_from_json(json::parse(R"({"escape": {"perturbed_steps": 18446744073709551615}})"),
                                            "p.json: settings");
                }),
                "p.json: settings.escape.perturbed_steps"),
            "must be <= " + std::to_string(std::numeric_limits<long>::max()));
  // The same through a whole POINT.json, which names its file.
  const std::string point = R"({"model": {"family": "linear", "dims": [1, 1]}, "X": [[1]], "Y": [[1]],
    "weights": [[[0.5]]], "settings": {"refine": {"max_iterations": 4294967296}}})";
  EXPECT_EQ(why(error_of([&] { parse_point(point, "pt.json"); }), "pt.json: settings.refine.max_iterations"),
            "must be <= 2147483647");
  // Unknown keys too.
  EXPECT_EQ(why(error_of([] { decide_settings_from_json(json::parse(R"({"escape": {"steps": 3}})"), "s"); }),
                "s.escape.steps"),
            "unknown key (see README for the documented keys)");
  EXPECT_EQ(why(error_of([] { parse_config("[model]\nfamily = \"linear\"\ndims = [2, 2]\n[escape]\nsteps = 3\n", "b.toml"); }),
                "b.toml: escape.steps"),
            "unknown key (see README for the documented keys)");
}
