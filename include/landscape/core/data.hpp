// Training data: generation (Gaussian, prescribed rank, teacher network) and CSV loading.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "landscape/core/model.hpp"

namespace landscape {

/// X (d0×n) and Y (dh×n), row-major float64: row = feature, column = sample.
struct Dataset {
  int d0 = 0, dh = 0, n = 0;
  std::vector<double> X, Y;
};

enum class InputKind { gaussian, csv };
enum class TargetKind { gaussian, teacher, csv };

/// How to make the data. Ranks of 0 mean full rank.
struct DataSpec {
  int n = 16;
  InputKind x = InputKind::gaussian;
  int x_rank = 0;
  TargetKind y = TargetKind::gaussian;
  int y_rank = 0;
  double noise = 0.0;         ///< std of Gaussian noise added to Y
  double teacher_scale = 1.0; ///< teacher weights N(0, scale²/fan_in)
  std::string x_file, y_file; ///< CSV paths when x or y is csv
  long long seed = -1;        ///< seed of the data draw (X, Y, teacher, noise); -1: experiment.seed
};

/// A deep linear network's data reduced to d0 samples (docs/math.md §2a). With the Householder
/// QR Xᵀ = Q[R̂; 0] (Q = [Q̂ Q̂⊥] n×n orthogonal, Q̂ its first d0 columns), X = R̂ᵀQ̂ᵀ, and for
/// every W
///   ½‖WX − Y‖² = ½‖W·R̂ᵀ − Y·Q̂‖² + ½‖Y·Q̂⊥‖²,
/// so training on (R̂ᵀ, YQ̂) with the constant second term added back gives the same loss and
/// gradient (and Hessian) at d0/n of the per-sample cost, without forming XXᵀ (whose rounding
/// would square X's condition number and cancel in the loss).
struct CompressedData {
  Dataset data;              ///< X = R̂ᵀ (d0×d0), Y = YQ̂ (dh×d0), n = d0
  /// ½‖YQ̂⊥‖²: for full-rank X, the part of Y outside X's row space (for rank-deficient X, Q̂
  /// spans more than the row space, and the rest of Y's projection stays in the first term)
  double loss_offset = 0.0;
};

/// True when `model` trains on compressed data: a deep linear network with n > d0 samples.
bool compresses(const Model& model, const Dataset& d);

/// The compressed form of `d` (n ≥ d0, any rank), in plain loops of fixed order: the same bits
/// on every machine, thread count and run. Throws Error when n < d0.
CompressedData compress_linear_data(const Dataset& d);

/// The data as the first layer sees it when there are fewer samples than inputs (n < d0;
/// docs/math.md §2b). With the Householder QR X = Q[R; 0] (Q = [Q̂ Q̂⊥] d0×d0 orthogonal, Q̂ its
/// first n columns), W_1·X = (W_1·Q̂)·R for every W_1, so the loss depends on W_1 only through
/// V_1 = W_1·Q̂: in the orthonormal coordinates (V_1, W_1·Q̂⊥) of the first layer, the Hessian is
/// that of the network with inputs R (d0 = n) at (V_1, W_2, …, W_h), bordered by d1·(d0 − n)
/// rows and columns of exact zeros. Any family, any rank of X.
struct InputReduction {
  Dataset data;                  ///< X = R (n×n, upper triangular), Y as given, d0 = n
  int d0 = 0;                    ///< the inputs of the data as given
  std::vector<double> reflectors;  ///< n Householder vectors of length d0 (v_k zero above row k)
  std::vector<double> betas;       ///< their β_k, I − β_k·v_k·v_kᵀ (0: the identity)
  /// V_1 = W_1·Q̂ (rows×n) from W_1 (rows×d0), both row-major: row r of V_1 is the first n
  /// entries of Qᵀ·(row r of W_1).
  void first_layer(const double* W1, int rows, double* V1) const;
};

/// True when the Hessian of `model` on `d` is formed in reduced coordinates: n < d0.
bool reduces_inputs(const Model& model, const Dataset& d);

/// The reduced form of `d` (n < d0, any rank), in plain loops of fixed order like
/// compress_linear_data. Throws Error when n ≥ d0.
InputReduction reduce_inputs(const Dataset& d);

/// Builds the data for `model` from `spec`, reproducibly from `seed`. Gaussian entries are
/// N(0, 1); a rank-r matrix is A·B/√r with Gaussian A, B. Throws Error on bad input.
Dataset make_dataset(const DataSpec& spec, const Model& model, std::uint64_t seed);

/// Reads a numeric CSV (comma separated, '#' comments and blank lines ignored) into a row-major
/// matrix; errors name file, line and column. Sets rows and cols.
std::vector<double> read_csv_matrix(const std::string& path, int& rows, int& cols);

/// Checks X and Y against the model (d0 rows, dh rows, same n ≥ 1, all finite).
void validate_dataset(const Dataset& d, const Model& m, const std::string& where);

/// "gaussian" / "csv", and "gaussian" / "teacher" / "csv", as in the experiment file.
std::string to_string(InputKind k);
std::string to_string(TargetKind k);

/// Refuses ranks that cannot be drawn: a Gaussian X (Y) of rank at most min(d0, n)
/// (min(dh, n)), 0 meaning full rank. Kinds read from files are not checked. The errors name
/// `x_rank_field` and `y_rank_field`.
void check_data_ranks(const DataSpec& spec, int d0, int dh, int n, const std::string& x_rank_field,
                      const std::string& y_rank_field);

}  // namespace landscape
