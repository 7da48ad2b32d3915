// The report's data model: the numbers `landscape report` reads from a results database (one
// run, its cells and their endpoint statistics), shared by the data-file, text and HTML writers.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "landscape/core/records.hpp"
#include "landscape/core/stats.hpp"

namespace landscape::report {

/// Loss gaps L − L* at or below this are drawn at this floor on the log axis.
constexpr double kGapFloor = 1e-16;
/// At most this many training curves per cell enter the quantiles (the first by net_index):
/// quantiles need every curve in memory at once.
constexpr long kMaxCurves = 2000;

/// A histogram: k + 1 bin edges and k counts.
struct Hist {
  std::vector<double> edges;  // k + 1 edges (data units of the histogram's quantity)
  std::vector<long> counts;   // k counts
  long total() const {
    long t = 0;
    for (long c : counts) t += c;
    return t;
  }
};

/// The run the report covers, as stored in table runs.
struct RunInfo {
  std::int64_t run_id = 0;
  std::string config_text, config_hash, version, backend, device, started_at, status;
  std::optional<std::string> finished_at;
  double seconds_train = 0, seconds_analyze = 0;
  long endpoints = 0;
  std::optional<double> throughput;  // networks per second
};

/// A cell's stored prediction (cells.prediction), read with io/codec: the theory oracle's claims
/// while the cell runs, its observations once it has finished. Older databases hold one object
/// {"statement", "source", "forbids"} instead, which read_report checks against the cell's classes.
struct Prediction {
  enum class Form {
    absent,        ///< no prediction stored
    invalid,       ///< not valid JSON, or of no known shape (parse_error says why)
    claims,        ///< a claim list: only each item's `claim` is set
    observations,  ///< an observation list
    single         ///< the older object: items[0] is its claim, observed by read_report when
                   ///< it forbids any class (kind forbids) and unobserved otherwise (kind none)
  };
  Form form = Form::absent;
  std::string raw;          ///< the stored text
  std::string parse_error;  ///< why it is invalid
  std::vector<Observation> items;

  bool present() const { return form != Form::absent; }
  bool parsed() const { return present() && form != Form::invalid; }
  bool is_list() const { return form == Form::claims || form == Form::observations; }
  /// The older object, naming forbidden classes: items[0] carries the report's own observation.
  bool checks_classes() const { return form == Form::single && !items[0].claim.classes.empty(); }
};

/// Quantiles over a cell's training curves on a common step grid.
struct Curves {
  long total = 0, used = 0, clamped = 0, malformed = 0;
  double floor = 0;
  std::vector<double> steps, q10, q50, q90;
  std::vector<long> n_at;  // curves with a finite value at each step
};

/// A cell's pooled Hessian eigenvalues: counts and a signed-log histogram.
struct Spectra {
  long networks = 0, eigenvalues = 0, nonfinite = 0, malformed = 0;
  double linthresh = 1e-6, min = 0, max = 0;
  Hist hist;
};

/// What stands behind a cell's classes (docs/math.md §7, §7a): training dynamics, refinement
/// sensitivity and certified minima, over its finished endpoints.
struct Verdicts {
  long with_dynamics = 0, plateau = 0, descending = 0;
  long escaped = 0;                             ///< endpoints that left the plateau
  double escape_q10 = NAN, escape_median = NAN, escape_q90 = NAN;  ///< escape steps
  long refined = 0, refine_changed = 0;
  std::string raw_verdict, refined_verdict;     ///< most frequent second-order class, raw / refined
  bool verdict_flips = false;
  long global_minima = 0, global_certified = 0, spurious_minima = 0, spurious_certified = 0;
};

/// One cell (a configuration of the run) and the statistics of its endpoints.
/// A stored 1-D slice of one endpoint (table `slices`): its class and the loss along the
/// direction, t = 0 being the endpoint.
struct EndpointSlice {
  long net_index = 0;
  std::string cls, direction;
  std::vector<double> t, loss;
};

struct Cell {
  std::int64_t cell_id = 0;
  long cell_index = 0;
  std::string label, family, dims, y_kind, optimizer, precision, status;
  std::vector<SweptValue> swept;  ///< cells.swept: the cell's swept variables, in grid order
  std::optional<std::string> global_loss_kind;
  std::optional<double> slope, global_loss;
  long n = 0, x_rank = 0, y_rank = 0, networks = 0, param_count = 0;
  double noise = 0, lr = 0, init_scale = 0, loss_scale = 0, grad_rtol = 0, loss_rtol = 0,
         eig_rtol = 0;

  long endpoints = 0, finished = 0, unfinished = 0;
  std::map<std::string, long> counts, counts_lo, counts_hi;
  long tol_lo_missing = 0, tol_hi_missing = 0;
  Prediction prediction;

  long gap_n = 0, gap_clamped = 0, gap_missing = 0;
  Hist gap_hist;                  // edges in log10(L − L*)
  double gap_lo = 0, gap_hi = 0;  // smallest and largest log10(L − L*)
  long lmin_n = 0;
  double lmin_lo = 0, lmin_hi = 0;  // smallest and largest λ_min
  double lmin_linthresh = 1e-6;
  Hist lmin_hist;
  std::map<long, long> n_negative, excess_degeneracy;
  long open_yes = 0, open_n = 0;
  Spectra spectra;
  Curves curves;
  Verdicts verdicts;
  std::vector<EndpointSlice> slices;  ///< non-strict saddles and spurious minima, by net_index

  /// Finished endpoints of class `c`.
  long count(const std::string& c) const {
    const auto it = counts.find(c);
    return it == counts.end() ? 0 : it->second;
  }
  /// The swept value named `name`, or null when the cell did not sweep it.
  const SweptValue* swept_value(const std::string& name) const {
    for (const auto& v : swept)
      if (v.name == name) return &v;
    return nullptr;
  }
};

/// Everything the report shows.
struct Report {
  std::string db_path;
  RunInfo run;
  std::vector<Cell> cells;
  std::vector<std::string> classes;  // columns shown
  std::vector<std::string> sweep;    // names of the swept variables of any cell, in grid order
  std::vector<std::string> warnings;
};

/// Reads the newest run with endpoints from the database at `db_path` (opened read-only, in one
/// read transaction); throws Error naming the file when it is missing, not a landscape
/// database, of another schema version, or holds no run with endpoints.
Report read_report(const std::string& db_path, long run_id = 0);

}  // namespace landscape::report
