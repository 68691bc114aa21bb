#include <cstring>
#include <vector>

#include "mammoth/error.hpp"
#include "mammoth/store.hpp"

namespace mammoth {
namespace {

std::vector<Slice> box_slices(const Box& box) {
  std::vector<Slice> slices;
  for (std::size_t i = 0; i < box.offset.size(); ++i)
    slices.push_back(Slice::range(box.offset[i], box.offset[i] + box.count[i]));
  return slices;
}

// Moves a strided view to or from a packed buffer one innermost run at a time, so a
// contiguous run converts straight between the two with no temporary.
template <bool ToPacked>
void transfer(std::byte* strided, const std::int64_t* strides, const std::int64_t* shape, std::size_t ndim,
              DType strided_type, std::byte*& packed, DType packed_type, std::vector<std::byte>& scratch) {
  const auto sitem = static_cast<std::int64_t>(strided_type.itemsize());
  if (ndim > 1) {
    for (std::int64_t i = 0; i < shape[0]; ++i)
      transfer<ToPacked>(strided + i * strides[0] * sitem, strides + 1, shape + 1, ndim - 1, strided_type, packed,
                         packed_type, scratch);
    return;
  }
  const std::int64_t n = ndim == 0 ? 1 : shape[0];
  const std::int64_t stride = ndim == 0 ? 1 : strides[0];
  std::byte* run = strided;
  if (stride != 1) {  // gather/scatter through a packed scratch run
    scratch.resize(static_cast<std::size_t>(n * sitem));
    run = scratch.data();
    if (ToPacked)
      for (std::int64_t i = 0; i < n; ++i) std::memcpy(run + i * sitem, strided + i * stride * sitem, sitem);
  }
  if (ToPacked)
    convert(run, strided_type, packed, packed_type, static_cast<std::size_t>(n));
  else
    convert(packed, packed_type, run, strided_type, static_cast<std::size_t>(n));
  if (!ToPacked && stride != 1)
    for (std::int64_t i = 0; i < n; ++i) std::memcpy(strided + i * stride * sitem, run + i * sitem, sitem);
  packed += n * static_cast<std::int64_t>(packed_type.itemsize());
}

}  // namespace

ArrayStore::ArrayStore(AnyArray array, std::string name) : array_(std::move(array)), name_(std::move(name)) {}

void ArrayStore::read(const Box& box, void* dst, DType dst_type) {
  check_box(box, array_.shape(), name_);
  if (box.size() == 0) return;
  const AnyArray view = array_.slice(box_slices(box));
  auto* packed = static_cast<std::byte*>(dst);
  std::vector<std::byte> scratch;
  transfer<true>(view.data(), view.strides().data(), view.shape().data(), view.shape().size(), view.dtype(), packed,
                 dst_type, scratch);
}

void ArrayStore::write(const Box& box, const void* src, DType src_type) {
  check_box(box, array_.shape(), name_);
  if (!array_.writable()) throw Error(name_ + ": opened read-only; cannot write");
  if (box.size() == 0) return;
  const AnyArray view = array_.slice(box_slices(box));
  auto* packed = static_cast<std::byte*>(const_cast<void*>(src));
  std::vector<std::byte> scratch;
  transfer<false>(view.data(), view.strides().data(), view.shape().data(), view.shape().size(), view.dtype(), packed,
                  src_type, scratch);
}

}  // namespace mammoth
