// A stored endpoint as a point to classify (see stored_point.hpp).
#include "landscape/run/stored_point.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "landscape/analysis/hessian.hpp"
#include "landscape/analysis/refine.hpp"
#include "landscape/core/common.hpp"

namespace landscape {

std::vector<double> refined_point_weights(const Point& p, const DecideSettings& settings) {
  RefineResult r = refine_critical_point(p.model, p.data, p.weights.data(), loss_scale(p.data),
                                         settings.refine);
  if (!point_facts(p.model, p.data, r.weights.data()).finite) return p.weights;
  return std::move(r.weights);
}

Point stored_point(const StoredEndpoint& s, bool refined) {
  const std::string& where = s.point.source;
  // A diverged endpoint's class comes from training (its loss passed the divergence threshold
  // or went non-finite), which a classification of the point alone cannot see.
  require(s.train_status != "diverged" && s.weights_finite, where,
          "diverged in training (class diverged): there is no finite point to classify; its "
          "stored weights are still readable (Python: landscape.endpoint)");
  Point p = s.point;
  const DecideSettings settings = p.settings.value_or(DecideSettings{});
  if (refined) {
    require(settings.refine.enabled, where,
            "--refined: the run did not refine its endpoints ([refine] enabled = false)");
    p.weights = refined_point_weights(p, settings);
    p.settings = settings;
    p.settings->refine.enabled = false;
  }
  return p;
}

bool is_results_database(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": is a directory, not a POINT.json file or a results database");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read: " + std::strerror(errno));
  char head[16] = {};
  in.read(head, sizeof head);
  static const char kSqlite[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                   'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
  if (in.gcount() == 16 && std::memcmp(head, kSqlite, 16) == 0) return true;
  // JSON: the first character that is not white space opens an object (or a list).
  in.clear();
  in.seekg(0);
  char c = 0;
  while (in.get(c) && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
  }
  if (in && (c == '{' || c == '[')) return false;  // parse_point says what is wrong with a list
  throw Error(path +
              ": neither a POINT.json file (a JSON object) nor a landscape results database "
              "(an SQLite file)");
}

}  // namespace landscape
