// `landscape theory`: which theorems apply to an architecture and data, and what they predict,
// for a POINT.json, every cell of an experiment file, or an architecture given as options.
#include "landscape/analysis/theory.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "landscape/core/common.hpp"
#include "landscape/core/data.hpp"
#include "landscape/io/config.hpp"
#include "landscape/io/codec.hpp"
#include "landscape/io/point.hpp"

namespace landscape {
namespace {

/// One architecture and data set to predict for, and the label it is printed under.
struct TheoryCase {
  std::string label;
  Model model;
  Dataset data;
};

/// The architecture and data of a POINT.json, unlabelled by anything but its path.
std::vector<TheoryCase> cases_from_point(const std::string& path) {
  const Point p = load_point(path);
  return {{path, p.model, p.data}};
}

/// Every cell of an experiment file, with its data as the sweep would draw it.
std::vector<TheoryCase> cases_from_config(const std::string& path) {
  std::vector<TheoryCase> cases;
  for (const SweepCell& c : expand_sweep(read_file(path), path))
    cases.push_back({c.label, c.config.model,
                     make_dataset(c.config.data, c.config.model, data_seed(c.config))});
  return cases;
}

class TheoryCommand : public Command {
 public:
  void add_options(CLI::App& sub) override {
    m_sub = &sub;
    sub.add_option("config", m_config, "experiment file: the prediction for every cell");
    sub.add_option("--point", m_point, "POINT.json: use its architecture and data");
    sub.add_option("--family", m_family, "linear | leaky_relu")->capture_default_str();
    sub.add_option("--dims", m_dims, "widths d0,...,dh")->delimiter(',');
    sub.add_option("--n", m_n, "samples")->capture_default_str();
    sub.add_option("--x-rank", m_x_rank, "rank of X (0 = full)")->capture_default_str();
    sub.add_option("--y-rank", m_y_rank, "rank of Y (0 = full)")->capture_default_str();
    sub.add_option("--y", m_y, "gaussian | teacher")->capture_default_str();
    sub.add_option("--slope", m_slope, "leaky-ReLU slope")->capture_default_str();
    sub.add_option("--seed", m_seed, "data seed")->capture_default_str();
    sub.add_flag("--json", m_json, "print JSON");
    // An experiment file or a point brings its own architecture and data.
    for (const char* opt :
         {"--family", "--dims", "--n", "--x-rank", "--y-rank", "--y", "--slope", "--seed"}) {
      sub.get_option(opt)->excludes(sub.get_option("config"));
      sub.get_option(opt)->excludes(sub.get_option("--point"));
    }
    sub.get_option("--point")->excludes(sub.get_option("config"));
  }

  int run(const CommandContext& ctx) override {
    std::vector<TheoryCase> cases;
    if (!m_point.empty())
      cases = cases_from_point(m_point);
    else if (!m_config.empty())
      cases = cases_from_config(m_config);
    else
      cases.push_back(case_from_options());
    print(cases, ctx.out);
    return 0;
  }

 private:
  /// The architecture and data of the command-line options, checked with their names.
  TheoryCase case_from_options() const {
    require(!m_dims.empty(), "theory", "give an experiment file, --point POINT.json, or --dims");
    Model m;
    m.family = parse_family(m_family, "--family");
    m.dims = m_dims;
    // A slope given for a linear network is kept, so that validate refuses it.
    if (m.family == Family::leaky_relu || m_sub->count("--slope") > 0) m.slope = m_slope;
    m.validate("--dims", "--slope");
    require(m_n >= 1, "--n", "must be a positive integer");
    require(m_seed >= 0, "--seed", "must be >= 0");
    DataSpec ds;
    ds.n = m_n;
    ds.x_rank = m_x_rank;
    ds.y_rank = m_y_rank;
    require(m_y == "gaussian" || m_y == "teacher", "--y", "expected gaussian or teacher");
    ds.y = m_y == "teacher" ? TargetKind::teacher : TargetKind::gaussian;
    check_data_ranks(ds, m.dims.front(), m.dims.back(), m_n, "--x-rank", "--y-rank");
    return {"", m, make_dataset(ds, m, std::uint64_t(m_seed))};
  }

  /// Each case's data facts and claims, as text or as one JSON array.
  void print(const std::vector<TheoryCase>& cases, std::ostream& out) const {
    nlohmann::json all = nlohmann::json::array();
    for (const TheoryCase& c : cases) {
      const DataFacts f = data_facts(c.data);
      const std::vector<Claim> claims = theory_claims(c.model, f);
      if (m_json) {
        all.push_back({{"label", c.label},
                       {"family", to_string(c.model.family)},
                       {"dims", c.model.dims},
                       {"n", f.n},
                       {"rank_x", f.rank_x},
                       {"rank_y", f.rank_y},
                       {"rank_xyt", f.rank_xyt},
                       {"sigma_distinct", f.sigma_distinct},
                       {"claims", claims}});
      } else {
        if (!c.label.empty()) out << c.label << ": ";
        out << format_claims(c.model, f, claims);
      }
    }
    if (m_json) out << all.dump(2) << "\n";
  }

  CLI::App* m_sub = nullptr;
  std::string m_config, m_point, m_family = "linear", m_y = "gaussian";
  std::vector<int> m_dims;
  int m_n = 16, m_x_rank = 0, m_y_rank = 0;
  double m_slope = 0.1;
  long long m_seed = 1;
  bool m_json = false;
};

}  // namespace

std::unique_ptr<Command> make_theory_command() { return std::make_unique<TheoryCommand>(); }

}  // namespace landscape
