// Data generation and CSV loading.
#include "landscape/core/data.hpp"

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

namespace {

/// The Householder reflector I − β·v·vᵀ that maps entries k..len−1 of the column `a` to
/// (α, 0, …, 0), α = ∓‖a[k..]‖ with the sign that avoids cancellation: writes v into
/// v[k..len−1] scaled to v_k = 1 (so |v_i| ≤ 1), α and the zeros into `a`, and returns
/// β = (α − a_k)/α ∈ [1, 2] (0, with nothing written, for a zero column: the identity reflects
/// it). As LAPACK's dlarfg, the column is first scaled, here by the power of two 2^e nearest below
/// its largest entry, which is exact: every quantity is then formed of numbers in [0, 2) and the
/// reflection of any column whose norm is a double (subnormal entries included) is that of the
/// scaled column, bit for bit. Plain loops of fixed order: the same bits everywhere.
double make_reflector(double* a, double* v, int k, int len) {
  double big = 0;
  for (int i = k; i < len; ++i) big = std::max(big, std::fabs(a[i]));
  if (big == 0) return 0;
  const int e = std::ilogb(big);
  double sum = 0;
  for (int i = k; i < len; ++i) {
    const double b = std::scalbn(a[i], -e);
    sum += b * b;
  }
  const double bk = std::scalbn(a[k], -e);
  const double norm = std::sqrt(sum);
  const double alpha = bk > 0 ? -norm : norm;
  const double pivot = bk - alpha;  // |pivot| ≥ norm ≥ |b_i|, and below 2·√len: no overflow
  v[k] = 1.0;
  for (int i = k + 1; i < len; ++i) v[i] = std::scalbn(a[i], -e) / pivot;
  const double beta = (alpha - bk) / alpha;
  a[k] = std::scalbn(alpha, e);
  for (int i = k + 1; i < len; ++i) a[i] = 0.0;
  return beta;
}

/// Applies I − β·v·vᵀ (v living in entries k..len−1) to the column `c`.
void apply_reflector(const double* v, double beta, int k, int len, double* c) {
  double t = 0;
  for (int i = k; i < len; ++i) t += v[i] * c[i];
  t *= beta;
  for (int i = k; i < len; ++i) c[i] -= t * v[i];
}

}  // namespace

bool compresses(const Model& model, const Dataset& d) {
  return model.family == Family::linear && d.n > d.d0;
}

CompressedData compress_linear_data(const Dataset& d) {
  const int d0 = d.d0, dh = d.dh, n = d.n;
  require(n >= d0, "data", "compression needs at least d0 = " + std::to_string(d0) +
                               " samples, got n = " + std::to_string(n));
  // Unblocked Householder QR of Xᵀ with its reflectors applied to Yᵀ as they are made, in plain
  // loops of fixed order (no BLAS, no threads, no cache-dependent blocking): the compressed data
  // is the same bits on every machine, thread count and run, so every backend and MPI rank
  // trains on the same numbers. Column j of Xᵀ is row j of X, and column r of Yᵀ row r of Y,
  // both contiguous, so A and B hold those columns one after another.
  std::vector<double> A(d.X), B(d.Y), v(static_cast<std::size_t>(n));
  const auto col = [n](std::vector<double>& M, int j) { return M.data() + std::size_t(j) * n; };
  for (int k = 0; k < d0; ++k) {
    const double beta = make_reflector(col(A, k), v.data(), k, n);
    if (beta == 0) continue;
    for (int j = k + 1; j < d0; ++j) apply_reflector(v.data(), beta, k, n, col(A, j));
    for (int r = 0; r < dh; ++r) apply_reflector(v.data(), beta, k, n, col(B, r));
  }
  // Now QᵀXᵀ = [R̂; 0] and QᵀYᵀ = B: X̃ = R̂ᵀ (X̃[i][k] = R̂[k][i] = A's column i, row k), Ỹ is
  // B's first d0 rows transposed, and the rest of B is the part of Y no W can reach.
  CompressedData c;
  c.data.d0 = d0;
  c.data.dh = dh;
  c.data.n = d0;
  c.data.X.assign(std::size_t(d0) * d0, 0.0);
  c.data.Y.assign(std::size_t(dh) * d0, 0.0);
  for (int i = 0; i < d0; ++i)
    for (int k = 0; k <= i; ++k) c.data.X[std::size_t(i) * d0 + k] = col(A, i)[k];
  double rest = 0;
  for (int r = 0; r < dh; ++r) {
    const double* b = col(B, r);
    for (int k = 0; k < d0; ++k) c.data.Y[std::size_t(r) * d0 + k] = b[k];
    for (int i = d0; i < n; ++i) rest += b[i] * b[i];
  }
  c.loss_offset = 0.5 * rest;
  return c;
}

bool reduces_inputs(const Model& model, const Dataset& d) {
  (void)model;  // every family: the first layer is linear in W_1 for linear and leaky alike
  return d.n < d.d0;
}

InputReduction reduce_inputs(const Dataset& d) {
  const int d0 = d.d0, n = d.n;
  require(n < d0, "data", "the input reduction needs fewer samples than inputs, got n = " +
                              std::to_string(n) + " and d0 = " + std::to_string(d0));
  // Unblocked Householder QR of X (d0×n) in plain loops of fixed order, as in
  // compress_linear_data: the same bits everywhere. A holds X's columns (the samples) one after
  // another.
  std::vector<double> A(std::size_t(d0) * n);
  for (int j = 0; j < d0; ++j)
    for (int s = 0; s < n; ++s) A[std::size_t(s) * d0 + j] = d.X[std::size_t(j) * n + s];
  InputReduction r;
  r.d0 = d0;
  r.reflectors.assign(std::size_t(n) * d0, 0.0);
  r.betas.assign(std::size_t(n), 0.0);
  for (int k = 0; k < n; ++k) {
    double* v = r.reflectors.data() + std::size_t(k) * d0;
    const double beta = make_reflector(A.data() + std::size_t(k) * d0, v, k, d0);
    r.betas[std::size_t(k)] = beta;
    if (beta == 0) continue;
    for (int j = k + 1; j < n; ++j) apply_reflector(v, beta, k, d0, A.data() + std::size_t(j) * d0);
  }
  // QᵀX = [R; 0]: R[k][s] is row k of the reflected column s.
  r.data.d0 = n;
  r.data.dh = d.dh;
  r.data.n = n;
  r.data.X.assign(std::size_t(n) * n, 0.0);
  for (int s = 0; s < n; ++s)
    for (int k = 0; k <= s; ++k) r.data.X[std::size_t(k) * n + s] = A[std::size_t(s) * d0 + k];
  r.data.Y = d.Y;
  return r;
}

void InputReduction::first_layer(const double* W1, int rows, double* V1) const {
  const int n = int(betas.size());
  std::vector<double> c(static_cast<std::size_t>(d0));
  for (int row = 0; row < rows; ++row) {
    std::copy(W1 + std::size_t(row) * d0, W1 + std::size_t(row + 1) * d0, c.begin());
    // Qᵀ = H_{n−1}⋯H_0: the reflectors in the order they were made.
    for (int k = 0; k < n; ++k)
      if (betas[std::size_t(k)] != 0)
        apply_reflector(reflectors.data() + std::size_t(k) * d0, betas[std::size_t(k)], k, d0, c.data());
    std::copy(c.begin(), c.begin() + n, V1 + std::size_t(row) * n);
  }
}

}  // namespace landscape
