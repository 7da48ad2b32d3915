// Shared by refinement and the escape test (not installed): loss and gradient evaluations with
// reusable scratch, vector norms and random unit directions.
#pragma once

#include <cmath>
#include <vector>

#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/rng.hpp"

namespace landscape::detail {

inline double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

/// Loss and gradient evaluations at arbitrary points, with reusable scratch.
class Evaluator {
 public:
  Evaluator(const Model& m, const Dataset& d)
      : m_d(d), m_s(m.shape(d.n)), m_ws(math::gradient_workspace(m_s)) {}
  double loss(const double* w) { return math::loss(m_s, m_d.X.data(), m_d.Y.data(), w, m_ws.data()); }
  double gradient(const double* w, double* g) {
    return math::loss_and_gradient(m_s, m_d.X.data(), m_d.Y.data(), w, g, m_ws.data());
  }

 private:
  const Dataset& m_d;
  math::Shape m_s;
  std::vector<double> m_ws;
};

inline void random_unit(math::CounterRng& rng, std::vector<double>& v) {
  double s = 0;
  for (double& x : v) {
    x = rng.normal();
    s += x * x;
  }
  s = std::sqrt(s);
  for (double& x : v) x /= s;
}


}  // namespace landscape::detail
