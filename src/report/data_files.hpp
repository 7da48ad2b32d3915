// The report's data files: one function per CSV file and report.json, each holding every number
// the report shows.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model.hpp"

namespace landscape::report {

/// classes.csv: per cell and class, count, fraction and 95% interval.
std::string classes_csv(const Report& r);
/// cells.csv: per cell, settings, totals, local openness and the prediction's verdict.
std::string cells_csv(const Report& r);
/// tolerance_sensitivity.csv: class counts at tolerances ×0.1, nominal and ×10.
std::string tolerance_csv(const Report& r);
/// histograms.csv: the loss-gap and λ_min histograms.
std::string histograms_csv(const Report& r);
/// integer_counts.csv: negative-eigenvalue and excess-degeneracy counts.
std::string integer_counts_csv(const Report& r);
/// spectral_density.csv: the pooled Hessian eigenvalue histogram.
std::string spectral_csv(const Report& r);
/// curves.csv: training-loss quantiles per step.
std::string curves_csv(const Report& r);
/// slices.csv: every stored 1-D slice (non-strict saddles along the witness, spurious minima
/// along the λ_min eigenvector), one row per point.
std::string slices_csv(const Report& r);
/// report.json: everything above and the run, as one document.
nlohmann::json report_json(const Report& r);

}  // namespace landscape::report
