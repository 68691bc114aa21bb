// The columns some nonzeros touch, as a bitmap of the matrix's columns with a running
// count per 64-bit word: place(c) (a popcount) is c's position in a compact x that holds
// only the touched entries, in column order. A rank of the distributed spmv keeps such a
// compact x (its own slice and its ghosts) instead of x whole: 2 bits per column (the
// bitmap and the counts) instead of 64, and the product reads x through place() (stream.hpp).
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace mammoth::sparse {

// std::popcount without -mpopcnt (the portable build) is a call into libgcc's table
// lookup; this stays inline, a dozen instructions without a load.
inline int popcount64(std::uint64_t v) {
#if defined(__POPCNT__)
  return std::popcount(v);
#else
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<int>((v * 0x0101010101010101ULL) >> 56);
#endif
}

class ColumnMap {
 public:
  ColumnMap() = default;
  explicit ColumnMap(std::int64_t cols) : cols_(cols), words_(static_cast<std::size_t>((cols + 63) / 64)) {}

  std::int64_t cols() const { return cols_; }
  void mark(std::int64_t c) { words_[static_cast<std::size_t>(c >> 6)].bits |= std::uint64_t{1} << (c & 63); }
  bool touched(std::int64_t c) const { return (words_[static_cast<std::size_t>(c >> 6)].bits >> (c & 63)) & 1; }

  // Sets the running counts once every column is marked; place() and before() need them.
  void count() {
    std::int64_t total = 0;
    for (Word& w : words_) {
      w.before = total;
      total += popcount64(w.bits);
    }
    size_ = total;
  }
  // Touched columns (the compact x's length).
  std::int64_t size() const { return size_; }

  // The touched columns before column c < cols: c's place in the compact x when touched.
  std::int64_t place(std::int64_t c) const {
    const Word& w = words_[static_cast<std::size_t>(c >> 6)];
    return w.before + popcount64(w.bits & ((std::uint64_t{1} << (c & 63)) - 1));
  }
  // The same for any c in [0, cols]: where the touched columns of [c, …) start.
  std::int64_t before(std::int64_t c) const { return c >= cols_ ? size_ : place(c); }

  // f(c) for each touched column in [c0, c1), in order.
  template <class F>
  void for_each(std::int64_t c0, std::int64_t c1, F&& f) const {
    for (std::int64_t w = c0 >> 6; w << 6 < c1; ++w) {
      std::uint64_t bits = words_[static_cast<std::size_t>(w)].bits;
      while (bits) {
        const std::int64_t c = (w << 6) + std::countr_zero(bits);
        bits &= bits - 1;
        if (c >= c0 && c < c1) f(c);
      }
    }
  }

  std::size_t nbytes() const { return words_.size() * sizeof(Word); }

 private:
  // A word's bits beside the count before it: one cache line serves a place().
  struct Word {
    std::uint64_t bits = 0;
    std::int64_t before = 0;
  };
  std::int64_t cols_ = 0, size_ = 0;
  std::vector<Word> words_;
};

}  // namespace mammoth::sparse
