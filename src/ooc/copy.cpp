#include "mammoth/ooc/copy.hpp"

#include "common.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"

namespace mammoth::ooc {
namespace {

// Whether every block of this shape is a whole number of chunks (or ends with the array).
bool whole_chunks(const Shape& block, const Shape& chunks, const Shape& shape) {
  if (chunks.size() != block.size()) return false;
  for (std::size_t i = 0; i < block.size(); ++i)
    if (block[i] % chunks[i] != 0 && block[i] != shape[i]) return false;
  return true;
}

}  // namespace

void copy(BlockStore& src, BlockStore& dst, const Options& options) {
  if (src.shape() != dst.shape())
    throw ShapeError(dst.name() + ": copy of " + src.name() + " " + shape_string(src.shape()) +
                     " into an array of shape " + shape_string(dst.shape()));
  if (!dst.writable()) throw Error(dst.name() + ": opened read-only; cannot copy into it");
  // The source converts while it reads (on the I/O thread); the block is written as read.
  const Input input{&src, dst.dtype()};
  Shape chunks = dst.chunk_shape();
  if (chunks.empty()) chunks = src.chunk_shape();
  const auto block_for = [&](std::size_t working) {
    const std::size_t avail = block_budget(options, 0, working, src.name() + ": copy");
    return block_shape(src.shape(),
                       max_block_elements(options, avail, bytes_per_element({&input, 1}), dst.dtype().itemsize()),
                       chunks);
  };
  // Blocks of whole chunks need no chunk cache where the chunks go past libhdf5's pipeline
  // whole (gzip): counting the cache would leave room only for slivers of chunks, which
  // libhdf5 then assembles in that cache, on one core. Taken when the budget fits them.
  Shape block;
  const std::size_t whole = src.whole_chunk_working_bytes() + dst.whole_chunk_working_bytes();
  if (!chunks.empty() && whole + 4096 <= options.budget) {
    block = block_for(whole);
    if (!whole_chunks(block, chunks, src.shape())) block.clear();
  }
  if (block.empty()) block = block_for(src.working_bytes() + dst.working_bytes());
  const BlockGrid grid(src.shape(), block);
  Progress progress(detail::label_or(options, "copy"), detail::total_bytes(src), options.progress);
  stream(grid, {&input, 1}, Output{&dst, dst.dtype(), {}, 0}, &progress, [](const Block&) {});
  dst.flush();
  progress.finish();
}

}  // namespace mammoth::ooc
