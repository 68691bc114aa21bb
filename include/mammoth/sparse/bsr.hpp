// BSR: CSR over dense R×C blocks; data holds nnzb blocks, each row-major (scipy's (nnzb, R, C)).
#pragma once

#include <vector>

#include "mammoth/sparse/common.hpp"

namespace mammoth::sparse {

template <Scalar T, Index I = std::int32_t>
struct Bsr {
  using value_type = T;
  using index_type = I;
  std::int64_t rows = 0, cols = 0;
  std::int64_t block_rows = 1, block_cols = 1;
  Vec<I> indptr{0}, indices;  // over block rows; block column indices
  Vec<T> data;

  std::int64_t block_size() const { return block_rows * block_cols; }
  std::int64_t nnz_blocks() const { return static_cast<std::int64_t>(indices.size()); }
  // Stored values, as scipy's nnz (explicit zeros inside blocks count).
  std::int64_t nnz() const { return static_cast<std::int64_t>(data.size()); }
  std::int64_t block_row_count() const { return block_rows ? rows / block_rows : 0; }
  std::int64_t block_col_count() const { return block_cols ? cols / block_cols : 0; }

  void validate() const {
    check_shape("bsr", rows, cols);
    if (block_rows <= 0 || block_cols <= 0 || rows % block_rows != 0 || cols % block_cols != 0)
      invalid("bsr", rows, cols,
              "block shape (" + std::to_string(block_rows) + ", " + std::to_string(block_cols) +
                  ") does not divide the matrix");
    std::int64_t values = 0;
    if (__builtin_mul_overflow(block_rows, block_cols, &values) ||
        __builtin_mul_overflow(nnz_blocks(), values, &values))
      invalid("bsr", rows, cols,
              std::to_string(nnz_blocks()) + " blocks of shape (" + std::to_string(block_rows) + ", " +
                  std::to_string(block_cols) + ") hold more values than an index can count");
    if (static_cast<std::int64_t>(indptr.size()) != block_row_count() + 1)
      invalid("bsr", rows, cols,
              "indptr has " + std::to_string(indptr.size()) + " entries, expected " +
                  std::to_string(block_row_count() + 1));
    if (static_cast<std::int64_t>(data.size()) != nnz_blocks() * block_size())
      invalid("bsr", rows, cols,
              "data has " + std::to_string(data.size()) + " values, expected " + std::to_string(nnz_blocks()) +
                  " blocks of " + std::to_string(block_size()));
    check_indptr("bsr", rows, cols, indptr.data(), block_row_count(), nnz_blocks());
    check_indices("bsr", rows, cols, "indices", indices.data(), nnz_blocks(), block_col_count());
  }
};

}  // namespace mammoth::sparse
