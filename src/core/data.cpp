// Data generation and CSV loading.
#include "landscape/core/data.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "landscape/core/common.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/rng.hpp"

namespace landscape {
namespace {

std::vector<double> gaussian_matrix(int rows, int cols, int rank, std::uint64_t seed,
                                    std::uint64_t stream, std::uint64_t factor_stream) {
  std::vector<double> M(std::size_t(rows) * cols);
  if (rank <= 0 || rank >= std::min(rows, cols)) {
    math::CounterRng rng(seed, stream);
    for (double& x : M) x = rng.normal();
    return M;
  }
  // A (rows×r) · B (r×cols) / √r: rank exactly r with probability one, entries of unit variance.
  math::CounterRng ra(seed, stream), rb(seed, factor_stream);
  std::vector<double> A(std::size_t(rows) * rank), B(std::size_t(rank) * cols);
  for (double& x : A) x = ra.normal();
  for (double& x : B) x = rb.normal();
  const double inv = 1.0 / std::sqrt(double(rank));
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      double acc = 0;
      for (int k = 0; k < rank; ++k)
        acc += A[std::size_t(i) * rank + k] * B[std::size_t(k) * cols + j];
      M[std::size_t(i) * cols + j] = acc * inv;
    }
  return M;
}

}  // namespace

std::vector<double> read_csv_matrix(const std::string& path, int& rows, int& cols) {
  const std::string text = read_file(path);
  std::istringstream in(text);
  std::vector<double> out;
  std::string line;
  rows = 0;
  cols = -1;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    int c = 0;
    std::size_t pos = 0;
    while (true) {
      const std::size_t comma = line.find(',', pos);
      std::string field =
          line.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      const auto b = field.find_first_not_of(" \t");
      const auto e = field.find_last_not_of(" \t");
      field = b == std::string::npos ? std::string() : field.substr(b, e - b + 1);
      const std::string where =
          path + ":" + std::to_string(lineno) + ": column " + std::to_string(c + 1);
      require(!field.empty(), where, "empty field");
      char* end = nullptr;
      const double v = std::strtod(field.c_str(), &end);
      // The whole field must be the number: strtod stops at an embedded NUL byte too.
      require(end == field.c_str() + field.size(), where, "not a number: '" + field + "'");
      require(std::isfinite(v), where, "non-finite number '" + field + "'");
      out.push_back(v);
      ++c;
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    if (cols < 0) cols = c;
    require(c == cols, path + ":" + std::to_string(lineno),
            "row has " + std::to_string(c) + " columns, expected " + std::to_string(cols));
    ++rows;
  }
  require(rows > 0, path, "no data rows");
  return out;
}

void validate_dataset(const Dataset& d, const Model& m, const std::string& where) {
  require(d.n >= 1, where, "needs at least one sample");
  require(d.d0 == m.dims.front(), where + ".X",
          "has " + std::to_string(d.d0) + " rows but dims[0] = " + std::to_string(m.dims.front()));
  require(d.dh == m.dims.back(), where + ".Y",
          "has " + std::to_string(d.dh) + " rows but dims[h] = " + std::to_string(m.dims.back()));
  require(d.X.size() == std::size_t(d.d0) * d.n, where + ".X", "size does not match d0 x n");
  require(d.Y.size() == std::size_t(d.dh) * d.n, where + ".Y", "size does not match dh x n");
  for (double x : d.X) require(std::isfinite(x), where + ".X", "contains a non-finite number");
  for (double y : d.Y) require(std::isfinite(y), where + ".Y", "contains a non-finite number");
}

std::string to_string(InputKind k) { return k == InputKind::csv ? "csv" : "gaussian"; }

std::string to_string(TargetKind k) {
  return k == TargetKind::csv ? "csv" : k == TargetKind::teacher ? "teacher" : "gaussian";
}

void check_data_ranks(const DataSpec& spec, int d0, int dh, int n, const std::string& x_rank_field,
                      const std::string& y_rank_field) {
  const auto check = [&](int rank, int rows, const char* rows_name, const std::string& field) {
    const int cap = std::min(rows, n);
    require(rank >= 0, field, "must be >= 0 (0 = full rank)");
    require(rank <= cap, field,
            "must be <= min(" + std::string(rows_name) + ", n) = " + std::to_string(cap) +
                " (0 = full rank; n = " + std::to_string(n) + " samples)");
  };
  if (spec.x == InputKind::gaussian) check(spec.x_rank, d0, "dims[0]", x_rank_field);
  if (spec.y == TargetKind::gaussian) check(spec.y_rank, dh, "dims[h]", y_rank_field);
}

Dataset make_dataset(const DataSpec& spec, const Model& model, std::uint64_t seed) {
  Dataset d;
  d.d0 = model.dims.front();
  d.dh = model.dims.back();
  if (spec.x == InputKind::csv) {
    int r = 0, c = 0;
    d.X = read_csv_matrix(spec.x_file, r, c);
    require(r == d.d0, spec.x_file,
            "has " + std::to_string(r) + " rows but dims[0] = " + std::to_string(d.d0) +
                " (rows are features, columns samples)");
    d.n = c;
  } else {
    require(spec.n >= 1, "data.n", "must be a positive integer");
    d.n = spec.n;
  }
  check_data_ranks(spec, d.d0, d.dh, d.n, "data.x_rank", "data.y_rank");
  if (spec.x == InputKind::gaussian) {
    d.X = gaussian_matrix(d.d0, d.n, spec.x_rank, seed, math::kStreamX, math::kStreamXFactor);
  }
  require(spec.noise >= 0 && std::isfinite(spec.noise), "data.noise", "must be finite and >= 0");
  switch (spec.y) {
    case TargetKind::csv: {
      int r = 0, c = 0;
      d.Y = read_csv_matrix(spec.y_file, r, c);
      require(r == d.dh, spec.y_file,
              "has " + std::to_string(r) + " rows but dims[h] = " + std::to_string(d.dh));
      require(
          c == d.n, spec.y_file,
          "has " + std::to_string(c) + " columns but X has " + std::to_string(d.n) + " samples");
      break;
    }
    case TargetKind::gaussian:
      d.Y = gaussian_matrix(d.dh, d.n, spec.y_rank, seed, math::kStreamY, math::kStreamYFactor);
      break;
    case TargetKind::teacher: {
      require(std::isfinite(spec.teacher_scale) && spec.teacher_scale > 0, "data.teacher_scale",
              "must be finite and > 0");
      std::vector<double> tw(model.param_count());
      math::init_network(seed, math::kStreamTeacher, model.depth(), model.dims.data(),
                         spec.teacher_scale, tw.data());
      const math::Shape s = model.shape(d.n);
      std::vector<double> acts(math::activation_size(s));
      math::forward(s, d.X.data(), tw.data(), acts.data());
      const double* F = math::layer_ptr(s, acts.data(), s.h);
      d.Y.assign(F, F + std::size_t(d.dh) * d.n);
      break;
    }
  }
  if (spec.noise > 0) {
    math::CounterRng rng(seed, math::kStreamNoise);
    for (double& y : d.Y) y += spec.noise * rng.normal();
  }
  validate_dataset(d, model, "data");
  return d;
}

bool compresses(const Model& model, const Dataset& d) {
  return model.family == Family::linear && d.n > d.d0;
}

CompressedData compress_linear_data(const Dataset& d) {
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMat> X(d.X.data(), d.d0, d.n), Y(d.Y.data(), d.dh, d.n);
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(X.transpose());
  const Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(d.n, d.d0);
  const RowMat Xc =
      qr.matrixQR().topRows(d.d0).triangularView<Eigen::Upper>().toDenseMatrix().transpose();
  const RowMat Yc = Y * Q;
  CompressedData c;
  c.data.d0 = d.d0;
  c.data.dh = d.dh;
  c.data.n = d.d0;
  c.data.X.assign(Xc.data(), Xc.data() + Xc.size());
  c.data.Y.assign(Yc.data(), Yc.data() + Yc.size());
  // The residual itself, not ‖Y‖² − ‖YQ̂‖², which cancels when Y lies (nearly) in X's row space.
  c.loss_offset = 0.5 * (Y - Yc * Q.transpose()).squaredNorm();
  return c;
}

}  // namespace landscape
