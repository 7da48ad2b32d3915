// The decision settings' keys ([classify], [refine], [escape] of an experiment file; the
// "settings" object of POINT.json and cells.config_json), each with its bound, written once.
// The TOML config reader, the JSON settings reader and the JSON writer all walk these tables.
#pragma once

#include "landscape/core/common.hpp"
#include "landscape/core/settings.hpp"

namespace landscape {

// A Section adaptor gives access to one table of one format and carries its error context:
//   std::string where(key)                     the field as an error names it
//   void positive(key, double& v)              a finite number > 0
//   void integer(key, I& v, long long min)     an integer >= min
//   void boolean(key, bool& v)                 true or false
// A reader leaves v at its default when the key is absent and throws Error "<where>: <why>" for
// a value of the wrong type or out of bounds; a writer stores v. The defaults are those of the
// structs (core/settings.hpp). Checks that relate two keys follow the keys they relate.

/// [classify]: the relative tolerances of the decision.
template <class Section>
void classify_keys(Section& s, DecideSettings& d) {
  s.positive("grad_tol", d.tol.grad);
  s.positive("loss_tol", d.tol.loss);
  s.positive("eig_tol", d.tol.eig);
  s.positive("kink_tol", d.tol.kink);
  s.positive("rank_tol", d.rank_tol);
}

/// [refine]: refinement to the nearby exact critical point.
template <class Section>
void refine_keys(Section& s, RefineSpec& r) {
  s.boolean("enabled", r.enabled);
  s.integer("max_iterations", r.max_iterations, 1);
  s.positive("grad_tol", r.grad_rtol);
}

/// [escape]: the probes of the escape test.
template <class Section>
void escape_keys(Section& s, EscapeSpec& e) {
  s.integer("random_directions", e.random_directions, 0);
  s.integer("null_directions", e.null_directions, 0);
  s.integer("null_combinations", e.null_combinations, 0);
  s.positive("step_min", e.step_min);
  s.positive("step_max", e.step_max);
  require(e.step_max >= e.step_min, s.where("step_max"), "must be >= escape.step_min");
  s.positive("step_factor", e.step_factor);
  require(e.step_factor > 1, s.where("step_factor"), "must be > 1");
  s.integer("perturbed_runs", e.perturbed_runs, 0);
  s.positive("perturb_radius", e.perturb_radius);
  s.integer("perturbed_steps", e.perturbed_steps, 0);
}

}  // namespace landscape
