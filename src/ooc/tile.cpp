#include "tile.hpp"

#include <algorithm>

namespace mammoth::ooc {

StageBuffers::StageBuffers(int threads, std::size_t bytes)
    : bytes_(std::max(bytes, kMinBytes)), buffers_(static_cast<std::size_t>(std::max(threads, 1))) {}

std::byte* StageBuffers::get(int t) {
  HeapBuffer<std::byte>& b = buffers_.at(static_cast<std::size_t>(t));
  if (!b) b = allocate_gathered<std::byte>(bytes_);
  return b.get();
}

}  // namespace mammoth::ooc
