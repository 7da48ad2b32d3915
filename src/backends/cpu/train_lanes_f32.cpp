// The float lane trainers, one per Highway target (train_lanes-inl.hpp), and their dispatch table.
// Compiled with -ffp-contract=fast (CMakeLists.txt): float32 multiply-adds become FMAs where the
// target has them, as on the GPU; results agree with the scalar loop within the float32
// parity tolerances, not bitwise.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "train_lanes_f32.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "train_lanes-inl.hpp"

HWY_BEFORE_NAMESPACE();
namespace landscape::cpu {
namespace HWY_NAMESPACE {

std::size_t LanesF32() { return std::size_t(LaneOf<float>::N); }
std::size_t ScratchBytesF32(const math::Shape& s) {
  return lane_values<float>(s) * sizeof(LaneOf<float>);
}
void TrainGroupF32(const LaneJob& j, std::size_t first, void* scratch) {
  train_group<float, 1>(j, first, scratch);
}
std::size_t ScratchBytesWideF32(const math::Shape& s) {
  return lane_values<float>(s) * sizeof(LaneOf<float, 2>);
}
void TrainGroupWideF32(const LaneJob& j, std::size_t first, void* scratch) {
  train_group<float, 2>(j, first, scratch);
}

}  // namespace HWY_NAMESPACE
}  // namespace landscape::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace landscape::cpu {

HWY_EXPORT(LanesF32);
HWY_EXPORT(ScratchBytesF32);
HWY_EXPORT(TrainGroupF32);
HWY_EXPORT(ScratchBytesWideF32);
HWY_EXPORT(TrainGroupWideF32);

LaneTrainer lane_trainer_f32(std::int64_t target) {
  const std::size_t i = dispatch_index(target);
  LaneTrainer t;
  t.lanes = HWY_DISPATCH_TABLE(LanesF32)[i];
  t.scratch_bytes = HWY_DISPATCH_TABLE(ScratchBytesF32)[i];
  t.train_group = HWY_DISPATCH_TABLE(TrainGroupF32)[i];
  t.wide_scratch_bytes = HWY_DISPATCH_TABLE(ScratchBytesWideF32)[i];
  t.train_wide_group = HWY_DISPATCH_TABLE(TrainGroupWideF32)[i];
  return t;
}

}  // namespace landscape::cpu
#endif  // HWY_ONCE
