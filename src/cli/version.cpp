// `landscape version`: the version and the backends built (and why CUDA is unusable, if so).
#include "commands.hpp"
#include "landscape/core/common.hpp"
#include "landscape/run/mpi.hpp"
#ifdef LANDSCAPE_HAVE_CUDA
#include "landscape/backends/cuda/cuda_backend.hpp"
#endif

namespace landscape {
namespace {

class VersionCommand : public Command {
 public:
  void add_options(CLI::App&) override {}
  int run(const CommandContext& ctx) override {
    ctx.out << "landscape " << LANDSCAPE_VERSION << " (backends: cpu"
#ifdef LANDSCAPE_HAVE_CUDA
            << ", cuda"
            << (cuda_available() ? "" : " [unavailable: " + cuda_unavailable_reason() + "]")
#endif
            << ")\n";
    const std::string mpi = mpi_library();
    ctx.out << "mpi: " << (mpi.empty() ? std::string("not built") : mpi) << "\n";
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> make_version_command() { return std::make_unique<VersionCommand>(); }

}  // namespace landscape
