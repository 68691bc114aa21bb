// Walking an array block by block in C order, and the generic store-to-store copy.
#include <algorithm>
#include <vector>

#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"

namespace mammoth {

std::int64_t linear_index(const Shape& shape, const Shape& index) {
  std::int64_t linear = 0;
  for (std::size_t i = 0; i < shape.size(); ++i) linear = linear * shape[i] + index[i];
  return linear;
}

void for_each_block(const Shape& shape, std::size_t itemsize, std::size_t max_bytes,
                    const std::function<void(const Box&)>& fn) {
  if (shape.empty()) {
    fn(Box{});
    return;
  }
  if (element_count(shape, itemsize) == 0) return;
  const std::size_t ndim = shape.size();
  const auto budget =
      static_cast<std::int64_t>(std::max<std::size_t>(max_bytes / std::max<std::size_t>(itemsize, 1), 1));
  // The split axis k: everything after it fits in the budget as whole slabs.
  std::size_t k = ndim - 1;
  std::int64_t tail = 1;  // elements in one index of axis k
  while (k > 0 && shape[k] <= budget / tail) {
    tail *= shape[k];
    --k;
  }
  const std::int64_t step = std::max<std::int64_t>(budget / tail, 1);
  Box box{Shape(ndim, 0), Shape(ndim, 1)};
  for (std::size_t i = k + 1; i < ndim; ++i) box.count[i] = shape[i];
  while (true) {
    for (std::int64_t start = 0; start < shape[k]; start += step) {
      box.offset[k] = start;
      box.count[k] = std::min(step, shape[k] - start);
      fn(box);
    }
    // Odometer over the axes before k.
    std::size_t axis = k;
    while (axis > 0) {
      --axis;
      if (++box.offset[axis] < shape[axis]) break;
      box.offset[axis] = 0;
      if (axis == 0) return;
    }
    if (k == 0) return;
    box.offset[k] = 0;
  }
}

void copy_store(BlockStore& src, BlockStore& dst, std::size_t max_bytes) {
  if (src.shape() != dst.shape())
    throw ShapeError("cannot copy " + src.name() + " of shape " + shape_string(src.shape()) + " into " + dst.name() +
                     " of shape " + shape_string(dst.shape()));
  const DType type = dst.dtype();
  const std::size_t item = type.itemsize();
  std::vector<std::byte> buffer(std::max(max_bytes / item, std::size_t{1}) * item);
  for_each_block(src.shape(), item, max_bytes, [&](const Box& box) {
    src.read(box, buffer.data(), type);
    dst.write(box, buffer.data(), type);
    src.release(box);
    dst.release(box);
  });
}

}  // namespace mammoth
