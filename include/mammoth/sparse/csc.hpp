// CSC: compressed sparse columns; indptr runs over columns, indices are rows.
#pragma once

#include <vector>

#include "mammoth/sparse/common.hpp"

namespace mammoth::sparse {

template <Scalar T, Index I = std::int32_t>
struct Csc {
  using value_type = T;
  using index_type = I;
  std::int64_t rows = 0, cols = 0;
  Vec<I> indptr{0}, indices;
  Vec<T> data;

  std::int64_t nnz() const { return static_cast<std::int64_t>(data.size()); }
  void validate() const { check_compressed("csc", rows, cols, cols, rows, indptr, indices, data); }
};

}  // namespace mammoth::sparse
