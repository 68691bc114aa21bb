// COO: coordinate triplets (row[k], col[k], data[k]); duplicates allowed, as in scipy.
#pragma once

#include <vector>

#include "mammoth/sparse/common.hpp"

namespace mammoth::sparse {

template <Scalar T, Index I = std::int32_t>
struct Coo {
  using value_type = T;
  using index_type = I;
  std::int64_t rows = 0, cols = 0;
  Vec<I> row, col;
  Vec<T> data;

  std::int64_t nnz() const { return static_cast<std::int64_t>(data.size()); }
  // Throws ShapeError naming the first thing wrong.
  void validate() const {
    check_shape("coo", rows, cols);
    if (row.size() != data.size() || col.size() != data.size())
      invalid("coo", rows, cols,
              "row, col and data lengths differ (" + std::to_string(row.size()) + ", " + std::to_string(col.size()) +
                  ", " + std::to_string(data.size()) + ")");
    check_indices("coo", rows, cols, "row", row.data(), nnz(), rows);
    check_indices("coo", rows, cols, "col", col.data(), nnz(), cols);
  }
};

// From triplets (validated).
template <Scalar T, Index I>
Coo<T, I> coo_from_triplets(std::int64_t rows, std::int64_t cols, Vec<I> row, Vec<I> col, Vec<T> data) {
  Coo<T, I> a{rows, cols, std::move(row), std::move(col), std::move(data)};
  a.validate();
  return a;
}

}  // namespace mammoth::sparse
