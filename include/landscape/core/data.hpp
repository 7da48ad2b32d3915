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
