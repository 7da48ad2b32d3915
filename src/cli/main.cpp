// Entry point: hands argv to the in-process CLI.
#include <unistd.h>

#include <iostream>

#include "landscape/cli/cli.hpp"

int main(int argc, char** argv) {
  return landscape::cli_main(argc, argv, std::cout, std::cerr, ::isatty(2) != 0);
}
