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

/// A deep linear network's data reduced to d0 samples (docs/math.md §2a). With the thin
/// Householder QR Xᵀ = Q̂R̂ (Q̂ n×d0 with orthonormal columns), X = R̂ᵀQ̂ᵀ, and for every W
///   ½‖WX − Y‖² = ½‖W·R̂ᵀ − Y·Q̂‖² + ½‖Y − Y·Q̂Q̂ᵀ‖²,
/// so training on (R̂ᵀ, YQ̂) with the constant second term added back gives the same loss and
/// gradient (and Hessian) at d0/n of the per-sample cost, without forming XXᵀ (whose rounding
/// would square X's condition number and cancel in the loss).
struct CompressedData {
  Dataset data;              ///< X = R̂ᵀ (d0×d0), Y = YQ̂ (dh×d0), n = d0
  double loss_offset = 0.0;  ///< ½‖Y − YQ̂Q̂ᵀ‖²: the part of Y outside X's row space
};

/// True when `model` trains on compressed data: a deep linear network with n > d0 samples.
bool compresses(const Model& model, const Dataset& d);

/// The compressed form of `d` (any n and rank; deterministic: the same bits on every run).
CompressedData compress_linear_data(const Dataset& d);

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
