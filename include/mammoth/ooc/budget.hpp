// Memory budgets and block shapes: how much of an array one block may hold, so that
// every buffer the engine keeps (two per source for double buffering, the output, the
// back end's own cache) fits in what the user allowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mammoth/layout.hpp"
#include "mammoth/store.hpp"
#include "mammoth/units.hpp"

namespace mammoth::ooc {

inline constexpr std::size_t kDefaultBudget = 64 * kMiB;

// What every out-of-core algorithm takes.
struct Options {
  std::size_t budget = kDefaultBudget;  // bytes of memory the algorithm may hold at once
  int threads = 0;                      // compute threads; 0 = all cores (OpenMP's default)
  bool progress = false;                // a progress bar on stderr (only drawn on a terminal)
  std::string label;                    // what the progress bar says
  // Largest block one buffer holds, whatever the budget: a block that stays in the CPU's
  // caches between the I/O thread's copy and the compute, and buffers reused from the heap
  // rather than faulted in afresh, beat bigger blocks (the per-block cost is ~50 µs).
  std::size_t block_bytes = 8 * kMiB;
  // Largest block of an input the engine reads in place from a file mapping (no copy,
  // so no cache to stay in): large enough that the per-block cost and the vector's
  // re-reads fade (a 100×1,000,000 float32 matvec: 0.121 s at 8 MiB, 0.078 s at 16 MiB).
  std::size_t mapped_block_bytes = 16 * kMiB;
};

// Threads to run the compute on: options.threads, or all cores when 0.
int compute_threads(const Options& options);

// The budget left for blocks once `fixed` bytes (vectors held for the whole run) and
// the stores' caches are taken out; throws Error naming `what` when nothing is left.
std::size_t block_budget(const Options& options, std::size_t fixed, std::size_t caches, const std::string& what);

// Elements per block: what `avail` bytes of budget allow at `bytes_per_element` (all
// buffers of one element), capped so no buffer of `itemsize` elements exceeds options.block_bytes.
std::int64_t max_block_elements(const Options& options, std::size_t avail, std::size_t bytes_per_element,
                                std::size_t itemsize);

// The largest C-order block of at most `max_elements` elements of an array of `shape`:
// whole trailing axes while they fit, then as many as fit of the next axis (a whole
// number of `chunks` when at least one chunk fits, so reads stay aligned to the
// source's chunking), 1 on the axes before. Never smaller than one element.
Shape block_shape(const Shape& shape, std::int64_t max_elements, const Shape& chunks = {});

// The blocks of `block` shape that tile an array of `shape`, in C order (edge blocks are smaller).
// Or an explicit list of boxes of unequal size (the row-aligned nonzero ranges of a
// sparse matrix's members), streamed in the order given; block() is then the extent of
// the largest, which one buffer must hold.
class BlockGrid {
 public:
  BlockGrid(Shape shape, Shape block);
  static BlockGrid of_boxes(Shape shape, std::vector<Box> boxes);
  std::int64_t size() const { return count_; }
  Box operator[](std::int64_t index) const;
  const Shape& block() const { return block_; }
  const Shape& shape() const { return shape_; }

 private:
  BlockGrid() = default;
  Shape shape_, block_, tiles_;
  std::int64_t count_ = 0;
  std::vector<Box> boxes_;  // explicit boxes; empty for a regular grid
};

// True when `box` is one contiguous run of a C-ordered array of `shape`.
bool is_contiguous_box(const Box& box, const Shape& shape);

}  // namespace mammoth::ooc
