// Layering probe (positive control): a core source including core and math headers compiles.
#include "landscape/core/records.hpp"
#include "landscape/math/network.hpp"

int landscape_layering_probe_ok() { return landscape::kNumClasses; }
