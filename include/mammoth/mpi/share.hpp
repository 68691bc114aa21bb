// A rank's share of a distributed run: a contiguous range of rows of the whole array,
// run on the one-process engine through a view of those rows. Nothing here calls MPI,
// so the split is the same (and testable) in every build.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "mammoth/store.hpp"

namespace mammoth::mpi {

// Rows [begin, end) of the whole; empty when begin == end.
struct RowRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
  bool empty() const { return end <= begin; }
  friend bool operator==(const RowRange&, const RowRange&) = default;
};

// Rank `rank` of `ranks`: contiguous rows balanced by bytes (every dense row holds the
// same bytes, so equal rows), the cuts rounded to a multiple of `align` rows (a chunk
// row of the source, so no two ranks read or write one chunk) while that keeps every
// rank's share within one `align` of the even split. More ranks than rows (or than
// aligned groups of rows) leaves the last ranks with none.
RowRange rank_share(std::int64_t rows, int rank, int ranks, std::int64_t align = 1);

// The same split by weight: `prefix` holds rows + 1 running totals (a CSR indptr: the
// nonzeros before each row), and each rank gets contiguous rows of about equal weight.
RowRange weighted_share(std::span<const std::int64_t> prefix, int rank, int ranks);
// The same with the running totals read on demand: `prefix_at(i)` for i in [0, rows]. Each
// cut is a binary search, so a rank finds the cuts in an indptr on disk with a few dozen
// one-element reads instead of holding it whole. A prefix that falls (a corrupt indptr)
// may give cuts that fall too; the caller checks.
RowRange weighted_share(std::int64_t rows, const std::function<std::int64_t(std::int64_t)>& prefix_at, int rank,
                        int ranks);
// The cut before rank k (0 <= k <= ranks) of that split: rank k's share begins there. A
// distributed run has each rank find its own and swap them, rather than every rank
// searching for all.
std::int64_t weighted_cut(std::int64_t rows, const std::function<std::int64_t(std::int64_t)>& prefix_at, int k,
                          int ranks);

// Rows [range.begin, range.end) of `whole` as a store of its own (axis 0 cut; a 0-d
// store cannot be cut): boxes are shifted into the whole, so the one-process engine runs
// unchanged on a rank's share. Mapped stores stay zero-copy (the view is a slice of the
// mapping). `before_io` (may be empty) runs before every read and write: a distributed
// run checks there whether another rank failed. `whole` must outlive the view.
std::unique_ptr<BlockStore> rows_of(BlockStore& whole, RowRange range, std::function<void()> before_io = {});

}  // namespace mammoth::mpi
