// An output every rank writes its rows of, through the one output commit: rank 0 owns the
// OutputCommit (temporary beside the destination, renamed or relinked on commit), every
// rank writes into the temporary, and rank 0 commits only when every rank succeeded —
// otherwise the temporary is removed and the destination is as it was.
//  - .npy and raw: rank 0 creates (and preallocates) the temporary file; the others open
//    it read-write and write their rows through their own shared mapping.
//  - HDF5: every rank opens the file with the MPI-IO driver (H5Pset_fapl_mpio) and creates
//    the dataset collectively; every write is a collective H5Dwrite (H5FD_MPIO_COLLECTIVE),
//    so gzip and the other filters work (parallel filtered writes, HDF5 ≥ 1.10.2).
#pragma once

#include <memory>
#include <string>

#include "mammoth/mpi/communicator.hpp"
#include "mammoth/output.hpp"
#include "mammoth/store.hpp"

namespace mammoth::mpi {

class ParallelOutput {
 public:
  // Collective: every rank passes the same `spec` and `options`. Throws JobError on
  // every rank when creating it failed on any.
  ParallelOutput(const Communicator& comm, const std::string& spec, const CreateOptions& options);
  ~ParallelOutput();
  ParallelOutput(const ParallelOutput&) = delete;
  ParallelOutput& operator=(const ParallelOutput&) = delete;

  // This rank's handle on the whole output (write only the rows of this rank's share).
  BlockStore& store() { return *store_; }
  // Collective, after this rank's last write (also after a failed one): HDF5 collective
  // writes need every rank in every round, so a rank that is done joins the others'
  // remaining rounds with empty writes. Phase epilogues call it.
  void finish_writes();
  // Collective: closes on every rank, then rank 0 commits. JobError everywhere on failure.
  void commit();

 private:
  const Communicator& comm_;
  std::unique_ptr<OutputCommit> commit_;  // rank 0 only; declared first: removed after the stores close
  std::unique_ptr<BlockStore> store_;
};

// True when this libhdf5 writes filtered (compressed) chunked datasets in parallel.
bool parallel_filtered_writes();

}  // namespace mammoth::mpi
