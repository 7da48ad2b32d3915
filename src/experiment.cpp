// Experiment pipeline: chunked init → train → float64 analysis → classification.
#include "landscape/experiment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "landscape/analysis.hpp"
#include "landscape/math/rng.hpp"
#include "landscape/optimum.hpp"

namespace landscape {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Closed form where MATH.md §3 has one; otherwise the best finite loss among `losses`.
GlobalOptimum find_optimum(const Model& m, const Dataset& d, const std::vector<double>& losses) {
  GlobalOptimum g;
  if (auto v = closed_form_optimum(m, d)) {
    g.value = *v;
    g.kind = "closed_form";
    return g;
  }
  g.kind = "empirical";
  g.value = std::numeric_limits<double>::infinity();
  for (double l : losses)
    if (std::isfinite(l)) g.value = std::min(g.value, l);
  return g;
}

}  // namespace

SampleResult run_sample(const ExperimentConfig& cfg, Backend& backend, const Progress& progress) {
  const auto t_start = std::chrono::steady_clock::now();
  SampleResult res;
  res.config = cfg;
  res.backend = backend.name();
  res.device = backend.device();
  res.data = make_dataset(cfg.data, cfg.model, cfg.seed);
  res.loss_scale = loss_scale(res.data);
  const TrainSettings settings = make_train_settings(cfg.train, res.loss_scale);
  const std::size_t P = cfg.model.param_count();
  const long total = cfg.networks;
  const long want = cfg.chunk > 0 ? cfg.chunk : backend.preferred_chunk(cfg.model);
  const long chunk = std::max<long>(1, std::min(want, total));

  res.endpoints.resize(std::size_t(total));
  std::vector<double> weights(std::size_t(chunk) * P), eig(std::size_t(chunk) * P);
  auto outcomes = std::vector<math::TrainOutcome>(std::size_t(chunk));
  auto analysis = std::vector<EndpointAnalysis>(std::size_t(chunk));

  for (long first = 0; first < total; first += chunk) {
    const long cnt = std::min(chunk, total - first);
    for (long i = 0; i < cnt; ++i)
      math::init_network(cfg.seed, math::kStreamInitBase + std::uint64_t(first + i),
                         cfg.model.depth(), cfg.model.dims.data(), cfg.init.effective_scale(),
                         weights.data() + std::size_t(i) * P);
    auto t0 = std::chrono::steady_clock::now();
    backend.train(cfg.model, res.data, settings, std::size_t(cnt), weights.data(), outcomes.data());
    res.seconds_train += seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    backend.analyze(cfg.model, res.data, std::size_t(cnt), weights.data(), analysis.data(), eig.data());
    res.seconds_analyze += seconds_since(t0);
    for (long i = 0; i < cnt; ++i) {
      EndpointRecord& e = res.endpoints[std::size_t(first + i)];
      const EndpointAnalysis& a = analysis[std::size_t(i)];
      e.index = first + i;
      e.train_status = outcomes[std::size_t(i)].status;
      e.steps = outcomes[std::size_t(i)].steps;
      e.finite = a.facts.finite && outcomes[std::size_t(i)].status != math::TrainStatus::diverged;
      e.loss = a.facts.loss;
      e.grad_norm = a.facts.grad_norm;
      e.kink_distance = a.facts.kink_distance;
      if (a.has_spectrum) {
        const double* ev = eig.data() + std::size_t(i) * P;
        e.spectrum = summarize_spectrum(ev, int(P), cfg.tol.eig);
        if (cfg.output.spectrum) e.eigenvalues.assign(ev, ev + P);
      }
    }
    if (progress) progress(first + cnt, total);
  }

  std::vector<double> losses;
  losses.reserve(res.endpoints.size());
  for (const auto& e : res.endpoints) losses.push_back(e.finite ? e.loss : NAN);
  res.optimum = find_optimum(cfg.model, res.data, losses);
  double best = std::numeric_limits<double>::infinity();
  for (auto& e : res.endpoints) {
    e.cls = classify_point(e.finite, e.loss, e.grad_norm, e.spectrum, res.optimum.value,
                           res.loss_scale, cfg.tol);
    ++res.counts[std::size_t(e.cls)];
    if (e.finite) best = std::min(best, e.loss);
  }
  if (res.optimum.kind == "closed_form" && best < res.optimum.value - cfg.tol.loss * res.loss_scale) {
    std::ostringstream os;
    os.precision(17);
    os << "an endpoint's loss " << best << " lies below the closed-form optimum "
       << res.optimum.value << ": the formula's assumptions do not hold for this data";
    res.warnings.push_back(os.str());
  }
  long near_kink = 0;
  for (const auto& e : res.endpoints)
    if (e.finite && e.kink_distance < cfg.tol.kink) ++near_kink;
  if (near_kink > 0)
    res.warnings.push_back(std::to_string(near_kink) +
                           " endpoint(s) lie within kink_tol of a leaky-ReLU kink, where the "
                           "Hessian is undefined; their second-order classes are not trustworthy");
  res.seconds_total = seconds_since(t_start);
  return res;
}

PointReport classify_single(const Point& p, const Tolerances& tol, const RestartSpec& rs,
                            Backend& backend) {
  PointReport r;
  r.tol = tol;
  const std::size_t P = p.model.param_count();
  r.loss_scale = loss_scale(p.data);
  std::vector<EndpointAnalysis> a(1);
  r.eigenvalues.assign(P, NAN);
  backend.analyze(p.model, p.data, 1, p.weights.data(), a.data(), r.eigenvalues.data());
  r.facts = a[0].facts;
  if (a[0].has_spectrum) r.spectrum = summarize_spectrum(r.eigenvalues.data(), int(P), tol.eig);

  std::vector<double> losses{r.facts.finite ? r.facts.loss : NAN};
  if (!closed_form_optimum(p.model, p.data)) {
    // No formula: the empirical optimum is the best of this point and a set of Adam restarts.
    r.restarts = rs.restarts;
    std::vector<double> w(std::size_t(rs.restarts) * P);
    for (int i = 0; i < rs.restarts; ++i)
      math::init_network(rs.seed, math::kStreamRestart * 1000003ull + std::uint64_t(i),
                         p.model.depth(), p.model.dims.data(), 1.0, w.data() + std::size_t(i) * P);
    TrainSpec ts;
    ts.optimizer = "adam";
    ts.lr = rs.lr;
    ts.steps = rs.steps;
    ts.grad_tol = 0;
    std::vector<math::TrainOutcome> out(std::size_t(rs.restarts));
    backend.train(p.model, p.data, make_train_settings(ts, r.loss_scale), std::size_t(rs.restarts),
                  w.data(), out.data());
    for (int i = 0; i < rs.restarts; ++i) {
      const PointFacts f = point_facts(p.model, p.data, w.data() + std::size_t(i) * P);
      if (f.finite) losses.push_back(f.loss);
    }
  }
  r.optimum = find_optimum(p.model, p.data, losses);
  r.cls = classify_point(r.facts.finite, r.facts.loss, r.facts.grad_norm, r.spectrum,
                         r.optimum.value, r.loss_scale, tol);
  return r;
}

}  // namespace landscape
