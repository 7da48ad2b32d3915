// Entry point: hands argv to the in-process CLI; ends MPI when a launcher started it.
#include <unistd.h>

#include <iostream>

#include "landscape/cli/cli.hpp"
#include "landscape/run/mpi.hpp"

int main(int argc, char** argv) {
  const int code = landscape::cli_main(argc, argv, std::cout, std::cerr, ::isatty(2) != 0);
  if (!landscape::mpi_active()) return code;  // a plain process, or a command that needed no MPI
  const landscape::MpiWorld& world = landscape::mpi_world();
  // A rank that fails while the others wait on it (rank 0's database, a worker's setup) ends the
  // whole job; after an orderly end every rank finalizes.
  if (world.active && world.size > 1 && code != 0 && !landscape::mpi_workers_released()) {
    std::cout.flush();
    std::cerr.flush();
    landscape::mpi_abort(code);
  }
  landscape::mpi_finalize();
  return code;
}
