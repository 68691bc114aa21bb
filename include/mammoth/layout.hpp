// Shapes, strides and slicing: the index arithmetic shared by NdArray<T> and AnyArray.
// Strides count elements, not bytes, so a typed view never lands between items.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "mammoth/allocation.hpp"

namespace mammoth {

using Shape = std::vector<std::int64_t>;
using Strides = std::vector<std::int64_t>;

enum class Order : std::uint8_t { C, Fortran };

// Owner of the bytes behind arrays: a heap buffer or a file mapping. Views hold it
// through shared_ptr, so whatever made it may go away while views live on.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual std::byte* data() = 0;
  virtual std::size_t size() const = 0;
  // True when the bytes belong to a file mapping (footprint and profiling care).
  virtual bool is_mapped() const { return false; }
};

// A heap buffer under the one allocation policy (allocation.hpp): not zero-filled unless
// asked, so its pages become resident only as they are written.
class HeapStorage final : public Storage {
 public:
  explicit HeapStorage(std::size_t bytes, bool zero_fill = false);
  std::byte* data() override { return data_.get(); }
  std::size_t size() const override { return size_; }

 private:
  HeapBuffer<std::byte> data_;
  std::size_t size_;
};

constexpr std::int64_t kNone = std::numeric_limits<std::int64_t>::min();

// One axis of a selection, numpy-style: an index (drops the axis) or start:stop:step
// with negative values counting from the end and kNone for "to the edge".
struct Slice {
  std::int64_t start = kNone;
  std::int64_t stop = kNone;
  std::int64_t step = 1;
  bool is_index = false;

  Slice() = default;                                           // ':' — the whole axis
  Slice(std::int64_t index) : start(index), is_index(true) {}  // NOLINT: implicit like numpy's a[3]
  static Slice range(std::int64_t start, std::int64_t stop, std::int64_t step = 1) {
    Slice s;
    s.start = start;
    s.stop = stop;
    s.step = step;
    return s;
  }
};

struct Layout {
  Shape shape;
  Strides strides;
  std::int64_t offset = 0;  // elements from the storage origin of the view
};

// Number of elements; throws ShapeError for negative extents or overflow of
// `itemsize` bytes × elements past 2^62 (context names the object).
std::int64_t element_count(const Shape& shape, std::size_t itemsize = 1, const std::string& context = "array");
Strides contiguous_strides(const Shape& shape, Order order);
bool is_contiguous(const Shape& shape, const Strides& strides, Order order);
// Applies slices (fewer than ndim: the rest are ':'); throws ShapeError when out of range.
Layout apply_slices(const Layout& layout, std::span<const Slice> slices);
// Reverses axes.
Layout transposed(const Layout& layout);
// Reshape of a C-contiguous layout; one extent may be -1.
Layout reshaped(const Layout& layout, Shape shape);
// Offset of a (possibly negative) multi-index, checked against the shape.
std::int64_t checked_offset(const Layout& layout, std::span<const std::int64_t> index);
std::string shape_string(const Shape& shape);  // "(100, 1000000)", "()" for 0-d

// Copies the elements of one strided layout into another of the same shape.
void copy_strided(const std::byte* src, const Strides& src_strides, std::byte* dst, const Strides& dst_strides,
                  const Shape& shape, std::size_t itemsize);

}  // namespace mammoth
