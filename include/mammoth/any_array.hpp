// AnyArray: an NdArray whose element type is known only at run time — what a file of
// unknown dtype opens as. `as<T>()` gives the typed view after checking the dtype.
#pragma once

#include <initializer_list>
#include <memory>
#include <span>

#include "mammoth/dtype.hpp"
#include "mammoth/layout.hpp"
#include "mammoth/ndarray.hpp"

namespace mammoth {

class AnyArray {
 public:
  AnyArray() : AnyArray(empty(DType(ScalarType::Float64), {0})) {}
  AnyArray(std::shared_ptr<Storage> storage, std::byte* data, DType dtype, Shape shape, Strides strides,
           bool writable = true);
  template <Scalar T>
  AnyArray(const NdArray<T>& a)  // NOLINT: an NdArray is an AnyArray, as in numpy
      : AnyArray(a.storage(), a.bytes(), a.dtype(), a.shape(), a.strides(), a.writable()) {}

  // numpy's words: `empty` leaves the memory untouched, `zeros` writes zeros.
  static AnyArray empty(DType dtype, const Shape& shape, Order order = Order::C);
  static AnyArray zeros(DType dtype, const Shape& shape, Order order = Order::C);

  DType dtype() const { return dtype_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  std::int64_t size() const { return element_count(shape_); }
  std::size_t nbytes() const { return static_cast<std::size_t>(size()) * dtype_.itemsize(); }
  std::byte* data() const { return data_; }
  bool writable() const { return writable_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool is_c_contiguous() const { return is_contiguous(shape_, strides_, Order::C); }
  bool is_f_contiguous() const { return is_contiguous(shape_, strides_, Order::Fortran); }

  // The typed view; TypeError unless dtype() is T in native byte order.
  template <Scalar T>
  NdArray<T> as() const {
    if (!(dtype_ == dtype_of<T>()))
      throw TypeError("array has dtype " + dtype_.descr() + " (" + dtype_.name() + "), not " + dtype_of<T>().descr() +
                      (dtype_.type() == ScalarType(dtype_of<T>().type()) ? "; call to_native() first" : ""));
    return NdArray<T>(storage_, reinterpret_cast<T*>(data_), shape_, strides_, writable_);
  }

  AnyArray operator[](std::int64_t i) const { return slice({Slice(i)}); }
  AnyArray slice(std::initializer_list<Slice> slices) const {
    return slice(std::span<const Slice>(slices.begin(), slices.size()));
  }
  AnyArray slice(std::span<const Slice> slices) const;
  AnyArray transpose() const;
  AnyArray copy(Order order = Order::C) const;
  // A copy converted to `dtype` (numpy's astype).
  AnyArray astype(DType dtype, Order order = Order::C) const;
  // Itself when already native; else a native-order copy (float16 widens to float32).
  AnyArray to_native() const;

 private:
  AnyArray view(const Layout& l) const;

  std::shared_ptr<Storage> storage_;
  std::byte* data_ = nullptr;
  DType dtype_;
  Shape shape_;
  Strides strides_;
  bool writable_ = true;
};

}  // namespace mammoth
