// Every setting of an experiment as plain data: training, tolerances, refinement, escape test,
// output, and the experiment itself. Parsing lives in io/config; this header depends only on
// core and math, so every layer can hold a configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/math/train.hpp"

namespace landscape {

enum class Precision { f32, f64 };
std::string to_string(Precision p);

/// Training settings shared by every network of a batch.
struct TrainSettings {
  math::TrainParams params;  ///< optimizer and absolute stop/divergence thresholds
  Precision precision = Precision::f64;
  /// Deep linear networks with n > d0 train on their compressed data (core/data.hpp); false
  /// trains every network on X and Y as given.
  bool compress = true;
};

/// Relative tolerances. Absolute thresholds: gradient and loss against the loss scale
/// max(1, ½‖Y‖²); eigenvalues against max(1, max|λ|) of the endpoint's own spectrum.
struct Tolerances {
  double grad = 1e-5;  ///< critical when ‖∇L‖ ≤ grad · loss_scale
  double loss = 1e-6;  ///< global when L − L* ≤ loss · loss_scale
  double eig = 1e-6;   ///< λ < −eig · max(1, max|λ|) is negative; |λ| ≤ that is near zero
  double kink = 1e-8;  ///< leaky ReLU: kink_distance below this flags the Hessian untrusted

  /// grad, loss and eig multiplied by `f` (tolerance-sensitivity analysis).
  Tolerances scaled(double f) const {
    Tolerances t = *this;
    t.grad *= f;
    t.loss *= f;
    t.eig *= f;
    return t;
  }
};

/// Index of the tolerance levels kept for sensitivity analysis: ×0.1, ×1, ×10.
enum TolLevel { kTolLo = 0, kTolNominal = 1, kTolHi = 2 };
inline constexpr double kTolFactor[3] = {0.1, 1.0, 10.0};

struct RefineSpec {
  bool enabled = false;
  int max_iterations = 50;
  double grad_rtol = 1e-12;  ///< target: ‖∇L‖ ≤ grad_rtol · loss_scale
};

struct EscapeSpec {
  int random_directions = 32;      ///< random unit directions in the full space
  int null_directions = 32;        ///< near-null eigenvectors probed (smallest |λ| first)
  int null_combinations = 32;      ///< random unit vectors inside the near-null space
  double step_min = 1e-6;          ///< relative to max(1, ‖w‖)
  double step_max = 0.3;           ///< relative to max(1, ‖w‖)
  double step_factor = 2.0;        ///< geometric growth of the step
  int perturbed_runs = 8;          ///< perturbed-descent starts
  double perturb_radius = 1e-3;    ///< relative to max(1, ‖w‖)
  long perturbed_steps = 2000;     ///< backtracking gradient steps per start
  std::uint64_t seed = 0x5eed;
};

/// Everything that turns an endpoint into a final class.
struct DecideSettings {
  Tolerances tol;
  RefineSpec refine;
  EscapeSpec escape;
  /// Relative SVD tolerance for weight ranks and the orbit dimension (core/linalg's rank rule).
  double rank_tol = 1e-6;
};

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
  bool compress = true;           ///< deep linear, n > d0: train on the compressed data
};

struct OutputSpec {
  std::string dir = "landscape-out";
  std::string db;           ///< results database; empty = <dir>/results.db
  bool spectrum = false;    ///< store every eigenvalue of every endpoint
  bool curves = false;      ///< store a subsampled training-loss curve per network
  int curve_points = 100;   ///< samples per curve (the loss every steps/curve_points steps)
  bool weights = true;      ///< store every endpoint's weights (and each cell's X and Y are always stored)
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

/// One swept variable of a sweep cell: its name as the label writes it ("dims", "scale",
/// "data_seed") and its value in this cell.
struct SweptValue {
  enum class Kind { text, real, integer, boolean, integers };
  std::string name;
  Kind kind = Kind::text;
  std::string text;                 ///< the value as labels and CSV files write it; a real in
                                    ///< the shortest form that reads back exactly ("0.1", "2.0")
  double real = 0;                  ///< Kind::real
  long long integer = 0;            ///< Kind::integer
  bool boolean = false;             ///< Kind::boolean
  std::vector<long long> integers;  ///< Kind::integers (dims)
};

/// One cell of a sweep: a complete experiment and a short label naming its swept values.
struct SweepCell {
  std::string label;
  ExperimentConfig config;
  std::vector<SweptValue> swept;  ///< the keys with more than one alternative, in grid order
};

}  // namespace landscape
