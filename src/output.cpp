// Tables, JSON and CSV for experiments and single points.
#include "landscape/output.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "landscape/common.hpp"
#include "landscape/stats.hpp"

namespace landscape {
namespace {

using json = nlohmann::json;

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

/// JSON has no NaN/inf: non-finite values become null.
json num(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

json tolerances_json(const Tolerances& t, double loss_scale) {
  return {{"grad_rtol", t.grad},
          {"loss_rtol", t.loss},
          {"eig_rtol", t.eig},
          {"kink_rtol", t.kink},
          {"loss_scale", loss_scale},
          {"grad_abs", t.grad * loss_scale},
          {"loss_abs", t.loss * loss_scale},
          {"note", "grad and loss tolerances are relative to loss_scale = max(1, 0.5*||Y||_F^2); "
                   "eigenvalue tolerance is relative to max(1, max|lambda|) of each endpoint"}};
}

const char* status_name(math::TrainStatus s) {
  switch (s) {
    case math::TrainStatus::converged: return "converged";
    case math::TrainStatus::budget: return "budget";
    case math::TrainStatus::diverged: return "diverged";
  }
  return "unknown";
}

}  // namespace

std::string format_sample_table(const SampleResult& r) {
  std::ostringstream os;
  const long n = long(r.endpoints.size());
  os << "experiment '" << r.config.name << "': " << to_string(r.config.model.family) << " dims [";
  for (std::size_t i = 0; i < r.config.model.dims.size(); ++i)
    os << (i ? ", " : "") << r.config.model.dims[i];
  os << "], n = " << r.data.n << ", " << n << " networks, " << r.config.train.optimizer << " "
     << to_string(r.config.train.precision) << ", backend " << r.backend << " (" << r.device << ")\n";
  os << "loss L = 0.5*||F(W) - Y||_F^2; global optimum L* = " << fmt("%.10g", r.optimum.value)
     << " (" << r.optimum.kind << ")\n\n";
  os << "  class              count   fraction   95% interval\n";
  os << "  -----------------  -------  ---------  -----------------------\n";
  for (int c = 0; c < kNumClasses; ++c) {
    const long k = r.counts[std::size_t(c)];
    const Interval iv = binomial_interval_95(k, n);
    char line[160];
    std::snprintf(line, sizeof line, "  %-17s  %7ld  %9.4f  [%.3g, %.3g]%s\n",
                  to_string(PointClass(c)).c_str(), k, n ? double(k) / double(n) : 0.0, iv.lo, iv.hi,
                  iv.method == "clopper-pearson" ? " (exact)" : "");
    os << line;
  }
  os << "\ntolerances: grad " << r.config.tol.grad << ", loss " << r.config.tol.loss
     << " (x loss scale " << fmt("%.6g", r.loss_scale) << "), eig " << r.config.tol.eig
     << " (x max(1, max|lambda|))\n";
  os << "time: " << fmt("%.2f", r.seconds_total) << " s total, train " << fmt("%.2f", r.seconds_train)
     << " s, Hessian+eigen " << fmt("%.2f", r.seconds_analyze) << " s\n";
  for (const auto& w : r.warnings) os << "warning: " << w << "\n";
  return os.str();
}

std::string sample_summary_json(const SampleResult& r) {
  const long n = long(r.endpoints.size());
  json j;
  j["program"] = {{"name", "landscape"}, {"version", LANDSCAPE_VERSION}};
  j["experiment"] = {{"name", r.config.name}, {"config_file", r.config.source},
                     {"networks", n}, {"seed", r.config.seed}};
  j["model"] = {{"family", to_string(r.config.model.family)}, {"dims", r.config.model.dims},
                {"param_count", r.config.model.param_count()}};
  if (r.config.model.family == Family::leaky_relu) j["model"]["slope"] = r.config.model.slope;
  j["data"] = {{"n", r.data.n}, {"d0", r.data.d0}, {"dh", r.data.dh}};
  j["train"] = {{"optimizer", r.config.train.optimizer}, {"lr", r.config.train.lr},
                {"steps", r.config.train.steps}, {"precision", to_string(r.config.train.precision)},
                {"grad_tol_rtol", r.config.train.grad_tol}, {"init_scale", r.config.init.effective_scale()}};
  j["loss"] = "0.5*||F(W)-Y||_F^2 (square loss, no 1/n)";
  j["global_loss"] = num(r.optimum.value);
  j["global_loss_kind"] = r.optimum.kind;
  j["tolerances"] = tolerances_json(r.config.tol, r.loss_scale);
  j["backend"] = r.backend;
  j["device"] = r.device;
  json classes = json::object();
  for (int c = 0; c < kNumClasses; ++c) {
    const long k = r.counts[std::size_t(c)];
    const Interval iv = binomial_interval_95(k, n);
    classes[to_string(PointClass(c))] = {{"count", k}, {"fraction", n ? double(k) / double(n) : 0.0},
                                         {"ci95", {iv.lo, iv.hi}}, {"ci_method", iv.method}};
  }
  j["classes"] = classes;
  j["timing_seconds"] = {{"total", r.seconds_total}, {"train", r.seconds_train},
                         {"analyze", r.seconds_analyze}};
  j["warnings"] = r.warnings;
  return j.dump(2) + "\n";
}

std::string endpoints_csv(const SampleResult& r) {
  std::ostringstream os;
  os.precision(17);
  os << "index,class,loss,global_loss,loss_gap,grad_norm,lambda_min,lambda_max,n_negative,"
        "n_near_zero,eig_threshold,steps,train_status,kink_distance";
  const std::size_t P = r.config.model.param_count();
  if (r.config.output.spectrum)
    for (std::size_t k = 0; k < P; ++k) os << ",eig_" << k;
  os << "\n";
  for (const auto& e : r.endpoints) {
    os << e.index << "," << to_string(e.cls) << "," << e.loss << "," << r.optimum.value << ","
       << e.loss - r.optimum.value << "," << e.grad_norm << ",";
    if (e.finite)
      os << e.spectrum.lambda_min << "," << e.spectrum.lambda_max << "," << e.spectrum.n_negative
         << "," << e.spectrum.n_near_zero << "," << e.spectrum.eig_threshold;
    else
      os << ",,,,";
    os << "," << e.steps << "," << status_name(e.train_status) << ",";
    if (std::isfinite(e.kink_distance)) os << e.kink_distance;
    if (r.config.output.spectrum) {
      for (std::size_t k = 0; k < P; ++k) {
        os << ",";
        if (k < e.eigenvalues.size() && std::isfinite(e.eigenvalues[k])) os << e.eigenvalues[k];
      }
    }
    os << "\n";
  }
  return os.str();
}

void write_sample_outputs(const SampleResult& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  require(!ec, dir, "cannot create output directory: " + ec.message());
  // A summary.json from an earlier run must not vouch for a new, unfinished endpoints.csv.
  std::filesystem::remove(dir + "/summary.json", ec);
  write_file_atomic(dir + "/endpoints.csv", endpoints_csv(r));
  write_file_atomic(dir + "/summary.json", sample_summary_json(r));
}

std::string point_report_json(const PointReport& r) {
  json j;
  j["class"] = to_string(r.cls);
  j["loss"] = num(r.facts.loss);
  j["global_loss"] = num(r.optimum.value);
  j["global_loss_kind"] = r.optimum.kind;
  j["loss_gap"] = num(r.facts.loss - r.optimum.value);
  j["grad_norm"] = num(r.facts.grad_norm);
  json ev = json::array();
  for (double x : r.eigenvalues) ev.push_back(num(x));
  j["eigenvalues"] = ev;
  j["negative_eigenvalues"] = r.spectrum.n_negative;
  j["near_zero_eigenvalues"] = r.spectrum.n_near_zero;
  j["lambda_min"] = num(r.spectrum.lambda_min);
  j["lambda_max"] = num(r.spectrum.lambda_max);
  j["eig_threshold"] = r.spectrum.eig_threshold;
  j["kink_distance"] = num(r.facts.kink_distance);
  j["tolerances"] = tolerances_json(r.tol, r.loss_scale);
  if (r.optimum.kind == "empirical") j["empirical_restarts"] = r.restarts;
  j["loss_definition"] = "0.5*||F(W)-Y||_F^2";
  return j.dump(2) + "\n";
}

std::string format_point_report(const PointReport& r) {
  std::ostringstream os;
  os << "class:       " << to_string(r.cls) << "\n";
  os << "loss:        " << fmt("%.12g", r.facts.loss) << "  (L = 0.5*||F(W) - Y||_F^2)\n";
  os << "global loss: " << fmt("%.12g", r.optimum.value) << "  (" << r.optimum.kind;
  if (r.optimum.kind == "empirical") os << ", best of the point and " << r.restarts << " restarts";
  os << ")\n";
  os << "grad norm:   " << fmt("%.3e", r.facts.grad_norm) << "  (tolerance "
     << fmt("%.3e", r.tol.grad * r.loss_scale) << ")\n";
  os << "Hessian:     P = " << r.eigenvalues.size() << ", lambda_min " << fmt("%.6g", r.spectrum.lambda_min)
     << ", lambda_max " << fmt("%.6g", r.spectrum.lambda_max) << ", " << r.spectrum.n_negative
     << " negative, " << r.spectrum.n_near_zero << " near zero (|lambda| <= "
     << fmt("%.3e", r.spectrum.eig_threshold) << ")\n";
  if (std::isfinite(r.facts.kink_distance) && r.facts.kink_distance < r.tol.kink)
    os << "warning:     a pre-activation sits at the leaky-ReLU kink (relative distance "
       << fmt("%.3e", r.facts.kink_distance) << "); the Hessian is not trustworthy there\n";
  return os.str();
}

}  // namespace landscape
