// What the kernels read a tile from: memory (a buffer, or a view into a mapping), or a
// block of the page cache (scheduler.hpp, Staged) that each thread copies piece by piece
// into a buffer of its own, so the block's pages are never mapped in.
#pragma once

#include <cstddef>
#include <vector>

#include "mammoth/allocation.hpp"
#include "mammoth/ooc/scheduler.hpp"

namespace mammoth::ooc {

// One buffer per compute thread for staged tiles, allocated at first use in whole huge
// pages (a fresh 4 MiB of small pages takes 1024 page faults, a millisecond or more on a
// virtual machine) and reused block after block.
class StageBuffers {
 public:
  // The smallest size the kernels accept: four rows of their longest piece of columns.
  static constexpr std::size_t kMinBytes = std::size_t{1} << 20;
  StageBuffers(int threads, std::size_t bytes);
  std::size_t bytes() const { return bytes_; }
  // Thread t's buffer; each thread asks for its own only.
  std::byte* get(int t);

 private:
  std::size_t bytes_;
  std::vector<HeapBuffer<std::byte>> buffers_;
};

// A C-contiguous tile of T: `data` in memory, and when `staged.map` is set the same bytes
// in the page cache, which the kernels copy into `buffers` instead of reading `data`.
template <class T>
struct Tile {
  using value_type = T;
  Tile(const T* d) : data(d) {}  // NOLINT: a plain pointer is a tile in memory
  Tile(const T* d, Staged s, StageBuffers* b) : data(d), staged(s), buffers(b) {
    if (!buffers) staged = Staged{};
  }
  const T* data;
  Staged staged;
  StageBuffers* buffers = nullptr;
};

}  // namespace mammoth::ooc
