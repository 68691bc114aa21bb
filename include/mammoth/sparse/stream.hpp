// Streamed sparse × dense vector products: an out-of-core algorithm on the one scheduler
// (ooc/scheduler.hpp), over a matrix on disk opened as 1-D member stores (source.hpp).
// indices and data are read in row-aligned blocks of nonzeros on the I/O thread while the
// previous block is multiplied (double buffering); --budget means what it means for the
// dense algorithms: every byte held at once (x, y, indptr and the four block buffers).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/sparse/source.hpp"

namespace mammoth::sparse {

// Row-aligned ranges of at most `max_nnz` entries (a row longer than that alone is cut
// into pieces of one row each), so the buffers stay in the budget whatever the rows.
template <class I>
inline std::vector<Box> nnz_blocks(const std::vector<I>& indptr, std::int64_t max_nnz) {
  std::vector<Box> boxes;
  const std::int64_t major = static_cast<std::int64_t>(indptr.size()) - 1;
  for (std::int64_t r = 0; r < major;) {
    const std::int64_t k0 = indptr[static_cast<std::size_t>(r)];
    std::int64_t r1 =
        std::upper_bound(indptr.begin() + r + 1, indptr.end(), static_cast<I>(k0 + max_nnz)) - indptr.begin() - 1;
    if (r1 > r) {
      const std::int64_t k1 = indptr[static_cast<std::size_t>(r1)];
      if (k1 > k0) boxes.push_back(Box{{k0}, {k1 - k0}});
      r = r1;
      continue;
    }
    for (std::int64_t k = k0; k < indptr[static_cast<std::size_t>(r) + 1]; k += max_nnz)
      boxes.push_back(Box{{k}, {std::min<std::int64_t>(max_nnz, indptr[static_cast<std::size_t>(r) + 1] - k)}});
    ++r;
  }
  return boxes;
}

struct StreamStats {
  std::int64_t blocks = 0;  // blocks of nonzeros streamed
  std::int64_t max_block_nnz = 0;
};

// y = A·x (transpose: y = Aᵀ·x) for a CSR or CSC `a`, in float64 (complex128 when A or x
// is complex). Indices are checked block by block (FormatError naming the entry); Ctrl-C
// (ooc::request_cancel) stops it with ooc::Cancelled; options.progress draws a bar.
AnyArray spmv(const SparseSource& a, const AnyArray& x, const ooc::Options& options, bool transpose = false,
              StreamStats* stats = nullptr);

}  // namespace mammoth::sparse
