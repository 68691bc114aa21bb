#include "mammoth/ooc/budget.hpp"

#include <omp.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

#include "mammoth/error.hpp"

namespace mammoth::ooc {

int compute_threads(const Options& options) {
  return options.threads > 0 ? options.threads : std::max(1, omp_get_max_threads());
}

std::size_t block_budget(const Options& options, std::size_t fixed, std::size_t caches, const std::string& what) {
  const std::size_t taken = fixed + caches;
  // Below a few KiB per block the per-block overhead dominates; refuse rather than crawl.
  if (options.budget < taken + 4096)
    throw Error(what + ": memory budget " + format_bytes(static_cast<double>(options.budget)) +
                " is too small: " + format_bytes(static_cast<double>(fixed)) + " of vectors and working buffers and " +
                format_bytes(static_cast<double>(caches)) +
                " for the files' back ends (HDF5 chunk caches, filter buffers) must fit, plus room for blocks");
  return options.budget - taken;
}

std::int64_t max_block_elements(const Options& options, std::size_t avail, std::size_t bytes_per_element,
                                std::size_t itemsize) {
  const std::size_t by_budget = avail / std::max<std::size_t>(bytes_per_element, 1);
  const std::size_t by_cap = options.block_bytes / std::max<std::size_t>(itemsize, 1);
  return static_cast<std::int64_t>(std::max<std::size_t>(1, std::min(by_budget, by_cap)));
}

Shape block_shape(const Shape& shape, std::int64_t max_elements, const Shape& chunks) {
  const std::size_t ndim = shape.size();
  Shape block(ndim, 1);
  max_elements = std::max<std::int64_t>(max_elements, 1);
  std::int64_t inner = 1;  // elements in the whole trailing axes taken so far
  for (std::size_t k = ndim; k-- > 0;) {
    const std::int64_t extent = std::max<std::int64_t>(shape[k], 1);
    if (inner * extent <= max_elements) {
      block[k] = extent;
      inner *= extent;
      continue;
    }
    std::int64_t fit = std::max<std::int64_t>(max_elements / inner, 1);
    const std::int64_t chunk = chunks.size() == ndim ? chunks[k] : 0;
    if (chunk > 0 && fit >= chunk) fit -= fit % chunk;
    block[k] = fit;
    // Less than one chunk along this axis would read every chunk of the row several
    // times; take a whole chunk here and narrow the next axis instead.
    if (chunk > 0 && fit < chunk && k + 1 < ndim && chunks[k + 1] > 0) {
      block[k] = std::min(chunk, extent);
      const std::int64_t after = inner / block[k + 1];  // elements of the axes after k + 1
      std::int64_t next = std::max<std::int64_t>(max_elements / (block[k] * after), 1);
      if (next >= chunks[k + 1]) next -= next % chunks[k + 1];
      block[k + 1] = std::min(next, block[k + 1]);
    }
    break;
  }
  return block;
}

BlockGrid::BlockGrid(Shape shape, Shape block) : shape_(std::move(shape)), block_(std::move(block)) {
  if (block_.size() != shape_.size()) throw ShapeError("block grid: block and array shapes differ in rank");
  tiles_.resize(shape_.size());
  count_ = 1;
  for (std::size_t k = 0; k < shape_.size(); ++k) {
    if (block_[k] < 1) throw ShapeError("block grid: block shape " + shape_string(block_) + " has an empty axis");
    tiles_[k] = (shape_[k] + block_[k] - 1) / block_[k];
    count_ *= tiles_[k];
  }
}

BlockGrid BlockGrid::of_boxes(Shape shape, std::vector<Box> boxes) {
  BlockGrid grid;
  grid.block_ = Shape(shape.size(), 0);
  for (const Box& box : boxes) {
    check_box(box, shape, "block list");
    if (box.size() > element_count(grid.block_)) grid.block_ = box.count;
  }
  grid.shape_ = std::move(shape);
  grid.count_ = static_cast<std::int64_t>(boxes.size());
  grid.boxes_ = std::move(boxes);
  return grid;
}

Box BlockGrid::operator[](std::int64_t index) const {
  if (!boxes_.empty()) return boxes_[static_cast<std::size_t>(index)];
  Box box{Shape(shape_.size()), Shape(shape_.size())};
  for (std::size_t k = shape_.size(); k-- > 0;) {
    const std::int64_t t = index % tiles_[k];
    index /= tiles_[k];
    box.offset[k] = t * block_[k];
    box.count[k] = std::min(block_[k], shape_[k] - box.offset[k]);
  }
  return box;
}

bool is_contiguous_box(const Box& box, const Shape& shape) {
  std::size_t k = 0;
  while (k < shape.size() && box.count[k] == 1) ++k;  // leading single-index axes
  for (++k; k < shape.size(); ++k)
    if (box.count[k] != shape[k]) return false;
  return true;
}

}  // namespace mammoth::ooc
