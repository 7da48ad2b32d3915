// Experiment configuration: the TOML file of `landscape sample`, every key with its default.
#pragma once

#include <cstdint>
#include <string>

#include "landscape/backend.hpp"
#include "landscape/classify.hpp"
#include "landscape/data.hpp"
#include "landscape/decide.hpp"
#include "landscape/model.hpp"

namespace landscape {

struct InitSpec {
  double scale = 1.0;         ///< W_i entries N(0, scale²/d_{i−1})
  bool small = false;         ///< small initialization: multiply the scale by small_factor
  double small_factor = 1e-3;
  double effective_scale() const { return small ? scale * small_factor : scale; }
};

struct TrainSpec {
  std::string optimizer = "gd";  ///< gd | momentum | adam
  double lr = 1e-3;
  double momentum = 0.9;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  long steps = 20000;
  Precision precision = Precision::f64;
  double grad_tol = 1e-7;         ///< stop when ‖∇L‖ ≤ grad_tol · loss_scale
  double diverge_factor = 1e8;    ///< diverged when L > diverge_factor · loss_scale
};

struct OutputSpec {
  std::string dir = "landscape-out";
  std::string db;           ///< results database; empty = <dir>/results.db
  bool spectrum = false;    ///< store every eigenvalue of every endpoint
  bool curves = false;      ///< store a subsampled training-loss curve per network
  int curve_points = 100;   ///< samples per curve (the loss every steps/curve_points steps)
  std::string db_path() const { return db.empty() ? dir + "/results.db" : db; }
};

/// One experiment, as read from a TOML file.
struct ExperimentConfig {
  std::string source;        ///< file it came from (for messages)
  std::string name = "experiment";
  long networks = 1000;
  std::uint64_t seed = 1;
  std::string backend = "auto";
  int threads = 0;
  long chunk = 0;            ///< networks per train/analyze batch; 0 = the backend's choice
  Model model;
  DataSpec data;
  InitSpec init;
  TrainSpec train;
  DecideSettings decide;
  OutputSpec output;
};

/// The seed the cell's data is drawn from: data.seed when given, else the experiment's seed
/// (which also seeds the initializations).
std::uint64_t data_seed(const ExperimentConfig& c);

/// One cell of a sweep: a complete experiment and a short label naming its swept values.
struct SweepCell {
  std::string label;
  ExperimentConfig config;
};

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
