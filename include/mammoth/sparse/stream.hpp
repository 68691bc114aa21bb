// Streamed sparse × dense vector products: an out-of-core algorithm on the one scheduler
// (ooc/scheduler.hpp), over a matrix on disk opened as 1-D member stores (source.hpp).
// indices and data are read in row-aligned blocks of nonzeros on the I/O thread while the
// previous block is multiplied (double buffering); --budget means what it means for the
// dense algorithms: every byte held at once (x, y, indptr and the four block buffers).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/sparse/column_map.hpp"
#include "mammoth/sparse/source.hpp"

namespace mammoth::sparse {

// Row-aligned ranges of at most `max_nnz` entries (a row longer than that alone is cut
// into pieces of one row each), so the buffers stay in the budget whatever the rows. The
// first blocks are smaller, from max_nnz / 16 doubling up to it: nothing is computed
// until the first block is in, and the I/O thread reads block k + 1 while block k is
// multiplied, so a block twice the one before is ready about when it is needed (a
// streamed spmv of 252 MB in blocks of 16 MiB waited 1.4–2.3 ms for its first one). The
// ramp never cuts a row: a row is cut only where max_nnz cuts it, so every row is summed
// alike whatever the ramp (the ranks' products equal the one-process one bit for bit).
template <class I>
inline std::vector<Box> nnz_blocks(const std::vector<I>& indptr, std::int64_t max_nnz) {
  std::vector<Box> boxes;
  const std::int64_t major = static_cast<std::int64_t>(indptr.size()) - 1;
  std::int64_t limit = std::max<std::int64_t>(1, max_nnz / 16);
  const auto add = [&](std::int64_t k, std::int64_t n) {
    boxes.push_back(Box{{k}, {n}});
    limit = std::min(max_nnz, limit * 2);
  };
  for (std::int64_t r = 0; r < major;) {
    const std::int64_t k0 = indptr[static_cast<std::size_t>(r)];
    std::int64_t r1 =
        std::upper_bound(indptr.begin() + r + 1, indptr.end(), static_cast<I>(k0 + limit)) - indptr.begin() - 1;
    if (r1 > r) {
      const std::int64_t k1 = indptr[static_cast<std::size_t>(r1)];
      if (k1 > k0) add(k0, k1 - k0);
      r = r1;
      continue;
    }
    const std::int64_t end = indptr[static_cast<std::size_t>(r) + 1];
    for (std::int64_t k = k0; k < end; k += boxes.back().count[0]) add(k, std::min<std::int64_t>(max_nnz, end - k));
    ++r;
  }
  return boxes;
}

struct StreamStats {
  std::int64_t blocks = 0;  // blocks of nonzeros streamed
  std::int64_t max_block_nnz = 0;
  // With a compact x whose ghosts came while it ran: entries multiplied before they came.
  std::int64_t entries_before_ghosts = 0;
};

// x as a compact vector (a rank of the distributed spmv, docs/distributed.md): it holds
// only the columns `map` marks, in column order, and the product reads x[map.place(j)]
// for a column j. Columns outside [own_begin, own_end) are ghosts: their values come from
// other ranks while the product runs, as PETSc's MPIAIJ overlaps its exchange with its
// product over the rank's own columns. Until `ghosts_arrived` says they are in x, each
// row is multiplied up to its first ghost entry and the rest kept in room taken from the
// budget (src/sparse/ghost_rows.hpp); `ghosts_ready` waits for them (when that room is
// full, and at the end). Both empty: the ghosts are in x. Every row is the one-process
// sum bit for bit, whenever they arrive. `held`: bytes the caller holds meanwhile,
// counted against the budget.
struct CompactColumns {
  const ColumnMap* map = nullptr;
  std::int64_t own_begin = 0, own_end = 0;
  std::function<bool()> ghosts_arrived;
  std::function<void()> ghosts_ready;
  std::size_t held = 0;
};

// y = A·x (transpose: y = Aᵀ·x) for a CSR or CSC `a`, in float64 (complex128 when A or x
// is complex). Indices are checked block by block (FormatError naming the entry); Ctrl-C
// (ooc::request_cancel) stops it with ooc::Cancelled; options.progress draws a bar.
// `columns` (CSR A·x only): x is compact, as above.
AnyArray spmv(const SparseSource& a, const AnyArray& x, const ooc::Options& options, bool transpose = false,
              StreamStats* stats = nullptr, const CompactColumns* columns = nullptr);

// Marks in `map` (of a.cols columns) every column a CSR `a`'s nonzeros touch, streaming
// its indices once under the budget (the map counts against it) and checking them as
// spmv does; then map.count().
void mark_columns(const SparseSource& a, ColumnMap& map, const ooc::Options& options);

}  // namespace mammoth::sparse
