// The CPU backend's per-target lane trainers as plain function pointers, and the index of a
// Highway target in a dispatch table (the same rule as hwy::ChosenTarget::GetIndex, for one
// target instead of the best, so a run can pick its target without touching Highway's
// process-wide choice).
#pragma once

#include <hwy/targets.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "landscape/math/network.hpp"
#include "landscape/math/train.hpp"

namespace landscape::cpu {

/// One batch of training for the lane trainers: every network shares the shape, data and
/// settings (the data in float64, converted to the training precision as the scalar path does).
struct LaneJob {
  math::Shape s;
  const double* X = nullptr;
  const double* Y = nullptr;
  math::TrainParams p;
  std::size_t count = 0;
  double* weights = nullptr;  ///< count × P, in and out
  math::TrainOutcome* outcomes = nullptr;
  double* curves = nullptr;  ///< count × p.curve_len, or null
};

/// The functions of one target and precision: lanes per register, scratch per thread (bytes,
/// aligned to 64), and the training of networks [first, first + lanes) ∩ [0, count); the wide
/// ones train 2·lanes networks in two registers per value (lanes.hpp).
struct LaneTrainer {
  std::size_t (*lanes)() = nullptr;
  std::size_t (*scratch_bytes)(const math::Shape&) = nullptr;
  void (*train_group)(const LaneJob&, std::size_t first, void* scratch) = nullptr;
  std::size_t (*wide_scratch_bytes)(const math::Shape&) = nullptr;
  void (*train_wide_group)(const LaneJob&, std::size_t first, void* scratch) = nullptr;
};

/// The data of a batch of exact Hessians (float64).
struct HessianJob {
  math::Shape s;
  const double* X = nullptr;
  const double* Y = nullptr;
};

/// Exact Hessians of `lanes()` networks at once (hessian_lanes.cpp): the networks at w[l],
/// outputs H[l] (P×P), grad[l] (P) and loss[l]; H[l] null marks a padding lane.
struct HessianLaneKernel {
  std::size_t (*lanes)() = nullptr;
  std::size_t (*scratch_bytes)(const math::Shape&) = nullptr;
  void (*group)(const HessianJob&, const double* const* w, double* const* H, double* const* grad,
                double* loss, void* scratch) = nullptr;
};
HessianLaneKernel hessian_lanes(std::int64_t target);

/// The trainer of a Highway target bit (one of hwy::SupportedAndGeneratedTargets()).
LaneTrainer lane_trainer_f32(std::int64_t target);
LaneTrainer lane_trainer_f64(std::int64_t target);

/// Highway target bit of a name from simd_targets() (0 for "scalar").
std::int64_t simd_target_bit(const std::string& name);

/// Entry of `target` in an HWY_EXPORT table of this binary.
inline std::size_t dispatch_index(std::int64_t target) {
  return hwy::Num0BitsBelowLS1Bit_Nonzero64(
      static_cast<std::uint64_t>((HWY_CHOSEN_TARGET_SHIFT(target) | HWY_CHOSEN_TARGET_MASK_SCALAR) &
                                 HWY_CHOSEN_TARGET_MASK_TARGETS));
}

}  // namespace landscape::cpu
