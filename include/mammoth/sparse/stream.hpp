// Out-of-core y = A·x for a CSR stored in an uncompressed .npz: the members are
// memory-mapped at their offsets in the zip, and row blocks whose indices and values
// fit the memory budget are multiplied one after another; pages of a finished block
// are dropped (MADV_DONTNEED), so resident memory stays near the budget.
#pragma once

#include <span>
#include <string>

#include "mammoth/sparse/common.hpp"

namespace mammoth::sparse {

struct StreamStats {
  std::int64_t blocks = 0;  // row blocks multiplied
  std::int64_t max_block_bytes = 0;
};

// y = A·x with A = the CSR .npz at `path` (stored, not deflated; float64 values;
// int32 or int64 indices). `budget_bytes` bounds the bytes of A mapped at a time.
StreamStats spmv_npz_stream(const std::string& path, std::span<const double> x, std::span<double> y,
                            std::int64_t budget_bytes);

// The same for a CSR in an HDF5 group ("file.h5:/X", anndata layout): indices and
// values are read as hyperslabs of at most `budget_bytes` per row block.
StreamStats spmv_h5_stream(const std::string& spec, std::span<const double> x, std::span<double> y,
                           std::int64_t budget_bytes);

}  // namespace mammoth::sparse
