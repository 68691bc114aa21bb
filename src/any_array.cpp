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

AnyArray AnyArray::empty(DType dtype, const Shape& shape, Order order) {
  const std::int64_t n = element_count(shape, dtype.itemsize());
  auto storage = std::make_shared<HeapStorage>(static_cast<std::size_t>(n) * dtype.itemsize());
  std::byte* data = storage->data();
  return AnyArray(std::move(storage), data, dtype, shape, contiguous_strides(shape, order));
}

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
  if (dtype_.type() == ScalarType::Float16) return astype(DType(ScalarType::Float32));
  if (dtype_.is_native()) return *this;
  return astype(dtype_.native());
}

}  // namespace mammoth
