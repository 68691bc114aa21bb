#include "mammoth/ooc/copy.hpp"

#include "common.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"

namespace mammoth::ooc {

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
  const BlockGrid grid(
      src.shape(), detail::block_of_whole_chunks_or(src.shape(), chunks, options, 0,
                                                    src.whole_chunk_working_bytes() + dst.whole_chunk_working_bytes(),
                                                    src.working_bytes() + dst.working_bytes(), block_for));
  Progress progress(detail::label_or(options, "copy"), detail::total_bytes(src), options.progress);
  stream(grid, {&input, 1}, Output{&dst, dst.dtype(), {}, 0}, &progress, [](const Block&) {});
  dst.flush();
  progress.finish();
}

}  // namespace mammoth::ooc
