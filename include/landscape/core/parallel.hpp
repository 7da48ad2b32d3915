// Exceptions inside OpenMP loops: an exception that leaves a parallel region terminates the
// process (std::terminate, exit 134), so each iteration's body runs under a collector and the
// first exception is rethrown on the calling thread after the region.
#pragma once

#include <exception>
#include <mutex>

namespace landscape {

/// Usage: `ExceptionCollector ec; #pragma omp parallel for … { ec.run([&] { body; }); }
/// ec.rethrow();`. Iterations after a failure still run (OpenMP cannot break out of a loop);
/// each is cheap to skip with `ec.failed()`.
class ExceptionCollector {
 public:
  template <class F>
  void run(F&& body) noexcept {
    try {
      body();
    } catch (...) {
      std::lock_guard<std::mutex> lock(m_mutex);
      if (!m_first) m_first = std::current_exception();
    }
  }
  bool failed() {
    std::lock_guard<std::mutex> lock(m_mutex);
    return bool(m_first);
  }
  /// Rethrows the first exception caught, if any.
  void rethrow() {
    if (m_first) std::rethrow_exception(m_first);
  }

 private:
  std::mutex m_mutex;
  std::exception_ptr m_first;
};

}  // namespace landscape
