// The out-of-core algorithms across MPI ranks: each rank runs the one-process engine
// (mammoth::ooc) unchanged on its share — contiguous rows of the whole (share.hpp) — under
// its own budget, and the ranks combine only what must be combined: y's rows are written
// by their rank, partial results along axis 0 meet on rank 0. Every call is collective
// (every rank calls it with the same arguments) and throws JobError on every rank when
// any rank failed; the output is then not committed.
#pragma once

#include <optional>

#include "mammoth/any_array.hpp"
#include "mammoth/mpi/communicator.hpp"
#include "mammoth/mpi/output.hpp"
#include "mammoth/mpi/share.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/ooc/reduce.hpp"
#include "mammoth/random.hpp"
#include "mammoth/sparse/source.hpp"
#include "mammoth/store.hpp"

namespace mammoth::mpi {

// `options` for this rank: the machine's cores split among the ranks on it (when
// options.threads is 0), the progress bar on rank 0 only.
ooc::Options rank_options(const Communicator& comm, ooc::Options options);

// This rank's rows of `a` (cuts on whole chunk rows of `a`, or of `aligned_to` when given).
RowRange share_of(const Communicator& comm, const BlockStore& a, const BlockStore* aligned_to = nullptr);

// A·x (Aᵀ·x when `transpose`) into `y`. matvec: each rank reads x whole and writes its
// rows of y. rmatvec: each rank reads its rows of x, the partial products are summed on
// rank 0 (MPI_Reduce), which writes y.
void matvec(const Communicator& comm, BlockStore& a, BlockStore& x, ParallelOutput& y, bool transpose,
            const ooc::Options& options);
// The same with the result returned on rank 0 (an empty array on the others).
AnyArray matvec(const Communicator& comm, BlockStore& a, BlockStore& x, bool transpose, const ooc::Options& options);

// C = A·B: each rank multiplies its rows of A by B (read from disk in column panels by
// every rank) into its rows of C.
void matmul(const Communicator& comm, BlockStore& a, BlockStore& b, ParallelOutput& c, const ooc::Options& options);

// y = A·x (Aᵀ·x when `transpose`) for a CSR or CSC matrix on disk, streamed under the
// budget (sparse::spmv). The ranks split the axis indptr runs along (CSR rows, CSC
// columns) by nonzeros (weighted_share, binary searches in indptr on disk: a rank reads
// only its own part of indptr); a CSC matrix is the CSR matrix of Aᵀ over the same members.
// - One dot product per share row (CSR's A·x, CSC's Aᵀ·x), as PETSc's MPIAIJ: x in
//   contiguous ranges (a square matrix's as its rows, else evenly). A rank streams its
//   indices once to mark the columns they touch (sparse::ColumnMap: 2 bits per column),
//   asks the owners for its ghosts (touched columns outside its range: MPI_Alltoall of
//   counts, MPI_Ialltoallv of columns), reads of its own range of x only the blocks
//   someone needs, sends the asked values back (MPI_Ialltoallv) and streams its nonzeros
//   again through a compact x (its touched entries only); the values travel while the
//   blocks within its own columns are multiplied. Memory per rank: its rows of y and
//   indptr, its touched entries of x, 16 bytes per ghost it asks or is asked for, cols/4
//   bytes of map, the blocks — not 8·cols. Every row is summed as the one-process spmv
//   sums it (bit for bit).
// - Scattered into y (CSR's Aᵀ·x, CSC's A·x): a rank reads its range of x and adds its
//   rows' products into a whole y of its own; rank 0 sums them (MPI_Reduce) and writes y,
//   so y must fit in each rank's memory, as for the dense rmatvec. Sums agree with the
//   one-process product to rounding (the ranks' parts are added last).
void spmv(const Communicator& comm, const sparse::SparseSource& a, BlockStore& x, ParallelOutput& y, bool transpose,
          const ooc::Options& options);

// ooc::reduce across ranks. Along axis 1 each rank reduces (and writes) its rows; along
// axis 0 or all, the ranks' partial results are combined on rank 0 by the same engine
// (sum for sum and mean, the 2-norm of the 2-norms, min of mins, max of maxes).
AnyArray reduce(const Communicator& comm, BlockStore& a, ooc::ReduceOp op, std::optional<int> axis,
                const ooc::Options& options);
void reduce(const Communicator& comm, BlockStore& a, ooc::ReduceOp op, std::optional<int> axis, ParallelOutput& out,
            const ooc::Options& options);

// ooc::copy across ranks: each rank copies its rows (cut on whole chunk rows of dst).
void copy(const Communicator& comm, BlockStore& src, ParallelOutput& dst, const ooc::Options& options);

// fill_random across ranks: each rank draws its rows from the same seeded streams as the
// one-process fill (position-seeded, random.hpp), so the file is the same byte for byte.
void fill_random(const Communicator& comm, ParallelOutput& dst, const RandomSpec& spec);

}  // namespace mammoth::mpi
