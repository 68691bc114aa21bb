// LIL: one sorted list of column indices and one of values per row (scipy's rows/data).
#pragma once

#include <vector>

#include "mammoth/sparse/common.hpp"

namespace mammoth::sparse {

template <Scalar T, Index I = std::int32_t>
struct Lil {
  using value_type = T;
  using index_type = I;
  std::int64_t rows = 0, cols = 0;
  std::vector<Vec<I>> indices;  // rows entries
  std::vector<Vec<T>> data;

  std::int64_t nnz() const {
    std::int64_t n = 0;
    for (const auto& r : data) n += static_cast<std::int64_t>(r.size());
    return n;
  }
  void validate() const {
    check_shape("lil", rows, cols);
    if (static_cast<std::int64_t>(indices.size()) != rows || static_cast<std::int64_t>(data.size()) != rows)
      invalid("lil", rows, cols, "expected one index list and one value list per row");
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto& r = indices[static_cast<std::size_t>(i)];
      if (r.size() != data[static_cast<std::size_t>(i)].size())
        invalid("lil", rows, cols, "row " + std::to_string(i) + " has different index and value counts");
      for (std::size_t k = 0; k < r.size(); ++k)
        if (r[k] < 0 || r[k] >= cols || (k > 0 && r[k] <= r[k - 1]))
          invalid("lil", rows, cols,
                  "row " + std::to_string(i) + ": column " + std::to_string(r[k]) +
                      " is out of range or not strictly increasing");
    }
  }
};

}  // namespace mammoth::sparse
