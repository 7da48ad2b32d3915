// `landscape` subcommands: sample, classify, version.
#include "landscape/cli/cli.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <new>

#include "landscape/core/common.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/config.hpp"
#include "landscape/run/experiment.hpp"
#ifdef LANDSCAPE_HAVE_CUDA
#include "landscape/backends/cuda/cuda_backend.hpp"
#endif
#include "landscape/io/output.hpp"
#include "landscape/io/point.hpp"
#include "landscape/io/store.hpp"
#include "landscape/run/sweep.hpp"
#include "landscape/run/bench.hpp"
#include "landscape/run/suite.hpp"
#include "landscape/report/report.hpp"
#include "landscape/analysis/theory.hpp"
#include <nlohmann/json.hpp>

namespace landscape {
namespace {

}  // namespace

int cli_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
             bool interactive_progress) {
  CLI::App app{"landscape: empirical loss-landscape explorer for deep linear and leaky-ReLU "
               "networks"};
  app.require_subcommand(1);

  auto* sample = app.add_subcommand("sample", "Run every cell of an experiment file: train, classify "
                                              "every endpoint, store in the results database");
  SweepOptions sw;
  sample->add_option("config", sw.config_path, "experiment file (TOML)")->required();
  sample->add_option("--backend", sw.backend, "auto | cpu | cuda (overrides the file)");
  sample->add_option("--threads", sw.threads, "CPU threads (0 = all cores; overrides the file)")
      ->check(CLI::Range(0, 1 << 16));
  sample->add_option("--out", sw.out_dir, "output directory (overrides output.dir)");
  sample->add_option("--db", sw.db_path, "results database (overrides output.db)");
  sample->add_flag("--resume", sw.resume, "continue the database's last run where it stopped");
  sample->add_flag("--quiet", sw.quiet, "no progress lines");

  auto* exporter = app.add_subcommand("export", "Export every endpoint of a results database");
  std::string export_db, export_out;
  bool export_csv = false, export_json = false;
  exporter->add_option("db", export_db, "results database")->required();
  auto* csv_flag = exporter->add_flag("--csv", export_csv, "CSV (default)");
  exporter->add_flag("--json", export_json, "JSON array of objects")->excludes(csv_flag);
  exporter->add_option("--out", export_out, "write to this file instead of standard output");

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

  auto* report = app.add_subcommand("report", "Write the HTML/Markdown/LaTeX/CSV/JSON report of a "
                                              "results database");
  std::string report_db, report_out;
  report->add_option("db", report_db, "results database")->required();
  report->add_option("--out", report_out, "output directory")->required();

  auto* theory = app.add_subcommand("theory", "Which theorems apply to an architecture and data, "
                                              "and what they predict");
  std::string th_config, th_point, th_family = "linear", th_y = "gaussian";
  std::vector<int> th_dims;
  int th_n = 16, th_x_rank = 0, th_y_rank = 0;
  double th_slope = 0.1;
  long long th_seed = 1;
  bool th_json = false;
  theory->add_option("config", th_config, "experiment file: the prediction for every cell");
  theory->add_option("--point", th_point, "POINT.json: use its architecture and data");
  theory->add_option("--family", th_family, "linear | leaky_relu")->capture_default_str();
  theory->add_option("--dims", th_dims, "widths d0,...,dh")->delimiter(',');
  theory->add_option("--n", th_n, "samples")->capture_default_str();
  theory->add_option("--x-rank", th_x_rank, "rank of X (0 = full)")->capture_default_str();
  theory->add_option("--y-rank", th_y_rank, "rank of Y (0 = full)")->capture_default_str();
  theory->add_option("--y", th_y, "gaussian | teacher")->capture_default_str();
  theory->add_option("--slope", th_slope, "leaky-ReLU slope")->capture_default_str();
  theory->add_option("--seed", th_seed, "data seed")->capture_default_str();
  theory->add_flag("--json", th_json, "print JSON");
  // An experiment file or a point brings its own architecture and data.
  for (const char* opt : {"--family", "--dims", "--n", "--x-rank", "--y-rank", "--y", "--slope", "--seed"}) {
    theory->get_option(opt)->excludes(theory->get_option("config"));
    theory->get_option(opt)->excludes(theory->get_option("--point"));
  }
  theory->get_option("--point")->excludes(theory->get_option("config"));

  auto* suite = app.add_subcommand("suite", "Run the reproduction suite: every claim's experiment, "
                                            "one table of predictions and observations");
  SuiteOptions so;
  suite->add_option("dir", so.dir, "folder of experiment files")->capture_default_str();
  suite->add_option("--out", so.out, "output directory")->capture_default_str();
  suite->add_option("--scale", so.scale, "multiply every cell's network count (e.g. 100 on a GPU)")
      ->capture_default_str();
  suite->add_option("--backend", so.backend, "auto | cpu | cuda (overrides the files)");
  suite->add_flag("--quiet", so.quiet, "no progress lines");

  auto* bench = app.add_subcommand("bench", "Time the standard workloads W-S, W-M, W-P per stage");
  BenchOptions bo;
  bench->add_option("--workload", bo.workloads, "W-S, W-M or W-P (repeatable; default all)");
  bench->add_flag("--all", "all workloads (the default)");
  bench->add_option("--scale", bo.scale, "multiply the standard network counts (default 1 on a GPU, "
                                         "CPU-sized counts otherwise)");
  bench->add_option("--networks", bo.networks, "exact network count per workload");
  bench->add_option("--steps", bo.steps, "override the 2,000 training steps");
  bench->add_option("--backend", bo.backend, "auto | cpu | cuda")->capture_default_str();
  bench->add_option("--threads", bo.threads, "CPU threads (0 = all)")->check(CLI::Range(0, 1 << 16));
  bench->add_option("--json", bo.json_path, "write the results as JSON");
  bench->add_option("--export", bo.export_dir, "write the workload files for bench/peers/ and exit");

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
          << ", cuda" << (cuda_available() ? "" : " [unavailable: " + cuda_unavailable_reason() + "]")
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
      sw.interactive = interactive_progress;
      return run_sweep(sw, out, err);
    }
    if (*bench) return run_bench(bo, out, err);
    if (*suite) {
      so.interactive = interactive_progress;
      return run_suite(so, out, err);
    }
    if (*report) {
      write_report({report_db, report_out});
      out << "wrote " << report_out << "/report.html, summary.md, table.tex and CSV/JSON data\n";
      return 0;
    }
    if (*theory) {
      std::vector<std::pair<std::string, std::pair<Model, Dataset>>> cases;
      if (!th_point.empty()) {
        const Point p = load_point(th_point);
        cases.push_back({th_point, {p.model, p.data}});
      } else if (!th_config.empty()) {
        for (const SweepCell& c : expand_sweep(read_file(th_config), th_config))
          cases.push_back({c.label, {c.config.model, make_dataset(c.config.data, c.config.model, data_seed(c.config))}});
      } else {
        require(!th_dims.empty(), "theory", "give an experiment file, --point POINT.json, or --dims");
        Model m;
        m.family = parse_family(th_family, "--family");
        m.dims = th_dims;
        // A slope given for a linear network is kept, so that validate refuses it.
        if (m.family == Family::leaky_relu || theory->count("--slope") > 0) m.slope = th_slope;
        m.validate("--dims", "--slope");
        require(th_n >= 1, "--n", "must be a positive integer");
        require(th_seed >= 0, "--seed", "must be >= 0");
        DataSpec ds;
        ds.n = th_n;
        ds.x_rank = th_x_rank;
        ds.y_rank = th_y_rank;
        require(th_y == "gaussian" || th_y == "teacher", "--y", "expected gaussian or teacher");
        ds.y = th_y == "teacher" ? TargetKind::teacher : TargetKind::gaussian;
        check_data_ranks(ds, m.dims.front(), m.dims.back(), th_n, "--x-rank", "--y-rank");
        cases.push_back({"", {m, make_dataset(ds, m, std::uint64_t(th_seed))}});
      }
      nlohmann::json all = nlohmann::json::array();
      for (const auto& [label, md] : cases) {
        const DataFacts f = data_facts(md.second);
        const std::vector<Claim> claims = theory_claims(md.first, f);
        if (th_json) {
          all.push_back({{"label", label}, {"family", to_string(md.first.family)}, {"dims", md.first.dims},
                         {"n", f.n}, {"rank_x", f.rank_x}, {"rank_y", f.rank_y}, {"rank_xyt", f.rank_xyt},
                         {"sigma_distinct", f.sigma_distinct}, {"claims", claims}});
        } else {
          if (!label.empty()) out << label << ": ";
          out << format_claims(md.first, f, claims);
        }
      }
      if (th_json) out << all.dump(2) << "\n";
      return 0;
    }
    if (*exporter) {
      const std::string text = export_database(export_db, export_json);
      if (export_out.empty()) out << text;
      else write_file_atomic(export_out, text);
      return 0;
    }
  } catch (const Error& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    err << "error: out of host memory; make the experiment smaller (experiment.networks, "
           "experiment.chunk, model.dims)\n";
    return 1;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}

}  // namespace landscape
