#include "mammoth/any_array.hpp"

#include <vector>

namespace mammoth {

AnyArray::AnyArray(std::shared_ptr<Storage> storage, std::byte* data, DType dtype, Shape shape, Strides strides,
                   bool writable)
    : storage_(std::move(storage)),
      data_(data),
      dtype_(dtype),
      shape_(std::move(shape)),
      strides_(std::move(strides)),
      writable_(writable) {}

namespace {

AnyArray allocate(DType dtype, const Shape& shape, Order order, bool zero_fill) {
  const std::int64_t n = element_count(shape, dtype.itemsize());
  auto storage = std::make_shared<HeapStorage>(static_cast<std::size_t>(n) * dtype.itemsize(), zero_fill);
  std::byte* data = storage->data();
  return AnyArray(std::move(storage), data, dtype, shape, contiguous_strides(shape, order));
}

}  // namespace

AnyArray AnyArray::empty(DType dtype, const Shape& shape, Order order) { return allocate(dtype, shape, order, false); }
AnyArray AnyArray::zeros(DType dtype, const Shape& shape, Order order) { return allocate(dtype, shape, order, true); }

AnyArray AnyArray::view(const Layout& l) const {
  return AnyArray(storage_, data_ + l.offset * static_cast<std::int64_t>(dtype_.itemsize()), dtype_, l.shape, l.strides,
                  writable_);
}

AnyArray AnyArray::slice(std::span<const Slice> slices) const {
  return view(apply_slices(Layout{shape_, strides_, 0}, slices));
}

AnyArray AnyArray::transpose() const { return view(transposed(Layout{shape_, strides_, 0})); }

AnyArray AnyArray::copy(Order order) const {
  AnyArray out = empty(dtype_, shape_, order);
  copy_strided(data_, strides_, out.data_, out.strides_, shape_, dtype_.itemsize());
  return out;
}

AnyArray AnyArray::astype(DType dtype, Order order) const {
  // Gather into a contiguous copy first, then convert in one pass.
  const AnyArray packed = is_contiguous(shape_, strides_, order) ? *this : copy(order);
  AnyArray out = empty(dtype, shape_, order);
  convert(packed.data_, dtype_, out.data_, dtype, static_cast<std::size_t>(size()));
  return out;
}

AnyArray AnyArray::to_native() const {
  const DType native = compute_dtype(dtype_);
  return native == dtype_ ? *this : astype(native);
}

}  // namespace mammoth
