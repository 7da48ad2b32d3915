// The one JSON codec for the record shapes stored in the database and written into summaries:
// endpoint details, theory claims and observations, the run description.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "landscape/core/records.hpp"

namespace landscape {

// ---- numbers ----------------------------------------------------------------------------------

/// JSON has no NaN or infinity: a non-finite number is written as null ...
nlohmann::json number_to_json(double x);
/// ... and null reads back as NaN.
double number_from_json(const nlohmann::json& j);

// ---- endpoint details -------------------------------------------------------------------------
// The `details` of an endpoint: {"refined", "escape", "symmetry", "openness", "dynamics",
// "certificate"}, each null when the record lacks it ("dynamics" also writes its "state" label,
// not read back). Some fields are not stored, so not read back: of
// RefineSummary::spectrum_before, all but n_negative ("n_negative_before"); the method, step and
// direction of an EscapeResult that did not escape (written as null, read as "" and 0); the
// witness direction of one that did, unless `with_direction`; OpennessInfo::openness_rule where
// locally_open is unknown.

/// The details object of `e`; `with_direction` adds an escape's witness direction.
nlohmann::json details_to_json(const EndpointRecord& e, bool with_direction = false);
/// Sets e.refined, e.escape, e.symmetry, e.openness, e.dynamics and e.minimum from a details object (absent or null
/// parts reset). Throws nlohmann::json::exception on a malformed object.
void details_from_json(const nlohmann::json& j, EndpointRecord& e);
/// Compact text of details_to_json(e) (no direction), as stored in endpoints.details.
std::string dump_details(const EndpointRecord& e);
/// details_from_json of stored text.
void parse_details(const std::string& text, EndpointRecord& e);

// ---- decision settings ------------------------------------------------------------------------
// {"classify": {"grad_tol", "loss_tol", "eig_tol", "kink_tol", "rank_tol"}, "refine": {"enabled",
// "max_iterations", "grad_tol"}, "escape": {"random_directions", "null_directions",
// "null_combinations", "step_min", "step_max", "step_factor", "perturbed_runs",
// "perturb_radius", "perturbed_steps"}}: the experiment file's sections of the same names.
// Stored in cells.config_json ("decide") and written into POINT.json ("settings").

nlohmann::json decide_settings_to_json(const DecideSettings& s);
/// Reads that object. Every key is optional (default as in an experiment file); an unknown key,
/// a wrong type or a value the experiment file would refuse is an Error naming `where` and the
/// key (e.g. "point.json: settings.classify.grad_tol: must be > 0").
DecideSettings decide_settings_from_json(const nlohmann::json& j, const std::string& where);

// ---- claims and observations ------------------------------------------------------------------
// A claim is {"id", "source", "statement", "kind", "classes", "scope", "why"}; an observation is
// its claim's keys and {"in_scope", "count", "ci95": [lo, hi], "verdict", "offending", "text"}
// ("text" is format_observation's line, written and not read back; nor is ci.method stored).
// These are nlohmann's ADL hooks, so json(claims) and j.get<std::vector<Observation>>() work.

void to_json(nlohmann::json& j, const Claim& c);
/// Throws Error on an unknown kind or scope, nlohmann::json::exception on a malformed object.
void from_json(const nlohmann::json& j, Claim& c);
void to_json(nlohmann::json& j, const Observation& o);
/// Throws Error on an unknown kind, scope or verdict.
void from_json(const nlohmann::json& j, Observation& o);

/// Compact JSON array of claims (cells.prediction, `landscape theory --json`).
std::string dump_claims(const std::vector<Claim>& claims);
/// Claims from stored text (a JSON array).
std::vector<Claim> parse_claims(const std::string& text);
/// Compact JSON array of observations (cells.prediction of a finished cell).
std::string dump_observations(const std::vector<Observation>& obs);
/// Observations from stored text (a JSON array).
std::vector<Observation> parse_observations(const std::string& text);

// ---- swept values -----------------------------------------------------------------------------
// A cell's swept values are one JSON object {name: value} in grid order (cells.swept, summary.json's
// "swept"): reals and integers as numbers, booleans, strings, dims as an array of integers.

/// One swept value as JSON.
nlohmann::json swept_value_json(const SweptValue& v);
nlohmann::ordered_json swept_to_json(const std::vector<SweptValue>& swept);
/// Compact text of swept_to_json, as stored in cells.swept.
std::string dump_swept(const std::vector<SweptValue>& swept);
/// Swept values from stored text (each value's text as expand_sweep writes it). Throws
/// nlohmann::json::exception on malformed text, Error on a value of no known kind.
std::vector<SweptValue> parse_swept(const std::string& text);

// ---- run ----------------------------------------------------------------------------------------

/// summary.json's "run": {"run_id", "database", "config_hash", "resumed",
/// "seconds_this_process", "networks_this_process"}.
void to_json(nlohmann::json& j, const RunInfo& r);
void from_json(const nlohmann::json& j, RunInfo& r);

}  // namespace landscape
