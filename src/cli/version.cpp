// `landscape version`: the version, the backends built (and why CUDA is unusable, if so) and
// the CPU backend's SIMD path.
#include "commands.hpp"
#include "landscape/backends/simd.hpp"
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
    // The CPU backend's training path: the one it runs (LANDSCAPE_SIMD or the best) and every
    // one this binary can run on this CPU.
    std::string all;
    for (const std::string& t : simd_targets()) all += (all.empty() ? "" : ", ") + t;
    ctx.out << "cpu simd: " << simd_target() << " (available: " << all << ")\n";
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> make_version_command() { return std::make_unique<VersionCommand>(); }

}  // namespace landscape
