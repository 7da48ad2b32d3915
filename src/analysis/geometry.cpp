// The geometry around one point: loss slices, directions, eigenvectors and Hessian blocks.
#include "landscape/analysis/geometry.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "landscape/analysis/escape.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/core/common.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/rng.hpp"

namespace landscape {

std::vector<double> loss_along(const Model& m, const Dataset& d, const double* w, const double* dir,
                               const std::vector<double>& ts) {
  const math::Shape s = m.shape(d.n);
  const std::size_t P = math::param_count(s);
  std::vector<double> ws(math::activation_size(s)), x(P), out;
  out.reserve(ts.size());
  for (double t : ts) {
    for (std::size_t k = 0; k < P; ++k) x[k] = w[k] + t * dir[k];
    out.push_back(math::loss(s, d.X.data(), d.Y.data(), x.data(), ws.data()));
  }
  return out;
}

std::vector<double> loss_on_plane(const Model& m, const Dataset& d, const double* w,
                                  const double* d1, const double* d2, const std::vector<double>& as,
                                  const std::vector<double>& bs) {
  const math::Shape s = m.shape(d.n);
  const std::size_t P = math::param_count(s);
  std::vector<double> ws(math::activation_size(s)), x(P), out;
  out.reserve(as.size() * bs.size());
  for (double b : bs)
    for (double a : as) {
      for (std::size_t k = 0; k < P; ++k) x[k] = w[k] + a * d1[k] + b * d2[k];
      out.push_back(math::loss(s, d.X.data(), d.Y.data(), x.data(), ws.data()));
    }
  return out;
}

std::vector<double> symmetric_grid(double range, int count) {
  require(count >= 2, "grid", "needs at least 2 points, got " + std::to_string(count));
  require(range > 0 && std::isfinite(range), "grid", "range must be finite and > 0");
  std::vector<double> g(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) g[std::size_t(i)] = -range + 2.0 * range * i / (count - 1);
  if (count % 2 == 1) g[std::size_t(count / 2)] = 0.0;  // exactly, not to rounding
  return g;
}

void normalize_direction(std::vector<double>& dir, const std::string& what) {
  double s = 0;
  for (double x : dir) s += x * x;
  s = std::sqrt(s);
  require(std::isfinite(s), what, "direction is not finite");
  require(s > 0, what, "direction is zero");
  for (double& x : dir) x /= s;
}

std::vector<double> random_direction(const Model& m, std::uint64_t seed, std::uint64_t stream) {
  std::vector<double> v(m.param_count());
  math::CounterRng rng(seed, stream);
  for (double& x : v) x = rng.normal();
  normalize_direction(v, "random direction");
  return v;
}

std::vector<double> filter_normalized_direction(const Model& m, const double* w, std::uint64_t seed,
                                                std::uint64_t stream) {
  std::vector<double> v(m.param_count());
  math::CounterRng rng(seed, stream);
  for (double& x : v) x = rng.normal();
  std::size_t off = 0;
  for (int i = 1; i <= m.depth(); ++i) {
    const std::size_t rows = std::size_t(m.dims[std::size_t(i)]),
                      cols = std::size_t(m.dims[std::size_t(i - 1)]);
    for (std::size_t r = 0; r < rows; ++r) {
      double* vr = v.data() + off + r * cols;
      const double* wr = w + off + r * cols;
      double nv = 0, nw = 0;
      for (std::size_t c = 0; c < cols; ++c) {
        nv += vr[c] * vr[c];
        nw += wr[c] * wr[c];
      }
      const double f = nv > 0 ? std::sqrt(nw) / std::sqrt(nv) : 0.0;
      for (std::size_t c = 0; c < cols; ++c) vr[c] *= f;
    }
    off += rows * cols;
  }
  return v;
}

Eigenpairs smallest_eigenpairs(const Model& m, const Dataset& d, const double* w, int k) {
  const int P = int(m.param_count());
  require(k >= 1 && k <= P, "vectors",
          "needs 1 ≤ K ≤ P = " + std::to_string(P) + ", got " + std::to_string(k));
  std::vector<double> values, vectors;
  hessian_eigensystem(m, d, w, values, vectors);  // ascending, row i ↔ λ_i
  Eigenpairs e;
  e.count = k;
  e.P = P;
  e.values.assign(values.begin(), values.begin() + k);
  e.vectors.assign(vectors.begin(), vectors.begin() + std::ptrdiff_t(k) * P);
  return e;
}

HessianBlocks hessian_blocks(const Model& m, const double* H) {
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int h = m.depth();
  const Eigen::Index P = Eigen::Index(m.param_count());
  Eigen::Map<const RowMat> Hm(H, P, P);
  std::vector<Eigen::Index> off(std::size_t(h) + 1, 0);
  for (int i = 1; i <= h; ++i)
    off[std::size_t(i)] =
        off[std::size_t(i - 1)] + Eigen::Index(m.dims[std::size_t(i)]) * m.dims[std::size_t(i - 1)];
  HessianBlocks b;
  b.layers = h;
  b.frobenius.resize(std::size_t(h) * h);
  for (int i = 0; i < h; ++i) {
    const Eigen::Index ri = off[std::size_t(i)], ni = off[std::size_t(i + 1)] - ri;
    for (int j = 0; j < h; ++j) {
      const Eigen::Index cj = off[std::size_t(j)], nj = off[std::size_t(j + 1)] - cj;
      b.frobenius[std::size_t(i) * h + j] = Hm.block(ri, cj, ni, nj).norm();
    }
    const Eigen::MatrixXd D = Hm.block(ri, ri, ni, ni);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(D, Eigen::EigenvaluesOnly);
    b.lambda_min.push_back(es.eigenvalues()(0));
    b.lambda_max.push_back(es.eigenvalues()(ni - 1));
  }
  return b;
}

HessianBlocks hessian_blocks(const Model& m, const Dataset& d, const double* w) {
  const HessianResult r = exact_hessian(m, d, w);
  return hessian_blocks(m, r.H.data());
}

}  // namespace landscape
