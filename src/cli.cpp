// `landscape` subcommands: sample, classify, version.
#include "landscape/cli.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "landscape/common.hpp"
#include "landscape/config.hpp"
#include "landscape/experiment.hpp"
#include "landscape/output.hpp"
#include "landscape/point.hpp"

namespace landscape {
namespace {

/// Throttled progress on stderr: silent for the first two seconds, then about once a second.
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& err, bool interactive, bool quiet)
      : m_err(err), m_interactive(interactive), m_quiet(quiet),
        m_start(std::chrono::steady_clock::now()), m_last(m_start) {}

  void operator()(long done, long total) {
    if (m_quiet) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    const double since = std::chrono::duration<double>(now - m_last).count();
    if (elapsed < 2.0 || (since < 1.0 && done < total)) return;
    m_last = now;
    const double rate = double(done) / elapsed;
    const double eta = rate > 0 ? double(total - done) / rate : 0;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%ld/%ld networks (%.1f%%), %.1f networks/s, ETA %.0f s", done,
                  total, 100.0 * double(done) / double(total), rate, eta);
    m_err << (m_interactive ? "\r" : "") << buf << (m_interactive && done < total ? "" : "\n")
          << std::flush;
    m_printed = true;
  }

 private:
  std::ostream& m_err;
  bool m_interactive, m_quiet, m_printed = false;
  std::chrono::steady_clock::time_point m_start, m_last;
};

}  // namespace

int cli_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             bool interactive_progress) {
  CLI::App app{"landscape: empirical loss-landscape explorer for deep linear and leaky-ReLU "
               "networks"};
  app.require_subcommand(1);

  auto* sample = app.add_subcommand("sample", "Train many networks from one experiment file, "
                                              "classify every endpoint, write summary and CSV");
  std::string config_path, backend_opt, out_dir;
  int threads = -1;
  bool quiet = false;
  sample->add_option("config", config_path, "experiment file (TOML)")->required();
  sample->add_option("--backend", backend_opt, "auto | cpu | cuda (overrides the file)");
  sample->add_option("--threads", threads, "CPU threads (0 = all cores; overrides the file)");
  sample->add_option("--out", out_dir, "output directory (overrides output.dir)");
  sample->add_flag("--quiet", quiet, "no progress line");

  auto* classify = app.add_subcommand("classify", "Classify one point given as POINT.json");
  std::string point_path, cls_backend = "cpu";
  bool as_json = false;
  DecideSettings decide;
  Tolerances& tol = decide.tol;
  RestartSpec rs;
  classify->add_option("point", point_path, "POINT.json (see README)")->required();
  classify->add_flag("--json", as_json, "print one JSON object");
  classify->add_option("--grad-tol", tol.grad, "relative gradient tolerance")->capture_default_str();
  classify->add_option("--loss-tol", tol.loss, "relative loss tolerance")->capture_default_str();
  classify->add_option("--eig-tol", tol.eig, "relative eigenvalue tolerance")->capture_default_str();
  classify->add_option("--restarts", rs.restarts,
                       "restarts for an empirical optimum where no closed form applies")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  classify->add_option("--restart-steps", rs.steps, "Adam steps per restart")
      ->capture_default_str()->check(CLI::Range(1L, 100000000L));
  classify->add_option("--backend", cls_backend, "auto | cpu | cuda")->capture_default_str();
  classify->add_flag("--refine", decide.refine.enabled,
                     "refine to the nearby exact critical point before classifying");
  classify->add_option("--rank-tol", decide.rank_tol, "relative SVD tolerance for ranks")
      ->capture_default_str();

  auto* version = app.add_subcommand("version", "Print the version and the backends built");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err) == 0 ? 0 : 2;
  }

  try {
    if (*version) {
      out << "landscape " << LANDSCAPE_VERSION << " (backends: cpu"
#ifdef LANDSCAPE_HAVE_CUDA
          << ", cuda" << (cuda_available() ? "" : " [no device visible]")
#endif
          << ")\n";
      return 0;
    }
    if (*classify) {
      for (double t : {tol.grad, tol.loss, tol.eig, decide.rank_tol})
        require(t > 0 && std::isfinite(t), "classify", "tolerances must be finite and > 0");
      const Point p = load_point(point_path);
      auto backend = make_backend(cls_backend, 0);
      const PointReport r = classify_single(p, decide, rs, *backend);
      out << (as_json ? point_report_json(r) : format_point_report(r));
      return 0;
    }
    if (*sample) {
      ExperimentConfig cfg = load_config(config_path);
      if (!backend_opt.empty()) cfg.backend = backend_opt;
      if (threads >= 0) cfg.threads = threads;
      if (!out_dir.empty()) cfg.output.dir = out_dir;
      auto backend = make_backend(cfg.backend, cfg.threads);
      ProgressPrinter progress(err, interactive_progress, quiet);
      const SampleResult r = run_sample(cfg, *backend, std::ref(progress));
      write_sample_outputs(r, cfg.output.dir);
      out << format_sample_table(r);
      out << "wrote " << cfg.output.dir << "/summary.json and " << cfg.output.dir
          << "/endpoints.csv\n";
      return 0;
    }
  } catch (const Error& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}

}  // namespace landscape
