// MPI for distributed sweeps: the world as this process sees it, the few point-to-point
// messages rank 0 (the coordinator and only database writer) and the workers exchange, and the
// compact binary form of a finished chunk that travels between them. Only src/run/mpi.cpp sees
// <mpi.h>; without MPI in the build the world is always a single inactive process.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "landscape/core/records.hpp"

namespace landscape {

/// This process's place in the MPI job.
struct MpiWorld {
  bool active = false;  ///< started by an MPI launcher and MPI initialized
  int rank = 0, size = 1;
  int local_rank = 0, local_size = 1;  ///< within the node (MPI_COMM_TYPE_SHARED split)
};

/// Whether this build has MPI ("Open MPI 4.1.4", …), or "" when it has none.
std::string mpi_library();

/// Initializes MPI once per process when it was started by an MPI launcher (mpirun/mpiexec
/// of Open MPI or MPICH, srun: recognized by the variables they set; LANDSCAPE_MPI=0 never,
/// =1 always) and returns the world; later calls return the same. A plain process gets the
/// inactive single-rank world and never touches MPI.
const MpiWorld& mpi_world();

/// Whether mpi_world() has started MPI in this process (without starting it).
bool mpi_active();

/// Finalizes MPI if it was initialized (main calls it before returning).
void mpi_finalize();

/// Ends the whole job with `code` (MPI_Abort): for a rank that fails while others wait on it.
[[noreturn]] void mpi_abort(int code);

/// Rank 0 has told every worker how the run ended (they leave their loops by themselves), so
/// an error exit of rank 0 need not abort the job.
void mpi_set_workers_released(bool released);
bool mpi_workers_released();

/// Message kinds between the coordinator (rank 0) and the workers.
enum MpiTag : int {
  kTagHello = 11,    ///< worker → 0: backend, device, preferred chunk per cell
  kTagRequest = 12,  ///< worker → 0: give me work
  kTagAssign = 13,   ///< 0 → worker: a unit (cell, network indices; or endpoints to finalize)
  kTagNone = 14,     ///< 0 → worker: nothing now, ask again shortly
  kTagStop = 15,     ///< 0 → worker: the run is over (payload: the exit code)
  kTagResult = 16,   ///< worker → 0: a finished chunk
  kTagError = 17,    ///< worker → 0: a unit failed (its id, the message)
  kTagFinalized = 18,  ///< worker → 0: a finalize unit's decided endpoints
  kTagStopping = 19,   ///< worker → 0: a signal arrived (payload: it, and the units given back)
};

struct MpiMessage {
  int source = -1;
  int tag = 0;
  std::vector<char> bytes;
};

/// Sends `bytes` to `dest` (blocking until the buffer may be reused).
void mpi_send(int dest, int tag, const std::vector<char>& bytes);
/// A message waiting from `source` (-1: any), received; nullopt at once when there is none.
std::optional<MpiMessage> mpi_poll(int source = -1);
/// Waits for a message from `source` (-1: any). Polls with short sleeps instead of MPI's busy
/// wait, so a waiting rank leaves its cores to the ranks that compute.
MpiMessage mpi_wait(int source = -1);
void mpi_barrier();
/// Every rank's `values` (the same length on every rank), on rank 0 in rank order; empty on
/// the others.
std::vector<std::vector<double>> mpi_gather(const std::vector<double>& values);

// ---- byte encoding ------------------------------------------------------------------------------

/// Appends plain values to a byte buffer (host byte order: every rank of a job runs the same
/// binary on the same architecture).
class ByteWriter {
 public:
  template <class T>
  ByteWriter& put(const T& v) {
    const auto* p = reinterpret_cast<const char*>(&v);
    m_bytes.insert(m_bytes.end(), p, p + sizeof(T));
    return *this;
  }
  ByteWriter& put_string(const std::string& s);
  ByteWriter& put_doubles(const std::vector<double>& v);
  ByteWriter& put_longs(const std::vector<long>& v);
  std::vector<char>& bytes() { return m_bytes; }

 private:
  std::vector<char> m_bytes;
};

/// Reads what ByteWriter wrote; throws Error on a short or malformed buffer.
class ByteReader {
 public:
  explicit ByteReader(const std::vector<char>& bytes) : m_bytes(bytes) {}
  template <class T>
  T get() {
    T v;
    need(sizeof(T));
    std::memcpy(&v, m_bytes.data() + m_pos, sizeof(T));
    m_pos += sizeof(T);
    return v;
  }
  std::string get_string();
  std::vector<double> get_doubles();
  std::vector<long> get_longs();
  bool at_end() const { return m_pos == m_bytes.size(); }

 private:
  void need(std::size_t n) const;
  const std::vector<char>& m_bytes;
  std::size_t m_pos = 0;
};

/// A finished chunk of cell `cell` as bytes: every field of each endpoint record (numbers
/// bitwise; refinement, escape with its witness, symmetry and openness included), the
/// candidates' weights, the curves and the stage times.
std::vector<char> encode_chunk(int cell, const ChunkResult& chunk);
/// The inverse of encode_chunk; sets `cell`.
ChunkResult decode_chunk(const std::vector<char>& bytes, int& cell);

}  // namespace landscape
