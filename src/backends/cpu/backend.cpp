// The CPU reference backend's factory, its device line and its measured peak (the class is in
// cpu_backend.hpp; training in train.cpp, analysis in hessian.cpp).
#include "cpu_backend.hpp"
#include "landscape/backends/simd.hpp"

namespace landscape {

namespace cpu {

std::string CpuBackend::device() const {
  return "CPU, " + std::to_string(m_threads) + " thread" + (m_threads == 1 ? "" : "s");
}

double CpuBackend::peak_flops(Precision p) const {
  std::call_once(m_peak_once, [this] {
    m_peak[0] = measure_fma_peak(Precision::f32, m_threads);
    m_peak[1] = measure_fma_peak(Precision::f64, m_threads);
  });
  return m_peak[p == Precision::f32 ? 0 : 1];
}

}  // namespace cpu

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<cpu::CpuBackend>(threads);
}

}  // namespace landscape
