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
    Tolerances& tol = m_decide.tol;
    sub.add_option("point", m_point_path, "POINT.json (see README)")->required();
    sub.add_flag("--json", m_json, "print one JSON object");
    sub.add_option("--grad-tol", tol.grad, "relative gradient tolerance")->capture_default_str();
    sub.add_option("--loss-tol", tol.loss, "relative loss tolerance")->capture_default_str();
    sub.add_option("--eig-tol", tol.eig, "relative eigenvalue tolerance")->capture_default_str();
    sub.add_option("--restarts", m_restarts.restarts,
                   "restarts for an empirical optimum where no closed form applies")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    sub.add_option("--restart-steps", m_restarts.steps, "Adam steps per restart")
        ->capture_default_str()
        ->check(CLI::Range(1L, 100000000L));
    sub.add_option("--backend", m_backend, "auto | cpu | cuda")->capture_default_str();
    sub.add_flag("--refine", m_decide.refine.enabled,
                 "refine to the nearby exact critical point before classifying");
    sub.add_option("--rank-tol", m_decide.rank_tol, "relative SVD tolerance for ranks")
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
    const Tolerances& tol = m_decide.tol;
    for (double t : {tol.grad, tol.loss, tol.eig, m_decide.rank_tol})
      require(t > 0 && std::isfinite(t), "classify", "tolerances must be finite and > 0");
    const Point p = load_point(m_point_path);
    auto backend = make_backend(m_backend, 0);
    m_options.note = [&ctx](const std::string& line) { ctx.err << line << "\n" << std::flush; };
    const PointReport r = classify_single(p, m_decide, m_restarts, *backend, m_options);
    ctx.out << (m_json ? point_report_json(r) : format_point_report(r));
    return 0;
  }

 private:
  std::string m_point_path, m_backend = "cpu";
  bool m_json = false;
  DecideSettings m_decide;
  RestartSpec m_restarts;
  PointOptions m_options;
};

}  // namespace

std::unique_ptr<Command> make_classify_command() { return std::make_unique<ClassifyCommand>(); }

}  // namespace landscape
