// The CPU reference backend's factory (the class is in cpu_backend.hpp; training in train.cpp,
// analysis in hessian.cpp).
#include "cpu_backend.hpp"

namespace landscape {

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<cpu::CpuBackend>(threads);
}

}  // namespace landscape
