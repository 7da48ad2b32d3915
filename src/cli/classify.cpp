// `landscape classify`: classify one point given as POINT.json.
#include <cmath>
#include <string>

#include "commands.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/output.hpp"
#include "landscape/io/point.hpp"
#include "landscape/run/experiment.hpp"

namespace landscape {
namespace {

class ClassifyCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    Tolerances& tol = m_cli.tol;
    sub.add_option("point", m_point_path, "POINT.json (see README)")->required();
    sub.add_flag("--json", m_json, "print one JSON object");
    m_grad = sub.add_option("--grad-tol", tol.grad, "relative gradient tolerance")->capture_default_str();
    m_loss = sub.add_option("--loss-tol", tol.loss, "relative loss tolerance")->capture_default_str();
    m_eig = sub.add_option("--eig-tol", tol.eig, "relative eigenvalue tolerance")->capture_default_str();
    sub.add_option("--restarts", m_restarts.restarts,
                   "restarts for an empirical optimum where no closed form applies")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    sub.add_option("--restart-steps", m_restarts.steps, "Adam steps per restart")
        ->capture_default_str()
        ->check(CLI::Range(1L, 100000000L));
    sub.add_option("--backend", m_backend, "auto | cpu | cuda")->capture_default_str();
    sub.add_flag("--refine", m_cli.refine.enabled,
                 "refine to the nearby exact critical point before classifying");
    m_rank = sub.add_option("--rank-tol", m_cli.rank_tol, "relative SVD tolerance for ranks")
                 ->capture_default_str();
    sub.add_option("--vectors", m_options.vectors,
                   "also output the eigenvectors of the K smallest eigenvalues (--json)")
        ->check(CLI::Range(0, 1000000));
    sub.add_option("--max-dense-mb", m_options.max_dense_mb,
                   "largest dense Hessian path (Hessian, solver copy, eigenvectors) in MiB; "
                   "above it the spectrum is partial (Lanczos)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub.add_option("--lanczos-k", m_options.lanczos_k,
                   "partial spectrum: eigenvalues found at each end")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
  }
  int run(const CommandContext& ctx) override {
    for (double t : {m_cli.tol.grad, m_cli.tol.loss, m_cli.tol.eig, m_cli.rank_tol})
      require(t > 0 && std::isfinite(t), "classify", "tolerances must be finite and > 0");
    const Point p = load_point(m_point_path);
    // The point's own settings (e.g. those of the sweep `landscape point` took it from), with
    // the options given on the command line on top; the defaults where the point has none.
    DecideSettings decide = p.settings.value_or(DecideSettings{});
    if (!p.settings || m_grad->count()) decide.tol.grad = m_cli.tol.grad;
    if (!p.settings || m_loss->count()) decide.tol.loss = m_cli.tol.loss;
    if (!p.settings || m_eig->count()) decide.tol.eig = m_cli.tol.eig;
    if (!p.settings || m_rank->count()) decide.rank_tol = m_cli.rank_tol;
    if (m_cli.refine.enabled) decide.refine.enabled = true;
    auto backend = make_backend(m_backend, 0);
    m_options.note = [&ctx](const std::string& line) { ctx.err << line << "\n" << std::flush; };
    const PointReport r = classify_single(p, decide, m_restarts, *backend, m_options);
    ctx.out << (m_json ? point_report_json(r) : format_point_report(r));
    return 0;
  }

 private:
  std::string m_point_path, m_backend = "cpu";
  bool m_json = false;
  DecideSettings m_cli;  ///< the settings' command-line options
  CLI::Option *m_grad = nullptr, *m_loss = nullptr, *m_eig = nullptr, *m_rank = nullptr;
  RestartSpec m_restarts;
  PointOptions m_options;
};

}  // namespace

std::unique_ptr<Command> make_classify_command() { return std::make_unique<ClassifyCommand>(); }

}  // namespace landscape
