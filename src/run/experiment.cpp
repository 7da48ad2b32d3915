// Experiment pipeline: chunked init → train → float64 analysis → per-endpoint description
// (refinement, spectra, symmetry, openness) → L* → classification and escape tests.
#include "landscape/run/experiment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include "landscape/analysis/classify.hpp"
#include "landscape/analysis/geometry.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/analysis/openness.hpp"
#include "landscape/core/common.hpp"
#include "landscape/core/parallel.hpp"
#include "landscape/io/config.hpp"
#include "landscape/math/rng.hpp"
#include "landscape/analysis/endpoint.hpp"
#include "landscape/analysis/optimum.hpp"
#include "landscape/run/pipeline.hpp"

namespace landscape {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

CellContext make_cell_context(const ExperimentConfig& c) {
  return make_cell_context(c, make_dataset(c.data, c.model, data_seed(c)));
}

CellContext make_cell_context(const ExperimentConfig& c, Dataset data) {
  const int d0 = c.model.dims.front(), dh = c.model.dims.back();
  require(data.d0 == d0 && data.dh == dh && data.n >= 1 && data.X.size() == std::size_t(d0) * std::size_t(data.n) &&
              data.Y.size() == std::size_t(dh) * std::size_t(data.n),
          c.source, "data of shape X " + std::to_string(data.d0) + "x" + std::to_string(data.n) + ", Y " +
                        std::to_string(data.dh) + "x" + std::to_string(data.n) + " do not fit the model's dims");
  CellContext ctx;
  ctx.cfg = c;
  ctx.data = std::move(data);
  ctx.loss_scale = loss_scale(ctx.data);
  ctx.train = make_train_settings(c.train, ctx.loss_scale);
  ctx.threads = thread_count(c.threads);
  if (c.output.curves) enable_curves(ctx.train, c.train.steps, c.output.curve_points);
  // The plateau rule measures the drop against L(0) − L* where L* is known before training.
  if (const auto v = closed_form_optimum(c.model, ctx.data)) ctx.train.params.escape_floor = *v;
  return ctx;
}

namespace {

/// Bytes one analysis thread holds at its peak for `m`: the Hessian, the solver's copy, its
/// eigenvectors and the decision's copy; then the decisions (symmetry orbit, refinement, escape
/// test), which run after the Hessians.
double per_thread_bytes(const Model& m) {
  const double P = double(m.param_count());
  return std::max(4.0 * P * P * sizeof(double), decision_memory_bytes(m));
}

}  // namespace

DynamicsInfo dynamics_of(const math::TrainOutcome& o, double loss_tol_abs) {
  DynamicsInfo d;
  d.initial_loss = o.initial_loss;
  d.escape_step = o.escape_step;
  d.loss_drop = o.initial_loss - o.loss;
  d.late_loss = o.late_loss;
  d.on_plateau = o.status != math::TrainStatus::diverged && o.escape_step < 0;
  d.still_descending = o.status == math::TrainStatus::budget && o.late_loss - o.loss > loss_tol_abs;
  return d;
}

MemoryEstimate estimate_memory(const ExperimentConfig& c, int threads) {
  const double P = double(c.model.param_count());
  MemoryEstimate m;
  m.analysis = double(std::max(1, threads)) * per_thread_bytes(c.model);
  // Per network: its record, its index, and at worst its weights as an escape candidate and
  // its spectrum.
  const double per_network = double(sizeof(EndpointRecord)) + 2.0 * sizeof(long) +
                             P * sizeof(double) * (c.output.spectrum ? 2.0 : 1.0);
  m.results = double(c.networks) * per_network;
  return m;
}

MemoryEstimate check_memory(const ExperimentConfig& c, int threads, double available,
                            const std::string& source) {
  const MemoryEstimate m = estimate_memory(c, threads);
  if (available <= 0) return m;
  const std::string have = "; this machine has " + format_bytes(available);
  require(m.analysis <= 0.8 * available, source + ": model.dims",
          std::to_string(c.model.param_count()) + " parameters: the exact Hessians and the decisions (symmetry "
              "orbit, refinement, escape test) worked on at once on " +
              std::to_string(threads) + " thread(s) need at least " + format_bytes(m.analysis) + have +
              " (use narrower layers, or fewer threads)");
  require(m.analysis + m.results <= 0.8 * available, source + ": experiment.networks",
          std::to_string(c.networks) + " networks: their results are held in memory until the "
              "experiment completes, at least " + format_bytes(m.results) + have +
              " (split the experiment into runs with fewer networks)");
  return m;
}

void check_point_memory(const Point& p, double available) {
  if (available <= 0) return;
  const double need = per_thread_bytes(p.model);
  require(need <= 0.8 * available, (p.source.empty() ? std::string("point") : p.source) + ": model.dims",
          std::to_string(p.model.param_count()) + " parameters: the exact Hessian and the decisions "
          "(symmetry orbit, refinement, escape test) need at least " + format_bytes(need) +
          "; this machine has " + format_bytes(available) + " (use narrower layers)");
}

TrainedChunk train_chunk(const CellContext& ctx, Backend& backend, std::vector<long> indices) {
  const ExperimentConfig& cfg = ctx.cfg;
  const std::size_t P = cfg.model.param_count();
  const std::size_t cnt = indices.size();
  TrainedChunk t;
  t.indices = std::move(indices);
  if (cnt == 0) return t;
  const auto t_chunk = std::chrono::steady_clock::now();
  t.weights.resize(cnt * P);
  t.outcomes.resize(cnt);
  const int curve_len = ctx.train.params.curve_len;
  if (curve_len > 0) t.curves.assign(cnt * std::size_t(curve_len), NAN);
  init_weights(cfg.model, cfg.seed, cfg.init.effective_scale(), t.indices.data(), cnt,
               t.weights.data(), ctx.threads);
  const auto t0 = std::chrono::steady_clock::now();
  backend.train(cfg.model, ctx.data, ctx.train, cnt, t.weights.data(), t.outcomes.data(),
                curve_len > 0 ? t.curves.data() : nullptr);
  t.seconds_train = seconds_since(t0);
  t.seconds_work = seconds_since(t_chunk);
  return t;
}

ChunkResult finish_chunk(const CellContext& ctx, Backend& backend, TrainedChunk trained) {
  const ExperimentConfig& cfg = ctx.cfg;
  const std::size_t P = cfg.model.param_count();
  const std::vector<long>& indices = trained.indices;
  const std::size_t cnt = indices.size();
  ChunkResult res;
  res.endpoints.resize(cnt);
  if (cnt == 0) return res;
  const auto t_chunk = std::chrono::steady_clock::now();
  const std::vector<double>& weights = trained.weights;  // moved into the result at the end
  const std::vector<math::TrainOutcome>& outcomes = trained.outcomes;
  std::vector<double> eig(cnt * P);
  auto analysis = std::vector<EndpointAnalysis>(cnt);
  res.curve_len = ctx.train.params.curve_len;
  res.curve_every = ctx.train.params.curve_every;
  res.curves = std::move(trained.curves);
  res.seconds_train = trained.seconds_train;
  auto t0 = std::chrono::steady_clock::now();
  backend.analyze(cfg.model, ctx.data, cnt, weights.data(), analysis.data(), eig.data());
  res.seconds_analyze = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  std::vector<char> candidate(cnt, 0);
  std::vector<std::vector<double>> final_w(cnt);
  const DataColumnSpace columns = data_column_space(ctx.data);  // once, not per endpoint
  ExceptionCollector errors;  // e.g. bad_alloc in one network's decisions: rethrown below
#pragma omp parallel for schedule(dynamic, 1) num_threads(ctx.threads)
  for (std::ptrdiff_t k = 0; k < std::ptrdiff_t(cnt); ++k) errors.run([&] {
    if (errors.failed()) return;
    const std::size_t i = std::size_t(k);
    EndpointRecord& e = res.endpoints[i];
    const math::TrainOutcome& o = outcomes[i];
    e.index = indices[i];
    e.train_status = o.status;
    e.steps = o.steps;
    e.dynamics = dynamics_of(o, cfg.decide.tol.loss * ctx.loss_scale);
    std::vector<double>& w = final_w[i];
    w.assign(weights.begin() + std::ptrdiff_t(i * P), weights.begin() + std::ptrdiff_t((i + 1) * P));
    PointFacts facts = analysis[i].facts;
    facts.finite = facts.finite && analysis[i].has_spectrum && o.status != math::TrainStatus::diverged;
    candidate[i] = describe_endpoint({cfg.model, ctx.data, ctx.loss_scale, cfg.decide, &columns}, cfg.output.spectrum,
                                     w, facts, eig.data() + i * P, e);
    e.near_kink = e.finite && e.kink_distance < cfg.decide.tol.kink;
  });
  errors.rethrow();
  for (std::size_t i = 0; i < cnt; ++i)
    if (candidate[i]) res.candidates[indices[i]] = std::move(final_w[i]);
  res.weights = std::move(trained.weights);
  res.seconds_decide = seconds_since(t0);
  // The chunk's own work (its training and its analysis), not the time it waited while another
  // chunk was trained ahead, so the figure is the same with and without overlap.
  const double per_net = (trained.seconds_work + seconds_since(t_chunk)) / double(cnt);
  for (auto& e : res.endpoints) e.wall_time = per_net;
  return res;
}

ChunkResult process_chunk(const CellContext& ctx, Backend& backend,
                          const std::vector<long>& indices) {
  return finish_chunk(ctx, backend, train_chunk(ctx, backend, indices));
}

bool train_ahead(const Backend& backend) {
  const char* v = std::getenv("LANDSCAPE_OVERLAP");
  if (v && std::string(v) == "0") return false;
  if (v && std::string(v) == "1") return true;
  return backend.supports_overlap();
}

GlobalOptimum cell_optimum(const CellContext& ctx, const std::vector<EndpointRecord>& endpoints) {
  std::vector<double> losses;
  losses.reserve(endpoints.size());
  for (const auto& e : endpoints) losses.push_back(e.finite ? e.loss : NAN);
  return find_optimum(ctx.cfg.model, ctx.data, losses);
}

void finalize_endpoints(const CellContext& ctx, const GlobalOptimum& opt, std::vector<EndpointRecord>& endpoints,
                        const std::map<long, std::vector<double>>& candidates) {
  const ExperimentConfig& cfg = ctx.cfg;
  const DataColumnSpace columns = data_column_space(ctx.data);  // once, not per endpoint
  ExceptionCollector errors;
#pragma omp parallel for schedule(dynamic, 1) num_threads(ctx.threads)
  for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(endpoints.size()); ++i) errors.run([&] {
    if (errors.failed()) return;
    EndpointRecord& e = endpoints[std::size_t(i)];
    const auto it = candidates.find(e.index);
    finalize_endpoint({cfg.model, ctx.data, ctx.loss_scale, cfg.decide, &columns}, opt,
                      it == candidates.end() ? nullptr : it->second.data(), e);
  });
  errors.rethrow();
}

void cell_warnings(const CellContext& ctx, const GlobalOptimum& opt, const std::vector<EndpointRecord>& endpoints,
                   std::vector<std::string>& warnings) {
  const ExperimentConfig& cfg = ctx.cfg;
  double best = std::numeric_limits<double>::infinity();
  long near_kink = 0;
  for (const auto& e : endpoints) {
    if (e.finite) best = std::min(best, e.loss);
    near_kink += e.near_kink;
  }
  if (opt.kind == "closed_form" && best < opt.value - cfg.decide.tol.loss * ctx.loss_scale) {
    std::ostringstream os;
    os.precision(17);
    os << "an endpoint's loss " << best << " lies below the closed-form optimum " << opt.value
       << ": the formula's assumptions do not hold for this data";
    warnings.push_back(os.str());
  }
  if (near_kink > 0)
    warnings.push_back(std::to_string(near_kink) +
                       " endpoint(s) lie within kink_tol of a leaky-ReLU kink, where the "
                       "Hessian is undefined; their second-order classes are not trustworthy");
}

GlobalOptimum finalize_cell(const CellContext& ctx, std::vector<EndpointRecord>& endpoints,
                            const std::map<long, std::vector<double>>& candidates,
                            std::vector<std::string>& warnings) {
  const GlobalOptimum opt = cell_optimum(ctx, endpoints);
  finalize_endpoints(ctx, opt, endpoints, candidates);
  cell_warnings(ctx, opt, endpoints, warnings);
  return opt;
}

SampleResult run_sample(const ExperimentConfig& cfg, Backend& backend, const Progress& progress) {
  const auto t_start = std::chrono::steady_clock::now();
  check_memory(cfg, thread_count(cfg.threads), physical_memory_bytes(), cfg.source);
  const CellContext ctx = make_cell_context(cfg);
  SampleResult res;
  res.config = cfg;
  res.backend = backend.name();
  res.device = backend.device();
  res.data = ctx.data;
  res.loss_scale = ctx.loss_scale;
  const long total = cfg.networks;
  const long want = cfg.chunk > 0 ? cfg.chunk : backend.preferred_chunk(cfg.model);
  const long chunk = std::max<long>(1, std::min(want, total));
  res.endpoints.reserve(std::size_t(total));
  const std::size_t chunks = std::size_t((total + chunk - 1) / chunk);
  const auto train = [&](std::size_t k) {
    const long first = long(k) * chunk;
    std::vector<long> idx;
    for (long i = first; i < std::min(total, first + chunk); ++i) idx.push_back(i);
    return train_chunk(ctx, backend, std::move(idx));
  };
  const auto finish = [&](std::size_t k, TrainedChunk&& t) {
    const long done = long(k) * chunk + long(t.indices.size());
    ChunkResult c = finish_chunk(ctx, backend, std::move(t));
    res.seconds_train += c.seconds_train;
    res.seconds_analyze += c.seconds_analyze;
    res.seconds_decide += c.seconds_decide;
    for (auto& e : c.endpoints) res.endpoints.push_back(std::move(e));
    for (auto& [i, w] : c.candidates) res.candidate_weights[i] = std::move(w);
    if (progress) progress(done, total);
  };
  run_chunks(chunks, train_ahead(backend), train, finish, [] { return false; });
  const auto t_final = std::chrono::steady_clock::now();
  res.optimum = finalize_cell(ctx, res.endpoints, res.candidate_weights, res.warnings);
  res.seconds_decide += seconds_since(t_final);
  for (const auto& e : res.endpoints) ++res.counts[std::size_t(e.cls)];
  res.seconds_total = seconds_since(t_start);
  return res;
}

namespace {

/// Progress of one single-point classification: once it has taken two seconds, a line
/// "classify: <stage>, N s" every two seconds from a thread of its own. The caller names the
/// stages; an empty stage is silent (one with its own progress lines, such as Lanczos). Every
/// line, the caller's notes included, goes through one mutex, so lines never interleave.
class Heartbeat {
 public:
  explicit Heartbeat(std::function<void(const std::string&)> sink) : m_sink(std::move(sink)) {
    if (m_sink) m_thread = std::thread([this] { loop(); });
  }
  ~Heartbeat() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_done = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable()) m_thread.join();
  }
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  void stage(std::string s) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stage = std::move(s);
  }
  /// A sink for the caller's own lines (empty when there is no sink at all).
  std::function<void(const std::string&)> note() {
    if (!m_sink) return {};
    return [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_sink(line);
    };
  }

 private:
  void loop() {
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!m_cv.wait_for(lock, std::chrono::seconds(2), [this] { return m_done; }))
      if (!m_stage.empty())
        m_sink("classify: " + m_stage + ", " + std::to_string(int(seconds_since(t0))) + " s");
  }

  std::function<void(const std::string&)> m_sink;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::string m_stage;
  bool m_done = false;
  std::thread m_thread;
};

std::string number_text(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

/// The empirical optimum's restarts where no closed form applies: the best of the point's own
/// loss and rs.restarts Adam runs.
std::vector<double> restart_losses(const Point& p, const RestartSpec& rs, double loss_scale,
                                   Backend& backend) {
  const std::size_t P = p.model.param_count();
  std::vector<double> losses;
  std::vector<double> rw(std::size_t(rs.restarts) * P);
  for (int i = 0; i < rs.restarts; ++i)
    math::init_network(rs.seed, math::kStreamRestart * 1000003ull + std::uint64_t(i),
                       p.model.depth(), p.model.dims.data(), 1.0, rw.data() + std::size_t(i) * P);
  TrainSpec ts;
  ts.optimizer = "adam";
  ts.lr = rs.lr;
  ts.steps = rs.steps;
  ts.grad_tol = 0;
  std::vector<math::TrainOutcome> out(std::size_t(rs.restarts));
  backend.train(p.model, p.data, make_train_settings(ts, loss_scale), std::size_t(rs.restarts),
                rw.data(), out.data());
  for (int i = 0; i < rs.restarts; ++i) {
    const PointFacts f = point_facts(p.model, p.data, rw.data() + std::size_t(i) * P);
    if (f.finite) losses.push_back(f.loss);
  }
  return losses;
}

/// The partial-spectrum path: Lanczos for the k extreme eigenvalues at each end, the spectrum
/// summaries over those 2k values (λ_min, λ_max and the threshold exact; the counts are of the
/// values found, so a negative count below k is exact and a count of k is "at least k"), no
/// symmetry orbit (its P × K tangent matrix is as large as the Hessian), openness as usual.
void describe_partial(const Point& p, const DecideSettings& settings, const PointOptions& o,
                      PointReport& r, PartialSpectrum& ps) {
  const Model& m = p.model;
  const int P = int(m.param_count());
  EndpointRecord& e = r.endpoint;
  const PointFacts facts = point_facts(m, p.data, p.weights.data());
  e.finite = facts.finite;
  e.loss = facts.loss;
  e.grad_norm = facts.grad_norm;
  e.kink_distance = facts.kink_distance;
  const int k = std::max(1, std::min(o.lanczos_k, (P - 1) / 2));
  r.spectrum = "partial";
  r.spectrum_k = k;
  if (!e.finite) return;
  const auto t0 = std::chrono::steady_clock::now();
  ps = lanczos_extreme(m, p.data, p.weights.data(), k, 1e-10, [&](long products, double sec) {
    if (o.note)
      o.note("classify: Lanczos, " + std::to_string(products) + " Hessian-vector products, " +
             std::to_string(int(sec)) + " s");
  });
  r.hessian_vector_products = ps.products;
  if (o.note && seconds_since(t0) > 2)
    o.note("classify: Lanczos done, " + std::to_string(ps.products) + " Hessian-vector products");
  std::vector<double> ends = ps.smallest;
  ends.insert(ends.end(), ps.largest.begin(), ps.largest.end());
  for (int l = 0; l < 3; ++l)
    e.spectrum[std::size_t(l)] = summarize_spectrum(ends.data(), int(ends.size()), settings.tol.eig * kTolFactor[l]);
  if (!e.nominal_spectrum().finite) e.finite = false;
  r.eigenvalues = ps.smallest;
  r.eigenvalues_largest = ps.largest;
  e.openness = openness(m, p.weights.data(), settings.rank_tol);
}

}  // namespace

PointReport classify_single(const Point& p, const DecideSettings& settings, const RestartSpec& rs,
                            Backend& backend, const PointOptions& options) {
  Heartbeat beat(options.note);
  PointOptions o = options;
  o.note = beat.note();
  PointReport r;
  r.settings = settings;
  const std::size_t P = p.model.param_count();
  const bool closed_form = closed_form_optimum(p.model, p.data).has_value();
  require(!p.global_loss || !closed_form, (p.source.empty() ? std::string("point") : p.source) + ": global_loss",
          "a closed-form optimum applies to this model and data; an optimum may be given only where "
          "none does (an empirical one)");
  r.loss_scale = loss_scale(p.data);
  r.dense_bytes = dense_hessian_bytes(p.model);
  const std::string src = p.source.empty() ? std::string("point") : p.source;
  const bool partial = r.dense_bytes > o.max_dense_mb * 1024.0 * 1024.0;
  EndpointRecord& e = r.endpoint;
  e.train_status = math::TrainStatus::converged;
  std::vector<double> w = p.weights;
  PartialSpectrum ps;
  if (partial) {
    if (o.note)
      o.note("classify: P = " + std::to_string(P) + " parameters; the dense Hessian and its "
             "eigendecomposition would need about " + format_bytes(r.dense_bytes) +
             " (above --max-dense-mb " + number_text(o.max_dense_mb) + "), so the spectrum is partial: "
             "the " + std::to_string(std::max(1, std::min<int>(o.lanczos_k, int(P - 1) / 2))) +
             " smallest and largest eigenvalues by Lanczos on exact Hessian-vector products");
    require(!settings.refine.enabled, src + ": --refine",
            "refinement solves with the dense Hessian, which exceeds --max-dense-mb for P = " +
                std::to_string(P) + " (raise --max-dense-mb, or classify without --refine)");
    beat.stage("");  // Lanczos reports its own progress
    describe_partial(p, settings, o, r, ps);
  } else {
    check_point_memory(p, physical_memory_bytes());
    if (o.note && P >= 2000)
      o.note("classify: P = " + std::to_string(P) + " parameters, dense Hessian of " +
             format_bytes(double(P) * double(P) * sizeof(double)) +
             " (about " + format_bytes(r.dense_bytes) + " with the solver's copies); forming and "
             "diagonalizing it takes a while");
    std::vector<EndpointAnalysis> a(1);
    std::vector<double> ev(P, NAN);
    beat.stage("exact Hessian and its eigenvalues (P = " + std::to_string(P) + ")");
    backend.analyze(p.model, p.data, 1, p.weights.data(), a.data(), ev.data());
    PointFacts facts = a[0].facts;
    facts.finite = facts.finite && a[0].has_spectrum;
    beat.stage(settings.refine.enabled ? "refinement, symmetry orbit and openness"
                                       : "symmetry orbit and openness");
    describe_endpoint({p.model, p.data, r.loss_scale, settings}, true, w, facts, ev.data(), e);
    r.eigenvalues = e.eigenvalues;
  }

  std::vector<double> losses{e.finite ? e.loss : NAN};
  if (p.global_loss) {
    // The optimum the point was judged against in its sweep (the best loss of its cell).
    losses.push_back(*p.global_loss);
  } else if (!closed_form) {
    // No formula: the empirical optimum is the best of this point and a set of Adam restarts.
    r.restarts = rs.restarts;
    beat.stage("empirical optimum, " + std::to_string(rs.restarts) + " Adam restarts of " +
               std::to_string(rs.steps) + " steps");
    // About 6·n·P flops per gradient: say so when the restarts will take more than a moment.
    if (o.note && 6.0 * p.data.n * double(P) * double(rs.restarts) * double(rs.steps) > 2e10)
      o.note("classify: no closed-form optimum; estimating it from " + std::to_string(rs.restarts) +
             " Adam restarts of " + std::to_string(rs.steps) + " steps (--restarts, --restart-steps)");
    for (double l : restart_losses(p, rs, r.loss_scale, backend)) losses.push_back(l);
  }
  r.optimum = find_optimum(p.model, p.data, losses);
  beat.stage("classes at three tolerance levels and the escape test");
  finalize_endpoint({p.model, p.data, r.loss_scale, settings}, r.optimum, e.finite ? w.data() : nullptr,
                    e, partial ? &ps.smallest_pairs : nullptr);
  if (!e.finite) return r;
  beat.stage("eigenvectors and Hessian blocks");
  if (o.vectors > 0) {
    if (partial) {
      require(o.vectors <= ps.smallest_pairs.count, src + ": --vectors",
              "a partial spectrum has " + std::to_string(ps.smallest_pairs.count) +
                  " eigenvectors (raise --lanczos-k)");
      Eigenpairs v = ps.smallest_pairs;
      v.count = o.vectors;
      v.values.resize(std::size_t(o.vectors));
      v.vectors.resize(std::size_t(o.vectors) * P);
      r.vectors = std::move(v);
    } else {
      require(std::size_t(o.vectors) <= P, src + ": --vectors",
              "at most P = " + std::to_string(P) + " eigenvectors");
      r.vectors = smallest_eigenpairs(p.model, p.data, w.data(), o.vectors);
    }
  }
  if (o.blocks && !partial) r.blocks = hessian_blocks(p.model, p.data, w.data());
  return r;
}

}  // namespace landscape
