// Standard benchmark workloads: validated first, then timed per stage (train, Hessian, eigen,
// classify) with rates, achieved FLOP/s and the fraction of the device's peak.
#include "landscape/run/bench.hpp"

#include <cstdlib>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <nlohmann/json.hpp>

#include "landscape/analysis/classify.hpp"
#include "landscape/analysis/hessian.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/backends/simd.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/config.hpp"
#include "landscape/core/data.hpp"
#include "landscape/run/experiment.hpp"
#include "landscape/math/rng.hpp"
#include "landscape/analysis/optimum.hpp"
#include "landscape/run/mpi.hpp"
#include "landscape/run/pipeline.hpp"

namespace landscape {
namespace {

using json = nlohmann::json;
constexpr std::uint64_t kBenchSeed = 1;
constexpr double kInitScale = 1.0;

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Multiply-adds of one gradient step per network: forward 2·d_i·d_{i−1}·n flops per layer,
/// backward (weight gradient and back-propagated signal) twice that.
double train_step_flops(const Model& m, int n) {
  double f = 0;
  for (int i = 1; i <= m.depth(); ++i) f += 6.0 * m.dims[std::size_t(i)] * m.dims[std::size_t(i) - 1] * n;
  return f;
}
/// One Hessian column is an R-operator forward and backward pass, about 8·Σ d_i·d_{i−1}·n flops;
/// the Hessian has P columns.
double hessian_flops(const Model& m, int n) {
  double f = 0;
  for (int i = 1; i <= m.depth(); ++i) f += 8.0 * m.dims[std::size_t(i)] * m.dims[std::size_t(i) - 1] * n;
  return f * double(m.param_count());
}
/// Values-only symmetric eigensolver: tridiagonal reduction dominates, 4/3·P³.
double eigen_flops(const Model& m) {
  const double P = double(m.param_count());
  return 4.0 / 3.0 * P * P * P;
}

Model make(Family f, std::vector<int> dims, double slope = 1.0) {
  Model m;
  m.family = f;
  m.dims = std::move(dims);
  m.slope = slope;
  return m;
}

Dataset workload_data(const Workload& w) {
  DataSpec ds;
  ds.n = w.n;
  return make_dataset(ds, w.model, kBenchSeed);
}

json matrix_json(const std::vector<double>& a, int rows, int cols) {
  json m = json::array();
  for (int r = 0; r < rows; ++r)
    m.push_back(std::vector<double>(a.begin() + std::ptrdiff_t(r) * cols, a.begin() + std::ptrdiff_t(r + 1) * cols));
  return m;
}

/// Writes the workload file the peers read (format in bench/peers/README.md).
void export_workload(const Workload& w, const std::string& dir) {
  const Dataset d = workload_data(w);
  const std::size_t P = w.model.param_count();
  const int K = 4;
  const long S = std::min<long>(w.steps, 200);
  std::vector<double> init(std::size_t(K) * P);
  for (int i = 0; i < K; ++i)
    math::init_network(kBenchSeed, math::kStreamInitBase + std::uint64_t(i), w.model.depth(), w.model.dims.data(),
                       kInitScale, init.data() + std::size_t(i) * P);
  std::vector<double> trained = init;
  TrainSettings s;
  s.precision = Precision::f64;
  s.params.lr = w.lr;
  s.params.max_steps = S;
  s.params.grad_tol = 0;
  std::vector<math::TrainOutcome> out(K);
  auto cpu = make_cpu_backend(0);
  cpu->train(w.model, d, s, K, trained.data(), out.data());
  std::vector<EndpointAnalysis> an(K);
  std::vector<double> ev(std::size_t(K) * P);
  cpu->analyze(w.model, d, K, trained.data(), an.data(), ev.data());
  json j;
  j["name"] = w.name;
  j["family"] = to_string(w.model.family);
  j["dims"] = w.model.dims;
  j["slope"] = w.model.family == Family::leaky_relu ? w.model.slope : 1.0;
  j["n"] = w.n;
  j["networks"] = w.networks;
  j["steps"] = w.steps;
  j["lr"] = w.lr;
  j["train_precision"] = "float32";
  j["X"] = matrix_json(d.X, d.d0, d.n);
  j["Y"] = matrix_json(d.Y, d.dh, d.n);
  j["init_seed"] = kBenchSeed;
  j["init_scale"] = kInitScale;
  json v;
  v["networks"] = K;
  v["steps"] = S;
  v["lr"] = w.lr;
  v["init"] = json::array();
  v["final_loss"] = json::array();
  v["eigenvalues"] = json::array();
  for (int i = 0; i < K; ++i) {
    v["init"].push_back(std::vector<double>(init.begin() + std::ptrdiff_t(i * P), init.begin() + std::ptrdiff_t((i + 1) * P)));
    v["final_loss"].push_back(an[std::size_t(i)].facts.loss);
    v["eigenvalues"].push_back(std::vector<double>(ev.begin() + std::ptrdiff_t(i * P), ev.begin() + std::ptrdiff_t((i + 1) * P)));
  }
  j["validation"] = v;
  write_file_atomic(dir + "/" + w.name + ".json", j.dump() + "\n");
}

}  // namespace

std::vector<Workload> standard_workloads() {
  return {
      {"W-S", make(Family::linear, {6, 4, 4, 6}), 32, 1000000, 2000, 1e-3, 2000},
      {"W-M", make(Family::linear, {16, 16, 16, 16}), 64, 10000, 2000, 2e-4, 40},
      {"W-P", make(Family::leaky_relu, {32, 16, 8, 4}, 0.1), 16, 10000, 2000, 1e-3, 40},
  };
}

namespace {

/// The workloads named by --workload (all when none), refusing unknown names.
std::vector<Workload> chosen_workloads(const BenchOptions& opt) {
  std::vector<Workload> chosen;
  for (const Workload& w : standard_workloads())
    if (opt.workloads.empty() || std::find(opt.workloads.begin(), opt.workloads.end(), w.name) != opt.workloads.end())
      chosen.push_back(w);
  for (const auto& name : opt.workloads) {
    bool known = false;
    for (const auto& w : standard_workloads()) known = known || w.name == name;
    require(known, "--workload", "unknown workload '" + name + "' (expected W-S, W-M or W-P)");
  }
  return chosen;
}

/// --export: the workload files for bench/peers/ instead of timing.
int export_workloads(const BenchOptions& opt, const std::vector<Workload>& chosen, std::ostream& out) {
  std::error_code ec;
  std::filesystem::create_directories(opt.export_dir, ec);
  require(!ec, opt.export_dir, "cannot create directory: " + ec.message());
  for (const Workload& w : chosen) {
    export_workload(w, opt.export_dir);
    out << "wrote " << opt.export_dir << "/" << w.name << ".json\n";
  }
  return 0;
}

/// One workload as it is timed here: its network count and steps after the options, its data
/// and training settings.
struct BenchCase {
  const Workload& w;
  long networks = 0;
  bool scaled = false;  ///< networks differs from the standard count
  long steps = 0;
  Dataset d;
  std::size_t P = 0;
  TrainSettings s;
};

BenchCase make_case(const Workload& w, const BenchOptions& opt, bool gpu) {
  BenchCase c{w, w.networks, false, 0, Dataset{}, 0, TrainSettings{}};
  if (opt.networks > 0) c.networks = opt.networks;
  else if (opt.scale > 0) c.networks = std::max(1L, std::lround(double(w.networks) * opt.scale));
  else if (!gpu) c.networks = w.cpu_networks;
  c.scaled = c.networks != w.networks;
  // Under MPI each rank times its share of the networks (at least one).
  if (const MpiWorld& world = mpi_world(); world.active && world.size > 1) {
    const long n = c.networks, k = world.size, r = world.rank;
    c.networks = std::max(1L, n / k * (r + 1) + n % k * (r + 1) / k - (n / k * r + n % k * r / k));
  }
  c.steps = opt.steps > 0 ? opt.steps : w.steps;
  c.d = workload_data(w);
  c.P = w.model.param_count();
  c.s.precision = Precision::f32;
  c.s.compress = opt.compress;
  c.s.params.lr = w.lr;
  c.s.params.max_steps = c.steps;
  c.s.params.grad_tol = 0;  // the whole budget: a fixed amount of work
  return c;
}

/// Validate before timing: a few networks must train without diverging and lower the loss,
/// and give finite spectra; on the GPU their float64 spectra must match the CPU reference.
bool validate(const BenchCase& c, Backend& backend, std::ostream& err) {
  const Workload& w = c.w;
  const std::size_t P = c.P;
  const int K = 4;
  std::vector<double> v(std::size_t(K) * P);
  for (int i = 0; i < K; ++i)
    math::init_network(kBenchSeed, math::kStreamInitBase + std::uint64_t(i), w.model.depth(),
                       w.model.dims.data(), kInitScale, v.data() + std::size_t(i) * P);
  const double l0 = point_facts(w.model, c.d, v.data()).loss;
  std::vector<math::TrainOutcome> o(K);
  backend.train(w.model, c.d, c.s, K, v.data(), o.data());
  std::vector<EndpointAnalysis> an(K);
  std::vector<double> ev(std::size_t(K) * P);
  backend.analyze(w.model, c.d, K, v.data(), an.data(), ev.data());
  auto cpu = make_cpu_backend(0);
  std::vector<EndpointAnalysis> an_ref(K);
  std::vector<double> ev_ref(std::size_t(K) * P);
  cpu->analyze(w.model, c.d, K, v.data(), an_ref.data(), ev_ref.data());
  for (int i = 0; i < K; ++i) {
    const double* e = ev.data() + std::size_t(i) * P;
    const double* r = ev_ref.data() + std::size_t(i) * P;
    const double scale = std::max(std::abs(r[0]), std::abs(r[P - 1]));
    bool ok = o[std::size_t(i)].status != math::TrainStatus::diverged && an[std::size_t(i)].facts.loss < l0;
    for (std::size_t k = 0; k < P; ++k) ok = ok && std::abs(e[k] - r[k]) <= 1e-8 * scale;
    if (!ok) {
      err << "bench " << w.name << ": validation failed for network " << i << " (loss " << l0 << " -> "
          << an[std::size_t(i)].facts.loss << ")\n";
      return false;
    }
  }
  return true;
}

/// What the timed loop measured: seconds per stage, the wall time, the second-order classes,
/// and the first chunk's endpoints kept for the eigen-stage comparison.
struct Timings {
  double train = 0, hessian = 0, eigen = 0, classify = 0, total = 0;
  bool overlap = false;  ///< train-ahead was on
  long chunk = 0;        ///< networks trained per call
  long classes[kNumClasses] = {};
  std::vector<double> cmp_weights;
};

/// One chunk's trained networks and the seconds training took.
struct Trained {
  long cnt = 0;
  std::vector<double> weights;
  std::vector<math::TrainOutcome> outcomes;
  double seconds = 0;
};

/// The timed loop: every network trained, analyzed and classified, chunk by chunk.
/// Second-order classes are against `lstar`, the closed-form optimum's loss.
Timings time_stages(const BenchCase& c, Backend& backend, int host_threads, double lstar) {
  const Workload& w = c.w;
  const std::size_t P = c.P;
  const long chunk = std::min(c.networks, std::max(1L, backend.preferred_chunk(w.model)));
  Timings t;
  long classes[kNumClasses] = {};
  ExperimentConfig cfg;
  cfg.model = w.model;
  cfg.data.n = w.n;
  cfg.seed = kBenchSeed;
  const double ls = loss_scale(c.d);
  // With train-ahead, chunk k+1 trains on a second thread while chunk k is analyzed; each
  // stage is still timed on its own, and `total` is the wall time of the whole loop.
  const auto train = [&](std::size_t k) {
    Trained tr;
    const long first = long(k) * chunk;
    tr.cnt = std::min(chunk, c.networks - first);
    tr.weights.assign(std::size_t(tr.cnt) * P, 0.0);
    tr.outcomes.assign(std::size_t(tr.cnt), {});
    std::vector<long> idx(std::size_t(tr.cnt));
    for (long i = 0; i < tr.cnt; ++i) idx[std::size_t(i)] = first + i;
    init_weights(w.model, kBenchSeed, kInitScale, idx.data(), idx.size(), tr.weights.data(), host_threads);
    const double t0 = now();
    backend.train(w.model, c.d, c.s, std::size_t(tr.cnt), tr.weights.data(), tr.outcomes.data());
    tr.seconds = now() - t0;
    return tr;
  };
  // The first chunk's endpoints (up to a number that takes a second or so) are kept for the
  // eigen-stage comparison after the timed loop.
  const std::size_t cmp_networks = P <= 128 ? 65536 : 2048;
  const auto finish = [&](std::size_t k, Trained&& tr) {
    if (k == 0)
      t.cmp_weights.assign(tr.weights.begin(),
                           tr.weights.begin() + std::ptrdiff_t(std::min<std::size_t>(std::size_t(tr.cnt), cmp_networks) * P));
    t.train += tr.seconds;
    std::vector<EndpointAnalysis> an(std::size_t(tr.cnt));
    std::vector<double> ev(std::size_t(tr.cnt) * P, 0.0);
    double t0 = now();
    backend.analyze(w.model, c.d, std::size_t(tr.cnt), tr.weights.data(), an.data(), ev.data());
    const AnalyzeTimes at = backend.last_analyze_times();
    const double analyze_wall = now() - t0;
    // Stage split measured by the backend; what it does not cover (transfers, host work)
    // is charged to the Hessian stage so the two add up to the wall time of analyze.
    t.eigen += at.eigen;
    t.hessian += std::max(0.0, analyze_wall - at.eigen);
    t0 = now();
#pragma omp parallel for schedule(static) num_threads(host_threads) reduction(+ : classes[:kNumClasses])
    for (long i = 0; i < tr.cnt; ++i) {
      const SpectrumSummary sp = summarize_spectrum(ev.data() + std::size_t(i) * P, int(P), cfg.decide.tol.eig);
      ++classes[int(classify_point(an[std::size_t(i)].facts.finite, an[std::size_t(i)].facts.loss,
                                   an[std::size_t(i)].facts.grad_norm, sp, lstar, ls, cfg.decide.tol))];
    }
    t.classify += now() - t0;
  };
  t.overlap = train_ahead(backend);
  t.chunk = chunk;
  const double t_loop = now();
  run_chunks(std::size_t((c.networks + chunk - 1) / chunk), t.overlap, train, finish, [] { return false; });
  t.total = now() - t_loop;
  std::copy(classes, classes + kNumClasses, t.classes);
  return t;
}

/// Samples a training step of the case touches: d0 on compressed data, else n.
int training_samples(const BenchCase& c) {
  return c.s.compress && compresses(c.w.model, c.d) ? c.d.d0 : c.d.n;
}

/// The model whose Hessian the analysis forms and solves: with fewer samples than inputs, the
/// first layer's reduced coordinates (Backend::analyze, docs/math.md §2b: d0 = n).
Model analyzed_model(const BenchCase& c) {
  Model m = c.w.model;
  if (reduces_inputs(m, c.d)) m.dims[0] = c.d.n;
  return m;
}

/// One printed line and one JSON object per stage: seconds, networks/s, FLOP/s, share of peak.
json stage_results(const BenchCase& c, const Timings& t, const Backend& backend, std::ostream& out) {
  const Workload& w = c.w;
  const double N = double(c.networks);
  // Each stage counts the work it does: on compressed data (Backend::train) a training step
  // touches d0 samples, not n; with n < d0 the Hessian is formed and solved at the reduced P.
  const int trained_n = training_samples(c);
  struct Stage {
    const char* name;
    double seconds, flops, peak;
  } stages[] = {
      {"train", t.train, N * double(c.steps) * train_step_flops(w.model, trained_n), backend.peak_flops(Precision::f32)},
      {"hessian", t.hessian, N * hessian_flops(analyzed_model(c), w.n), backend.peak_flops(Precision::f64)},
      {"eigen", t.eigen, N * eigen_flops(analyzed_model(c)), backend.peak_flops(Precision::f64)},
      {"classify", t.classify, 0, 0},
      {"total", t.total, 0, 0},
  };
  char line[256];
  json sj = json::object();
  for (const Stage& st : stages) {
    const double rate = st.seconds > 0 ? N / st.seconds : 0;
    const double fl = st.seconds > 0 && st.flops > 0 ? st.flops / st.seconds : 0;
    const std::string gflops = fl > 0 ? std::to_string(fl / 1e9).substr(0, 8) : "-";
    std::snprintf(line, sizeof line, "%-5s %9ld %7ld  %-8s %10.3f %12.4g %12s %10s\n", w.name.c_str(), c.networks,
                  c.steps, st.name, st.seconds, rate, gflops.c_str(),
                  st.peak > 0 && fl > 0 ? (std::to_string(int(std::lround(100.0 * fl / st.peak))) + "%").c_str() : "-");
    out << line;
    sj[st.name] = {{"seconds", st.seconds}, {"networks_per_second", rate},
                   {"flops", st.flops > 0 ? json(st.flops) : json(nullptr)},
                   {"flops_per_second", fl > 0 ? json(fl) : json(nullptr)},
                   {"fraction_of_peak", st.peak > 0 && fl > 0 ? json(fl / st.peak) : json(nullptr)}};
  }
  return sj;
}

/// The eigen stage against the device's reference solver alone on the same matrices.
json eigen_check(const std::string& name, const EigenComparison& cmp, std::ostream& out) {
  char line[256];
  std::snprintf(line, sizeof line, "%-5s %9zu %7s  eigen check: %s %.4f s, %s alone %.4f s (max |dλ| %.2g)\n",
                name.c_str(), cmp.networks, "", cmp.solver.c_str(), cmp.seconds, cmp.reference.c_str(),
                cmp.reference_seconds, cmp.max_abs_difference);
  out << line;
  return {{"networks", cmp.networks}, {"solver", cmp.solver}, {"reference", cmp.reference},
          {"seconds", cmp.seconds}, {"reference_seconds", cmp.reference_seconds},
          {"reference_over_ours", cmp.seconds > 0 ? json(cmp.reference_seconds / cmp.seconds) : json(nullptr)},
          {"max_abs_eigenvalue_difference", cmp.max_abs_difference},
          {"solver_batch", cmp.solver_batch}, {"reference_batch", cmp.reference_batch}};
}

/// Under MPI: every rank's networks, end-to-end seconds and rate gathered on rank 0; the
/// aggregate rate is all networks over the slowest rank's time. `balance` is the aggregate over
/// the sum of the ranks' own rates (1 when no rank waits for another); `parallel_efficiency`
/// is the aggregate over K times the baseline's one-rank rate, when a baseline is given.
json mpi_rates(const BenchCase& c, const Timings& t, double baseline_rate, std::ostream& out) {
  const auto all = mpi_gather({double(c.networks), t.total});
  if (all.empty()) return nullptr;
  const int k = int(all.size());
  double networks = 0, slowest = 0, sum_rates = 0;
  json ranks = json::array();
  char line[256];
  for (int r = 0; r < k; ++r) {
    const double n = all[std::size_t(r)][0], s = all[std::size_t(r)][1];
    const double rate = s > 0 ? n / s : 0;
    networks += n;
    slowest = std::max(slowest, s);
    sum_rates += rate;
    ranks.push_back({{"rank", r}, {"networks", n}, {"seconds", s}, {"networks_per_second", rate}});
    std::snprintf(line, sizeof line, "%-5s rank %3d: %9.0f networks in %9.3f s = %10.4g networks/s\n",
                  c.w.name.c_str(), r, n, s, rate);
    out << line;
  }
  const double aggregate = slowest > 0 ? networks / slowest : 0;
  json j = {{"ranks", k}, {"per_rank", ranks}, {"networks", networks}, {"seconds", slowest},
            {"aggregate_networks_per_second", aggregate},
            {"balance", sum_rates > 0 ? json(aggregate / sum_rates) : json(nullptr)},
            {"baseline_networks_per_second", baseline_rate > 0 ? json(baseline_rate) : json(nullptr)},
            {"parallel_efficiency", baseline_rate > 0 ? json(aggregate / (k * baseline_rate)) : json(nullptr)}};
  std::snprintf(line, sizeof line, "%-5s %d ranks: aggregate %.4g networks/s, balance %.3f", c.w.name.c_str(), k,
                aggregate, sum_rates > 0 ? aggregate / sum_rates : 0.0);
  out << line;
  if (baseline_rate > 0) out << ", parallel efficiency " << aggregate / (k * baseline_rate) << " (vs " << baseline_rate
                             << " networks/s on one rank)";
  out << "\n";
  return j;
}

/// The end-to-end rate of workload `name` in a `--json` file of an earlier run (0 if absent).
double baseline_rate(const std::string& path, const std::string& name) {
  if (path.empty()) return 0;
  json j;
  try {
    j = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw Error(path + ": not a bench JSON file: " + e.what());
  }
  for (const auto& w : j.value("workloads", json::array()))
    if (w.value("name", "") == name && w.contains("stages")) return w["stages"]["total"].value("networks_per_second", 0.0);
  throw Error(path + ": no workload " + name + " with timings (--baseline)");
}

/// Validates, times and reports one workload: its JSON object, or null when validation failed.
std::optional<json> bench_workload(const BenchCase& c, Backend& backend, int host_threads, double baseline_rate,
                                   std::ostream& out, std::ostream& err) {
  const Workload& w = c.w;
  // Fault injection for the tests: LANDSCAPE_FAULT_BENCH_FAIL=<name> makes that workload throw.
  if (const char* f = std::getenv("LANDSCAPE_FAULT_BENCH_FAIL"); f && w.name == f)
    throw Error("injected failure of workload " + w.name);
  if (!validate(c, backend, err)) return std::nullopt;
  // Second-order classes against the closed-form optimum (every standard workload has one);
  // without it no endpoint would be called global.
  const std::optional<double> global_loss = closed_form_optimum(w.model, c.d);
  const double lstar = global_loss.value_or(-std::numeric_limits<double>::infinity());
  const bool mpi = mpi_world().active;
  if (mpi) mpi_barrier();  // every rank starts its timed loop together
  const Timings t = time_stages(c, backend, host_threads, lstar);
  EigenComparison cmp;
  const bool compared = backend.compare_eigen(w.model, c.d, t.cmp_weights.size() / c.P, t.cmp_weights.data(), cmp);
  json wj = {{"name", w.name}, {"family", to_string(w.model.family)}, {"dims", w.model.dims},
             {"n", w.n}, {"training_samples", training_samples(c)}, {"param_count", c.P}, {"hessian_params", analyzed_model(c).param_count()}, {"networks", c.networks},
             {"networks_standard", w.networks}, {"scaled", c.scaled}, {"steps", c.steps},
             {"lr", w.lr}, {"train_precision", "float32"}, {"end_to_end_seconds", t.total},
             {"train_ahead", t.overlap},
             {"stage_seconds_sum", t.train + t.hessian + t.eigen + t.classify}};
  if (backend.name() == "cpu")  // registers per lane value the chunks trained with (simd.hpp)
    wj["cpu_simd_registers"] =
        simd_registers(std::size_t(t.chunk), simd_lanes(simd_target(), Precision::f32), host_threads);
  wj["stages"] = stage_results(c, t, backend, out);
  if (compared) wj["eigen_check"] = eigen_check(w.name, cmp, out);
  json cj = json::object();
  for (int k = 0; k < kNumClasses; ++k)
    if (t.classes[k]) cj[to_string(PointClass(k))] = t.classes[k];
  wj["classes_second_order"] = cj;
  wj["global_loss"] = global_loss ? json(*global_loss) : json(nullptr);
  if (mpi) wj["mpi"] = mpi_rates(c, t, baseline_rate, out);
  if (c.scaled) wj["note"] = "network count differs from the standard workload; rates are per network";
  return wj;
}

}  // namespace

int run_bench(const BenchOptions& opt, std::ostream& out_stream, std::ostream& err) {
  const std::vector<Workload> chosen = chosen_workloads(opt);
  if (!opt.export_dir.empty()) return export_workloads(opt, chosen, out_stream);
  check_threads(opt.threads, "--threads");
  const MpiWorld& world = mpi_world();
  // Under MPI, all cores means this rank's share of the node's; only rank 0 prints and writes.
  const int threads = world.active && opt.threads == 0 ? std::max(1, thread_count(0) / world.local_size) : opt.threads;
  std::ostringstream quiet;
  std::ostream& out = world.rank == 0 ? out_stream : quiet;
  auto backend = make_backend(opt.backend, threads, world.local_rank);
  const int host_threads = thread_count(threads);
  const bool gpu = backend->name() == "cuda";
  json results = json::object();
  results["backend"] = backend->name();
  results["device"] = backend->device();
  results["peak_flops_fp32"] = backend->peak_flops(Precision::f32);
  results["peak_flops_fp64"] = backend->peak_flops(Precision::f64);
  if (backend->name() == "cpu") {
    // The CPU training path that ran, and networks per register on it in the bench's float32.
    results["cpu_simd"] = simd_target();
    results["cpu_simd_lanes_fp32"] = simd_lanes(simd_target(), Precision::f32);
  }
  results["workloads"] = json::array();
  char line[256];
  out << "# landscape bench, backend " << backend->name() << " (" << backend->device()
      << (backend->name() == "cpu" ? ", SIMD " + simd_target() : std::string()) << ")\n";
  std::snprintf(line, sizeof line, "%-5s %9s %7s  %-8s %10s %12s %12s %10s\n", "load", "networks", "steps",
                "stage", "seconds", "networks/s", "GFLOP/s", "of peak");
  out << line;
  // One workload failing (a solver refusing a batch, device memory) must not lose the others:
  // its error is recorded in its place and the next one runs; the exit code says one failed.
  bool failed = false;
  std::map<std::string, double> bases;  // read before any rank starts timing
  for (const Workload& w : chosen) bases[w.name] = world.rank == 0 ? baseline_rate(opt.baseline_path, w.name) : 0;
  for (const Workload& w : chosen) {
    std::string error;
    try {
      const double base = bases[w.name];
      const std::optional<json> wj = bench_workload(make_case(w, opt, gpu), *backend, host_threads, base, out, err);
      if (wj) results["workloads"].push_back(*wj);
      else error = "validation failed (see the messages above)";
    } catch (const std::exception& e) {
      error = e.what();
      err << "error: workload " << w.name << ": " << error << "\n";
    }
    if (!error.empty()) {
      failed = true;
      results["workloads"].push_back({{"name", w.name}, {"error", error}});
    }
  }
  if (world.active) results["mpi_ranks"] = world.size;
  if (!opt.json_path.empty() && world.rank == 0) write_file_atomic(opt.json_path, results.dump(2) + "\n");
  return failed ? 1 : 0;
}

}  // namespace landscape
