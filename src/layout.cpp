#include "mammoth/layout.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "mammoth/error.hpp"

namespace mammoth {

HeapStorage::HeapStorage(std::size_t bytes, bool zero_fill) : data_(allocate_buffer<std::byte>(bytes)), size_(bytes) {
  if (zero_fill) std::memset(data_.get(), 0, bytes);
}

std::int64_t element_count(const Shape& shape, std::size_t itemsize, const std::string& context) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 62;
  // As numpy: the product of the non-zero extents must fit even when a zero extent makes
  // the array empty, so strides computed from the shape never overflow either.
  std::int64_t nonzero = 1;
  bool empty = false;
  for (std::int64_t extent : shape) {
    if (extent < 0) throw ShapeError(context + ": negative extent in shape " + shape_string(shape));
    if (extent == 0) {
      empty = true;
      continue;
    }
    if (nonzero > kLimit / extent) throw ShapeError(context + ": shape " + shape_string(shape) + " is too large");
    nonzero *= extent;
  }
  const std::int64_t n = empty ? 0 : nonzero;
  if (itemsize > 0 && nonzero > kLimit / static_cast<std::int64_t>(itemsize))
    throw ShapeError(context + ": shape " + shape_string(shape) + " is too large");
  return n;
}

Strides contiguous_strides(const Shape& shape, Order order) {
  Strides strides(shape.size());
  std::int64_t step = 1;
  const std::size_t n = shape.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t axis = order == Order::C ? n - 1 - k : k;
    strides[axis] = step;
    step *= shape[axis] > 0 ? shape[axis] : 1;
  }
  return strides;
}

bool is_contiguous(const Shape& shape, const Strides& strides, Order order) {
  std::int64_t expected = 1;
  const std::size_t n = shape.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t axis = order == Order::C ? n - 1 - k : k;
    if (shape[axis] == 0) return true;
    if (shape[axis] != 1 && strides[axis] != expected) return false;
    expected *= shape[axis];
  }
  return true;
}

namespace {

std::int64_t resolve_index(std::int64_t index, std::int64_t extent, std::size_t axis) {
  const std::int64_t i = index < 0 ? index + extent : index;
  if (i < 0 || i >= extent)
    throw ShapeError("index " + std::to_string(index) + " is out of bounds for axis " + std::to_string(axis) +
                     " with size " + std::to_string(extent));
  return i;
}

// numpy's PySlice_AdjustIndices: clamps start/stop and returns the length.
std::int64_t adjust_range(std::int64_t& start, std::int64_t& stop, std::int64_t step, std::int64_t extent) {
  auto clamp = [&](std::int64_t& v, std::int64_t dflt) {
    if (v == kNone) {
      v = dflt;
      return;
    }
    if (v < 0) {
      v += extent;
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= extent) {
      v = step < 0 ? extent - 1 : extent;
    }
  };
  clamp(start, step < 0 ? extent - 1 : 0);
  clamp(stop, step < 0 ? -1 : extent);
  if (step < 0) return stop < start ? (start - stop - 1) / (-step) + 1 : 0;
  return start < stop ? (stop - start - 1) / step + 1 : 0;
}

}  // namespace

Layout apply_slices(const Layout& layout, std::span<const Slice> slices) {
  if (slices.size() > layout.shape.size())
    throw ShapeError("too many indices: " + std::to_string(slices.size()) + " for an array of rank " +
                     std::to_string(layout.shape.size()));
  Layout out;
  out.offset = layout.offset;
  for (std::size_t axis = 0; axis < layout.shape.size(); ++axis) {
    const std::int64_t extent = layout.shape[axis];
    const std::int64_t stride = layout.strides[axis];
    if (axis >= slices.size()) {
      out.shape.push_back(extent);
      out.strides.push_back(stride);
      continue;
    }
    const Slice& s = slices[axis];
    if (s.is_index) {
      out.offset += resolve_index(s.start, extent, axis) * stride;
      continue;
    }
    if (s.step == 0) throw ShapeError("slice step cannot be zero (axis " + std::to_string(axis) + ")");
    std::int64_t start = s.start, stop = s.stop;
    const std::int64_t length = adjust_range(start, stop, s.step, extent);
    if (length > 0) out.offset += start * stride;
    out.shape.push_back(length);
    out.strides.push_back(stride * s.step);
  }
  return out;
}

Layout transposed(const Layout& layout) {
  Layout out = layout;
  std::reverse(out.shape.begin(), out.shape.end());
  std::reverse(out.strides.begin(), out.strides.end());
  return out;
}

Layout reshaped(const Layout& layout, Shape shape) {
  if (!is_contiguous(layout.shape, layout.strides, Order::C))
    throw ShapeError("reshape needs a C-contiguous array; copy() it first");
  const std::int64_t total = element_count(layout.shape);
  std::int64_t known = 1;
  int unknown = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && unknown < 0) {
      unknown = static_cast<int>(i);
    } else {
      if (shape[i] < 0) throw ShapeError("reshape: bad extent in " + shape_string(shape));
      known *= shape[i];
    }
  }
  if (unknown >= 0 && known > 0 && total % known == 0) shape[unknown] = total / known;
  if (unknown >= 0 && shape[unknown] == -1)
    throw ShapeError("cannot reshape array of shape " + shape_string(layout.shape) + " into " + shape_string(shape));
  if (element_count(shape) != total)
    throw ShapeError("cannot reshape array of size " + std::to_string(total) + " into shape " + shape_string(shape));
  return Layout{shape, contiguous_strides(shape, Order::C), layout.offset};
}

std::int64_t checked_offset(const Layout& layout, std::span<const std::int64_t> index) {
  if (index.size() != layout.shape.size())
    throw ShapeError("expected " + std::to_string(layout.shape.size()) + " indices, got " +
                     std::to_string(index.size()));
  std::int64_t offset = layout.offset;
  for (std::size_t axis = 0; axis < index.size(); ++axis)
    offset += resolve_index(index[axis], layout.shape[axis], axis) * layout.strides[axis];
  return offset;
}

std::string shape_string(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

namespace {

void copy_axis(const std::byte* src, const std::int64_t* src_strides, std::byte* dst, const std::int64_t* dst_strides,
               const std::int64_t* shape, std::size_t ndim, std::size_t itemsize) {
  const std::int64_t n = shape[0];
  const std::int64_t ss = src_strides[0] * static_cast<std::int64_t>(itemsize);
  const std::int64_t ds = dst_strides[0] * static_cast<std::int64_t>(itemsize);
  if (ndim == 1) {
    if (ss == static_cast<std::int64_t>(itemsize) && ds == ss) {
      std::memcpy(dst, src, static_cast<std::size_t>(n) * itemsize);
      return;
    }
    for (std::int64_t i = 0; i < n; ++i) std::memcpy(dst + i * ds, src + i * ss, itemsize);
    return;
  }
  for (std::int64_t i = 0; i < n; ++i)
    copy_axis(src + i * ss, src_strides + 1, dst + i * ds, dst_strides + 1, shape + 1, ndim - 1, itemsize);
}

}  // namespace

void copy_strided(const std::byte* src, const Strides& src_strides, std::byte* dst, const Strides& dst_strides,
                  const Shape& shape, std::size_t itemsize) {
  if (shape.empty()) {
    std::memcpy(dst, src, itemsize);
    return;
  }
  if (element_count(shape) == 0) return;
  copy_axis(src, src_strides.data(), dst, dst_strides.data(), shape.data(), shape.size(), itemsize);
}

}  // namespace mammoth
