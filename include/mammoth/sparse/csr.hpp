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
  void validate() const {
    check_shape("csr", rows, cols);
    if (static_cast<std::int64_t>(indptr.size()) != rows + 1)
      invalid("csr", rows, cols, "indptr has " + std::to_string(indptr.size()) + " entries, expected rows + 1");
    if (indices.size() != data.size())
      invalid("csr", rows, cols,
              "indices has " + std::to_string(indices.size()) + " entries but data has " + std::to_string(data.size()));
    check_indptr("csr", rows, cols, indptr.data(), rows, nnz());
    check_indices("csr", rows, cols, "indices", indices.data(), nnz(), cols);
  }
};

}  // namespace mammoth::sparse
