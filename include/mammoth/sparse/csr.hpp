// CSR: compressed sparse rows, scipy's (data, indices, indptr).
#pragma once

#include <vector>

#include "mammoth/sparse/common.hpp"

namespace mammoth::sparse {

template <Scalar T, Index I = std::int32_t>
struct Csr {
  using value_type = T;
  using index_type = I;
  std::int64_t rows = 0, cols = 0;
  Vec<I> indptr{0}, indices;
  Vec<T> data;

  std::int64_t nnz() const { return static_cast<std::int64_t>(data.size()); }
  void validate() const { check_compressed("csr", rows, cols, rows, cols, indptr, indices, data); }
};

}  // namespace mammoth::sparse
