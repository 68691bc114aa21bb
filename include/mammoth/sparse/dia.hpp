// DIA: diagonals; data is (ndiag × length) row-major with data[d][j] = A[j - offsets[d], j], as scipy.
#pragma once

#include <algorithm>
#include <vector>

#include "mammoth/sparse/common.hpp"

namespace mammoth::sparse {

template <Scalar T, Index I = std::int32_t>
struct Dia {
  using value_type = T;
  using index_type = I;
  std::int64_t rows = 0, cols = 0;
  std::int64_t length = 0;  // data's second dimension (scipy: data.shape[1], ≤ cols)
  Vec<I> offsets;
  Vec<T> data;

  std::int64_t ndiag() const { return static_cast<std::int64_t>(offsets.size()); }
  // Stored values that lie inside the matrix (scipy's dia nnz).
  std::int64_t nnz() const {
    std::int64_t n = 0;
    for (I off : offsets) {
      const std::int64_t j0 = std::max<std::int64_t>(0, off);
      const std::int64_t j1 = std::min<std::int64_t>({length, cols, rows + off});
      n += std::max<std::int64_t>(0, j1 - j0);
    }
    return n;
  }
  void validate() const {
    check_shape("dia", rows, cols);
    if (length < 0 || static_cast<std::int64_t>(data.size()) != ndiag() * length)
      invalid("dia", rows, cols,
              "data has " + std::to_string(data.size()) + " values, expected " + std::to_string(ndiag()) + " x " +
                  std::to_string(length));
    for (std::size_t d = 0; d < offsets.size(); ++d)
      for (std::size_t e = 0; e < d; ++e)
        if (offsets[d] == offsets[e]) invalid("dia", rows, cols, "offset " + std::to_string(offsets[d]) + " repeats");
  }
};

}  // namespace mammoth::sparse
