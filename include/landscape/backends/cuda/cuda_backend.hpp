// Factory for the CUDA backend. Host code sees only this header: no CUDA types.
#pragma once

#include <memory>
#include <string>

#include "landscape/backends/backend.hpp"

namespace landscape {

/// Number of visible CUDA devices; 0 when there is no driver or no device.
int cuda_device_count();

/// Why no CUDA device can be used ("" when one can): the runtime's own message, e.g. no
/// device, no driver, or a driver older than this build's CUDA runtime.
std::string cuda_unavailable_reason();

/// The CUDA backend on device `device`. Throws Error when it cannot be initialized.
std::unique_ptr<Backend> make_cuda_backend(int device = 0);

}  // namespace landscape
