// Rows of a rank's product multiplied before their ghost values arrive (the columns of x
// other ranks send, docs/distributed.md), as PETSc's MPIAIJ overlaps its exchange with the
// product over the rank's own columns. The one-process kernel (csr_rows_spmv) sums a row
// in four lanes, entry k into lane (k - first) % 4 in order of k; a row is multiplied here
// up to its first ghost entry and the rest of its entries kept (GhostStash): once the
// ghosts are in x they are added on in the same order, so each row is the one-process sum
// bit for bit, whenever the ghosts came.
#pragma once

#include <cstdint>
#include <vector>

#include "mammoth/allocation.hpp"
#include "mammoth/sparse/spmv.hpp"

namespace mammoth::sparse::detail {

// Places [begin, begin + length) of the compact x hold the rank's own columns.
struct OwnPlaces {
  std::uint64_t begin = 0, length = 0;
  bool operator()(std::int64_t place) const { return static_cast<std::uint64_t>(place) - begin < length; }
};

// csr_rows_spmv's four partial sums.
template <class T>
struct Lanes {
  T s[4]{};
  T total() const { return (s[0] + s[1]) + (s[2] + s[3]); }
};

// Rows multiplied before the ghost values came: each kept row's lanes up to its first
// ghost entry and its entries from there on (place, lane and value), to add on once the
// ghosts are in x. Its room is fixed when made (counted in the budget), half for entries
// and half for rows.
template <class T>
class GhostStash {
 public:
  explicit GhostStash(std::size_t bytes)
      : entry_room_(bytes / 2 / sizeof(Entry)), entries_(allocate_buffer<Entry>(entry_room_)) {
    rows_.reserve(bytes / 2 / sizeof(Row));
  }

  // Multiplies the row (or piece of a row, `add`: added to y[row]) with entries [k, end)
  // up to its first ghost; false, and nothing done, when the rest might not fit. A whole
  // row without ghosts is final and goes to y at once; a piece is kept even so, as the
  // pieces of a row reach y in order. Ghost slots of x are not read: MPI may be writing them.
  template <class I, class J, class A>
  bool keep(std::int64_t row, bool add, I k, I end, J j, A a, const T* x, OwnPlaces own, T* y) {
    if (entries_used_ + static_cast<std::size_t>(end - k) > entry_room_ || rows_.size() == rows_.capacity())
      return false;
    Lanes<T> s;
    const I first = k;
    for (; k < end; ++k) {
      const std::int64_t c = j[k];
      if (!own(c)) break;
      s.s[lane(k, first, end)] += a[k] * x[c];
    }
    if (k == end && !add) {
      y[row] = s.total();
      return true;
    }
    for (; k < end; ++k) entries_[entries_used_++] = Entry{j[k] * 4 + lane(k, first, end), a[k]};
    rows_.push_back({row, s, entries_used_, add});
    return true;
  }

  // With the ghost values in x: each kept row's remaining entries, into its lanes.
  void flush(const T* x, T* y) {
    std::size_t e = 0;
    for (Row& r : rows_) {
      for (; e < r.end; ++e) r.lanes.s[entries_[e].place & 3] += entries_[e].value * x[entries_[e].place >> 2];
      y[r.row] = r.add ? y[r.row] + r.lanes.total() : r.lanes.total();
    }
    rows_.clear();
    entries_used_ = 0;
  }

 private:
  // Entry k's lane in csr_rows_spmv: by position in whole fours, the tail in lane 0.
  template <class I>
  static int lane(I k, I first, I end) {
    return k - first < (end - first) / 4 * 4 ? static_cast<int>((k - first) & 3) : 0;
  }

  struct Entry {
    std::int64_t place;  // place · 4 + lane
    T value;
  };
  struct Row {
    std::int64_t row;
    Lanes<T> lanes;
    std::size_t end;  // one past its last entry
    bool add;
  };
  std::size_t entry_room_, entries_used_ = 0;
  HeapBuffer<Entry> entries_;
  std::vector<Row> rows_;
};

}  // namespace mammoth::sparse::detail
