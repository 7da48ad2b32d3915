// Host/device annotation for the single-source per-network math: empty outside nvcc.
#pragma once

#if defined(__CUDACC__)
#define LS_HD __host__ __device__
#else
#define LS_HD
#endif
