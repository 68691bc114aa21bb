// Streamed sparse × dense vector products: an out-of-core algorithm on the one scheduler
// (ooc/scheduler.hpp), over a matrix on disk opened as 1-D member stores (source.hpp).
// indices and data are read in row-aligned blocks of nonzeros on the I/O thread while the
// previous block is multiplied (double buffering); --budget means what it means for the
// dense algorithms: every byte held at once (x, y, indptr and the four block buffers).
#pragma once

#include <cstdint>

#include "mammoth/any_array.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/sparse/source.hpp"

namespace mammoth::sparse {

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
