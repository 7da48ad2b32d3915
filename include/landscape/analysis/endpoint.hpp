// One endpoint from its float64 facts and spectrum to its final class, with the evidence:
// refinement, spectra at three tolerance levels, symmetry and openness, then L*, classification
// and the escape test (docs/math.md §5–7).
#pragma once

#include <vector>

#include "landscape/analysis/symmetry.hpp"
#include "landscape/core/data.hpp"
#include "landscape/core/model.hpp"
#include "landscape/core/records.hpp"
#include "landscape/core/settings.hpp"

namespace landscape {

/// What an endpoint is judged in: architecture, data, loss scale and the decision settings.
struct EndpointProblem {
  const Model& model;
  const Dataset& data;
  double loss_scale;
  const DecideSettings& settings;
  /// data_column_space(data), when the caller computed it once for many endpoints
  const DataColumnSpace* columns = nullptr;
};

/// Bytes one thread holds at the peak of describe_endpoint and finalize_endpoint for `m`: the
/// symmetry orbit's P × K tangent matrix with its SVD or Gram matrix, and the Hessian with its
/// eigenvectors for refinement and the escape test. For the up-front memory check.
double decision_memory_bytes(const Model& m);

/// Closed form where docs/math.md §3 has one; otherwise the best finite loss among `losses`.
GlobalOptimum find_optimum(const Model& m, const Dataset& d, const std::vector<double>& losses);

/// Everything about one endpoint that does not depend on L*: optional refinement (which
/// replaces `w` and the facts by the refined point), spectra at three tolerance levels
/// (`ev`: the P eigenvalues at w), symmetry and openness. Returns true when the endpoint is PSD
/// to tolerance at some level, i.e. a candidate for the escape test.
bool describe_endpoint(const EndpointProblem& pb, bool keep_spectrum, std::vector<double>& w,
                       const PointFacts& facts, const double* ev, EndpointRecord& e);

/// Classes at the three tolerance levels, with the escape test wherever the second-order
/// verdict is `degenerate`. `w` is the endpoint (required when it is a candidate). The escape
/// test probes the near-null eigenvectors of the dense Hessian, or, when `partial` is given (a
/// partial spectrum from Lanczos, too large a P for the dense solver), those among its pairs.
void finalize_endpoint(const EndpointProblem& pb, const GlobalOptimum& opt, const double* w,
                       EndpointRecord& e, const Eigenpairs* partial = nullptr);

}  // namespace landscape
