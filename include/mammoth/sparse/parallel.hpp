// Splitting work by nonzeros: row ranges that each hold about the same number of
// entries, so one dense row does not leave the other threads idle.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace mammoth::sparse {

// parts+1 row boundaries over indptr[0..n]: part p covers rows [b[p], b[p+1]).
template <class I>
std::vector<std::int64_t> split_by_nnz(const I* indptr, std::int64_t n, int parts) {
  std::vector<std::int64_t> bounds(static_cast<std::size_t>(parts) + 1, n);
  bounds[0] = 0;
  const std::int64_t nnz = indptr[n];
  for (int p = 1; p < parts; ++p) {
    const std::int64_t target = nnz * p / parts;
    // Balance entries plus a row's fixed cost, so empty rows are not free.
    const std::int64_t row = std::lower_bound(indptr, indptr + n + 1, target) - indptr;
    bounds[static_cast<std::size_t>(p)] = std::clamp<std::int64_t>(row, bounds[static_cast<std::size_t>(p) - 1], n);
  }
  return bounds;
}

// Threads worth starting for `work` elementary operations (small inputs stay serial).
inline int threads_for(std::int64_t work) {
  if (work < (1 << 16)) return 1;
  return std::max(1, omp_get_max_threads());
}

}  // namespace mammoth::sparse
