// `landscape slice`: the loss around one point (POINT.json, or an endpoint stored in a results
// database, taken out as `landscape point` does) along a direction and on a plane.
#include "landscape/report/slice.hpp"

#include <filesystem>
#include <string>

#include "commands.hpp"
#include "landscape/core/common.hpp"
#include "landscape/io/point.hpp"
#include "landscape/run/slice.hpp"
#include "landscape/run/stored_point.hpp"

namespace landscape {
namespace {

class SliceCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("point", m_point_path,
                   "POINT.json (see README), or a results database with --cell and --net")
        ->required();
    m_cell_opt =
        sub.add_option("--cell", m_cell, "database: cell index in its run (as `landscape point`)")
            ->check(CLI::NonNegativeNumber);
    m_net_opt = sub.add_option("--net", m_net, "database: network index in the cell")
                    ->check(CLI::NonNegativeNumber);
    m_run_opt =
        sub.add_option("--run", m_run, "database: run id (default: the newest run with that cell)")
            ->check(CLI::PositiveNumber);
    sub.add_flag("--refined", m_refined,
                 "database: the endpoint as its run refined it (runs with [refine] enabled)");
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
    sub.add_option("--out", m_out,
                   "output folder (default: <point>-slice next to the point; for a database "
                   "<db>-cell<C>-net<I>-slice)");
    sub.add_option("--max-dense-mb", m_options.max_dense_mb,
                   "largest dense Hessian path in MiB; above it the spectrum is partial (Lanczos)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub.add_option("--backend", m_backend, "auto | cpu | cuda")->capture_default_str();
  }
  int run(const CommandContext& ctx) override {
    const std::filesystem::path pp(m_point_path);
    Point p;
    std::string name = pp.filename().string(), stem = pp.stem().string();
    if (is_results_database(m_point_path)) {
      // The point `landscape point` writes for the endpoint, so both routes slice the same one.
      require(m_cell_opt->count() && m_net_opt->count(), m_point_path,
              "a results database: name the endpoint with --cell C --net I");
      p = stored_point(read_stored_endpoint(m_point_path, m_run, m_cell, m_net), m_refined);
      const std::string which = "cell" + std::to_string(m_cell) + "-net" + std::to_string(m_net) +
                                (m_refined ? "-refined" : "");
      name += " " + which;
      stem += "-" + which;
    } else {
      for (const CLI::Option* o : {m_cell_opt, m_net_opt, m_run_opt})
        require(o->count() == 0, o->get_name(),
                "only for a results database; " + m_point_path + " is a POINT.json file");
      require(!m_refined, "--refined",
              "only for a results database; " + m_point_path + " is a POINT.json file");
      p = load_point(m_point_path);
    }
    auto backend = make_backend(m_backend, 0);
    m_options.note = [&ctx](const std::string& line) { ctx.err << line << "\n" << std::flush; };
    // The point's own settings (a stored endpoint's are its cell's), as `classify` takes them.
    const SliceResult r = slice_point(p, m_spec, p.settings.value_or(DecideSettings{}),
                                      RestartSpec{}, *backend, m_options);
    const std::string out = m_out.empty() ? (pp.parent_path() / (stem + "-slice")).string() : m_out;
    write_slice_outputs(out, name, r.report, r.line, r.plane ? &*r.plane : nullptr);
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
  int m_cell = 0;
  long m_net = 0, m_run = 0;
  bool m_refined = false;
  CLI::Option *m_cell_opt = nullptr, *m_net_opt = nullptr, *m_run_opt = nullptr;
  SliceSpec m_spec;
  PointOptions m_options;
};

}  // namespace

std::unique_ptr<Command> make_slice_command() { return std::make_unique<SliceCommand>(); }

}  // namespace landscape
