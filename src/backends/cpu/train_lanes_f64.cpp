// The double lane trainers, one per Highway target (train_lanes-inl.hpp), and their dispatch table.
// Compiled with -ffp-contract=off (CMakeLists.txt): no FMA contraction in float64, so every
// target computes each network bitwise as the scalar reference loop does.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "train_lanes_f64.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "train_lanes-inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace landscape::cpu {
namespace HWY_NAMESPACE {

std::size_t LanesF64() { return std::size_t(LaneOf<double>::N); }
std::size_t ScratchBytesF64(const math::Shape& s) {
  return lane_values<double>(s) * sizeof(LaneOf<double>);
}
void TrainGroupF64(const LaneJob& j, std::size_t first, void* scratch) {
  train_group<double, 1>(j, first, scratch);
}
std::size_t ScratchBytesWideF64(const math::Shape& s) {
  return lane_values<double>(s) * sizeof(LaneOf<double, 2>);
}
void TrainGroupWideF64(const LaneJob& j, std::size_t first, void* scratch) {
  train_group<double, 2>(j, first, scratch);
}

}  // namespace HWY_NAMESPACE
}  // namespace landscape::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace landscape::cpu {

HWY_EXPORT(LanesF64);
HWY_EXPORT(ScratchBytesF64);
HWY_EXPORT(TrainGroupF64);
HWY_EXPORT(ScratchBytesWideF64);
HWY_EXPORT(TrainGroupWideF64);

LaneTrainer lane_trainer_f64(std::int64_t target) {
  const std::size_t i = dispatch_index(target);
  LaneTrainer t;
  t.lanes = HWY_DISPATCH_TABLE(LanesF64)[i];
  t.scratch_bytes = HWY_DISPATCH_TABLE(ScratchBytesF64)[i];
  t.train_group = HWY_DISPATCH_TABLE(TrainGroupF64)[i];
  t.wide_scratch_bytes = HWY_DISPATCH_TABLE(ScratchBytesWideF64)[i];
  t.train_wide_group = HWY_DISPATCH_TABLE(TrainGroupWideF64)[i];
  return t;
}

}  // namespace landscape::cpu
#endif  // HWY_ONCE
