// Factory for the CUDA backend. Host code sees only this header: no CUDA types.
#pragma once

#include <memory>

#include "landscape/backend.hpp"

namespace landscape {

/// Number of visible CUDA devices; 0 when there is no driver or no device.
int cuda_device_count();

/// The CUDA backend on device `device`. Throws Error when it cannot be initialized.
std::unique_ptr<Backend> make_cuda_backend(int device = 0);

}  // namespace landscape
