// CPU backend benchmark: network-steps per second (training) and Hessians per second (exact
// float64 Hessian + eigenvalues) on fixed workloads shaped like the GPU ones (W-S, W-M, W-P).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "landscape/analysis/hessian.hpp"
#include "landscape/backends/backend.hpp"
#include "landscape/math/network.hpp"
#include "landscape/math/rng.hpp"

using namespace landscape;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Workload {
  const char* name;
  Family family;
  std::vector<int> dims;
  int n;
  long train_networks, steps, hessian_networks;
};

/// FLOPs of one gradient step: forward 2·d_i·d_{i−1}·n per layer, backward twice that.
double step_flops(const Model& m, int n) {
  double f = 0;
  for (int i = 1; i <= m.depth(); ++i) f += 6.0 * m.dims[i] * m.dims[i - 1] * n;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 0;
  const bool quick = argc > 2 && std::string(argv[2]) == "--quick";
  const std::vector<Workload> loads = {
      {"W-S", Family::linear, {6, 4, 4, 6}, 32, quick ? 256 : 4096, quick ? 100 : 500, quick ? 64 : 1024},
      {"W-M", Family::linear, {16, 16, 16, 16}, 64, quick ? 16 : 128, quick ? 50 : 200, quick ? 2 : 8},
      {"W-P", Family::leaky_relu, {32, 16, 8, 4}, 16, quick ? 16 : 256, quick ? 50 : 200, quick ? 2 : 8},
  };
  auto backend = make_cpu_backend(threads);
  std::printf("# landscape CPU benchmark, %s\n", backend->device().c_str());
  std::printf("%-5s %6s %10s %8s %14s %12s %10s %14s\n", "load", "P", "networks", "steps",
              "net-steps/s", "GFLOP/s", "hess nets", "Hessians/s");
  for (const Workload& wl : loads) {
    Model m;
    m.family = wl.family;
    m.dims = wl.dims;
    m.slope = wl.family == Family::leaky_relu ? 0.1 : 1.0;
    DataSpec ds;
    ds.n = wl.n;
    const Dataset d = make_dataset(ds, m, 1);
    const std::size_t P = m.param_count();
    std::vector<double> w(std::size_t(wl.train_networks) * P);
    for (long i = 0; i < wl.train_networks; ++i)
      math::init_network(1, math::kStreamInitBase + i, m.depth(), m.dims.data(), 1.0, &w[i * P]);
    const std::vector<double> w0 = w;
    TrainSettings s;
    s.precision = Precision::f32;
    s.params.lr = 1e-4;
    s.params.max_steps = wl.steps;
    s.params.grad_tol = 0;  // run the whole budget: a fixed amount of work
    std::vector<math::TrainOutcome> out(std::size_t(wl.train_networks));
    // Validate before timing: training must lower every network's loss and never diverge.
    {
      std::vector<double> wv(w.begin(), w.begin() + P);
      const double l0 = point_facts(m, d, wv.data()).loss;
      backend->train(m, d, s, 1, wv.data(), out.data());
      const double l1 = point_facts(m, d, wv.data()).loss;
      if (!(l1 < l0) || out[0].status == math::TrainStatus::diverged) {
        std::fprintf(stderr, "%s: validation failed (loss %g -> %g)\n", wl.name, l0, l1);
        return 1;
      }
    }
    double t0 = now();
    backend->train(m, d, s, std::size_t(wl.train_networks), w.data(), out.data());
    const double t_train = now() - t0;
    const double net_steps = double(wl.train_networks) * wl.steps;

    std::vector<EndpointAnalysis> an(std::size_t(wl.hessian_networks));
    std::vector<double> ev(std::size_t(wl.hessian_networks) * P);
    t0 = now();
    backend->analyze(m, d, std::size_t(wl.hessian_networks), w.data(), an.data(), ev.data());
    const double t_hess = now() - t0;
    for (long i = 0; i < wl.hessian_networks; ++i)
      if (!an[std::size_t(i)].has_spectrum || !std::isfinite(ev[i * P])) {
        std::fprintf(stderr, "%s: analysis produced no spectrum for network %ld\n", wl.name, i);
        return 1;
      }
    std::printf("%-5s %6zu %10ld %8ld %14.4g %12.3f %10ld %14.4g\n", wl.name, P, wl.train_networks,
                wl.steps, net_steps / t_train, net_steps * step_flops(m, wl.n) / t_train / 1e9,
                wl.hessian_networks, wl.hessian_networks / t_hess);
  }
  return 0;
}
