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
  void validate() const {
    check_shape("csc", rows, cols);
    if (static_cast<std::int64_t>(indptr.size()) != cols + 1)
      invalid("csc", rows, cols, "indptr has " + std::to_string(indptr.size()) + " entries, expected cols + 1");
    if (indices.size() != data.size())
      invalid("csc", rows, cols,
              "indices has " + std::to_string(indices.size()) + " entries but data has " + std::to_string(data.size()));
    check_indptr("csc", rows, cols, indptr.data(), cols, nnz());
    check_indices("csc", rows, cols, "indices", indices.data(), nnz(), rows);
  }
};

}  // namespace mammoth::sparse
