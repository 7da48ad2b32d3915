// `landscape slice`: the loss around one point (POINT.json) along a direction and on a plane.
#include "landscape/report/slice.hpp"

#include <filesystem>
#include <string>

#include "commands.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/point.hpp"
#include "landscape/run/slice.hpp"

namespace landscape {
namespace {

class SliceCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("point", m_point_path, "POINT.json (see README)")->required();
    sub.add_option("--direction", m_spec.direction,
                   "auto | witness | min-eig | eig:K | random | FILE.json")
        ->capture_default_str();
    sub.add_option("--plane", m_spec.plane, "auto | eig:I,eig:J | random | none")
        ->capture_default_str();
    sub.add_option("--range", m_spec.range, "t, a, b run over [-R, R]")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub.add_option("--steps", m_spec.steps, "points along the line")
        ->capture_default_str()
        ->check(CLI::Range(2, 100000));
    sub.add_option("--plane-steps", m_spec.plane_steps, "points per side of the plane")
        ->capture_default_str()
        ->check(CLI::Range(2, 2000));
    sub.add_option("--seed", m_spec.seed, "seed of the random directions")->capture_default_str();
    sub.add_option("--out", m_out, "output folder (default: <point>-slice next to the point)");
    sub.add_option("--max-dense-mb", m_options.max_dense_mb,
                   "largest dense Hessian path in MiB; above it the spectrum is partial (Lanczos)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub.add_option("--backend", m_backend, "auto | cpu | cuda")->capture_default_str();
  }
  int run(const CommandContext& ctx) override {
    const Point p = load_point(m_point_path);
    auto backend = make_backend(m_backend, 0);
    m_options.note = [&ctx](const std::string& line) { ctx.err << line << "\n" << std::flush; };
    const SliceResult r =
        slice_point(p, m_spec, DecideSettings{}, RestartSpec{}, *backend, m_options);
    const std::filesystem::path pp(m_point_path);
    const std::string out =
        m_out.empty() ? (pp.parent_path() / (pp.stem().string() + "-slice")).string() : m_out;
    write_slice_outputs(out, pp.filename().string(), r.report, r.line,
                        r.plane ? &*r.plane : nullptr);
    ctx.out << "class " << to_string(r.report.endpoint.cls) << "; loss along " << r.line.direction
            << " (" << r.line.description << ")";
    if (r.plane)
      ctx.out << " and on the plane of " << r.plane->direction1 << ", " << r.plane->direction2;
    ctx.out << " written to " << out << "/ (slice.html, line.csv" << (r.plane ? ", plane.csv" : "")
            << (r.report.blocks ? ", blocks.csv" : "") << ", slice.json)\n";
    return 0;
  }

 private:
  std::string m_point_path, m_out, m_backend = "cpu";
  SliceSpec m_spec;
  PointOptions m_options;
};

}  // namespace

std::unique_ptr<Command> make_slice_command() { return std::make_unique<SliceCommand>(); }

}  // namespace landscape
