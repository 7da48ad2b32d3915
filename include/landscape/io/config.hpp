// Experiment configuration: the TOML file of `landscape sample`, every key with its default.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "landscape/core/settings.hpp"
#include "landscape/math/train.hpp"


namespace landscape {

/// Expands an experiment file into the cells of its grid. Keys that may hold a list of
/// alternatives: model.family, model.dims (a list of lists), model.slope, data.n, data.x_rank,
/// data.y_rank, data.y, data.noise, data.seed, init.scale, init.small, train.optimizer, train.lr,
/// train.steps, train.precision; the grid is their Cartesian product (first key varies fastest).
/// Every error names the file, the key, the line and, for sweeps, the cell.
std::vector<SweepCell> expand_sweep(const std::string& text, const std::string& source);

/// Parses and validates a single experiment (no lists of alternatives). Unknown keys are errors.
ExperimentConfig parse_config(const std::string& text, const std::string& source);

/// Settings for the backend, with thresholds made absolute against the data's loss scale.
TrainSettings make_train_settings(const TrainSpec& t, double loss_scale);

/// Turns on loss-curve recording: about `points` samples spread over `steps`.
void enable_curves(TrainSettings& s, long steps, int points);

math::OptimizerKind parse_optimizer(const std::string& s, const std::string& where);

}  // namespace landscape
