// Human- and machine-readable output of experiments and single-point classifications.
#pragma once

#include <string>

#include "landscape/core/records.hpp"

namespace landscape {

/// Summary table: count, fraction and 95% interval per class, plus the optimum and tolerances.
/// With `theory`, every claim of the theory oracle with its observation; else one line counting
/// the verdicts.
std::string format_sample_table(const SampleResult& r, bool theory = true);
/// The compact table that ends a sweep: one row per cell with its swept values, counts per
/// class (the classes that occur, and spurious minima always), the fraction of global minima
/// with its 95% interval, and the theory verdicts.
std::string format_sweep_table(const std::vector<SampleResult>& cells);
/// One CSV row per endpoint of every cell (header first: `cell`, `label`, one `sweep_<name>`
/// column per swept variable, then the endpoint's columns); eigenvalues appended when every cell
/// stores spectra of the same size.
std::string endpoints_csv(const std::vector<SampleResult>& cells, const std::vector<std::string>& labels);
/// Writes endpoints.csv and then summary.json ({"program", "run", "cells": [...]}, each cell with
/// its config echo, optimum, tolerances, class counts with intervals, tolerance sensitivity,
/// theory and timings) into `dir`,
/// each atomically, so a complete summary.json always describes a complete endpoints.csv.
void write_sample_outputs(const std::vector<SampleResult>& cells, const std::vector<std::string>& labels,
                          const RunInfo& run, const std::string& dir);

std::string point_report_json(const PointReport& r);
std::string format_point_report(const PointReport& r);

}  // namespace landscape
