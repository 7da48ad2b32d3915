// Chunk pipeline: train chunk k+1 on a second host thread while chunk k is analyzed and
// decided, so a device can train and analyze at the same time. The order of results is kept.
#pragma once

#include <cstddef>
#include <future>
#include <type_traits>
#include <utility>

namespace landscape {

/// Processes chunks 0 … count−1 in order: `finish(k, train(k))`. With `overlap`, `train(k + 1)`
/// runs on a second thread while `finish(k)` runs on this one, so `train` must be safe to call
/// concurrently with `finish` (different chunks never share data; Backend::supports_overlap
/// says whether the backend's `train` and `analyze` may run at the same time). Every `finish`
/// runs on the calling thread, in chunk order, so the results do not depend on `overlap`.
///
/// `stop()` is asked before each chunk is trained or finished; once it says true no further
/// chunk is finished (a chunk already trained ahead is waited for and discarded) and the
/// function returns false. Returns true when every chunk was finished.
///
/// An exception from `train` (on either thread) or `finish` propagates to the caller; a chunk
/// being trained ahead is waited for first, so no thread outlives the call.
template <class Train, class Finish, class Stop>
bool run_chunks(std::size_t count, bool overlap, Train&& train, Finish&& finish, Stop&& stop) {
  if (!overlap) {
    for (std::size_t k = 0; k < count; ++k) {
      if (stop()) return false;
      finish(k, train(k));
    }
    return true;
  }
  using Trained = std::decay_t<decltype(train(std::size_t(0)))>;
  if (count == 0) return true;
  if (stop()) return false;
  Trained current = train(0);
  for (std::size_t k = 0;; ++k) {
    // std::async's future waits for its thread in its destructor, also while an exception from
    // `finish` unwinds; an exception thrown by the thread is rethrown by get().
    std::future<Trained> ahead;
    if (k + 1 < count && !stop())
      ahead = std::async(std::launch::async, [&train, k] { return train(k + 1); });
    finish(k, std::move(current));
    if (k + 1 == count) return true;
    if (!ahead.valid() || stop()) return false;
    current = ahead.get();
  }
}

}  // namespace landscape
