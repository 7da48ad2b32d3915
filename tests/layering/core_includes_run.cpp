// Layering probe: a core source including a header of a higher layer (run) must not compile,
// because core is built against a view of the headers that holds only core and math.
#include "landscape/run/experiment.hpp"

int landscape_layering_probe_up() { return 0; }
