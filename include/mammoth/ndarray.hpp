// NdArray<T>: shared storage (a heap buffer or a file mapping) + shape + strides.
// Slicing shares storage, as in numpy; a view keeps its storage alive.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "mammoth/dtype.hpp"
#include "mammoth/error.hpp"
#include "mammoth/layout.hpp"

namespace mammoth {

template <Scalar T>
class NdArray {
 public:
  using value_type = T;

  // An empty 1-d array, shape (0,).
  NdArray() : NdArray(empty({0})) {}
  // A view of `storage`: `data` is the element at index (0, …, 0).
  NdArray(std::shared_ptr<Storage> storage, T* data, Shape shape, Strides strides, bool writable = true)
      : storage_(std::move(storage)),
        data_(data),
        shape_(std::move(shape)),
        strides_(std::move(strides)),
        writable_(writable) {}

  // numpy's words: `empty` leaves the memory untouched (uninitialised, no page resident
  // until written); `zeros` writes zeros.
  static NdArray empty(const Shape& shape, Order order = Order::C) { return allocate(shape, order, false); }
  static NdArray zeros(const Shape& shape, Order order = Order::C) { return allocate(shape, order, true); }
  static NdArray full(const Shape& shape, T value, Order order = Order::C) {
    NdArray a = empty(shape, order);
    a.fill(value);
    return a;
  }
  // Copies `values` (C order) into a new array of `shape`.
  static NdArray from(std::span<const T> values, const Shape& shape) {
    NdArray a = empty(shape);
    if (static_cast<std::int64_t>(values.size()) != a.size())
      throw ShapeError(std::to_string(values.size()) + " values do not fill shape " + shape_string(shape));
    std::copy(values.begin(), values.end(), a.data());
    return a;
  }
  static NdArray from(std::initializer_list<T> values, const Shape& shape) {
    return from(std::span<const T>(values.begin(), values.size()), shape);
  }
  static NdArray scalar(T value) { return full({}, value); }

  int ndim() const { return static_cast<int>(shape_.size()); }
  const Shape& shape() const { return shape_; }
  std::int64_t shape(int axis) const { return shape_.at(static_cast<std::size_t>(axis < 0 ? axis + ndim() : axis)); }
  const Strides& strides() const { return strides_; }
  std::int64_t size() const { return element_count(shape_); }
  std::size_t nbytes() const { return static_cast<std::size_t>(size()) * sizeof(T); }
  DType dtype() const { return dtype_of<T>(); }
  T* data() const { return data_; }
  bool writable() const { return writable_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool is_c_contiguous() const { return is_contiguous(shape_, strides_, Order::C); }
  bool is_f_contiguous() const { return is_contiguous(shape_, strides_, Order::Fortran); }

  // Unchecked element access (the hot path); `at` is the checked one.
  template <class... I>
  T& operator()(I... index) const {
    static_assert((std::is_integral_v<I> && ...));
    std::int64_t offset = 0;
    std::size_t axis = 0;
    ((offset += static_cast<std::int64_t>(index) * strides_[axis++]), ...);
    return data_[offset];
  }
  template <class... I>
  T& at(I... index) const {
    const std::array<std::int64_t, sizeof...(I)> idx{static_cast<std::int64_t>(index)...};
    return data_[checked_offset(Layout{shape_, strides_, 0}, idx)];
  }
  T& at(std::span<const std::int64_t> index) const { return data_[checked_offset(Layout{shape_, strides_, 0}, index)]; }

  // a[i]: the sub-array at index i of the first axis (negative counts from the end).
  NdArray operator[](std::int64_t i) const { return slice({Slice(i)}); }
  NdArray row(std::int64_t i) const { return (*this)[i]; }
  NdArray slice(std::initializer_list<Slice> slices) const {
    return slice(std::span<const Slice>(slices.begin(), slices.size()));
  }
  NdArray slice(std::span<const Slice> slices) const { return view(apply_slices(layout(), slices)); }
  NdArray transpose() const { return view(transposed(layout())); }
  NdArray reshape(Shape shape) const { return view(reshaped(layout(), std::move(shape))); }

  NdArray copy(Order order = Order::C) const {
    NdArray out = empty(shape_, order);
    copy_strided(bytes(), strides_, out.bytes(), out.strides_, shape_, sizeof(T));
    return out;
  }
  void fill(T value) const {
    require_writable("fill");
    for (T& v : *this) v = value;
  }
  // Copies `other`'s elements into this array (same shape; storage may overlap only if identical).
  void assign(const NdArray& other) const {
    require_writable("assign");
    if (other.shape_ != shape_)
      throw ShapeError("cannot assign an array of shape " + shape_string(other.shape_) + " to one of shape " +
                       shape_string(shape_));
    copy_strided(other.bytes(), other.strides_, bytes(), strides_, shape_, sizeof(T));
  }
  // The elements as one span; only for C-contiguous arrays.
  std::span<T> span() const {
    if (!is_c_contiguous()) throw ShapeError("span() needs a C-contiguous array; copy() it first");
    return {data_, static_cast<std::size_t>(size())};
  }

  // Element-wise iteration in C order, whatever the strides.
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = T*;
    using reference = T&;
    iterator() = default;
    iterator(const NdArray* a, std::int64_t remaining)
        : a_(a), index_(a ? a->shape_.size() : 0, 0), ptr_(a ? a->data_ : nullptr), remaining_(remaining) {}
    T& operator*() const { return *ptr_; }
    T* operator->() const { return ptr_; }
    iterator& operator++() {
      --remaining_;
      for (std::size_t k = index_.size(); k-- > 0;) {
        ptr_ += a_->strides_[k];
        if (++index_[k] < a_->shape_[k]) return *this;
        ptr_ -= a_->strides_[k] * a_->shape_[k];
        index_[k] = 0;
      }
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const iterator& x, const iterator& y) { return x.remaining_ == y.remaining_; }

   private:
    const NdArray* a_ = nullptr;
    std::vector<std::int64_t> index_;
    T* ptr_ = nullptr;
    std::int64_t remaining_ = 0;
  };
  iterator begin() const { return iterator(this, size()); }
  iterator end() const { return iterator(nullptr, 0); }

  Layout layout() const { return Layout{shape_, strides_, 0}; }
  NdArray view(const Layout& l) const { return NdArray(storage_, data_ + l.offset, l.shape, l.strides, writable_); }
  std::byte* bytes() const { return reinterpret_cast<std::byte*>(data_); }

 private:
  static NdArray allocate(const Shape& shape, Order order, bool zero_fill) {
    const std::int64_t n = element_count(shape, sizeof(T));
    auto storage = std::make_shared<HeapStorage>(static_cast<std::size_t>(n) * sizeof(T), zero_fill);
    T* data = reinterpret_cast<T*>(storage->data());
    return NdArray(std::move(storage), data, shape, contiguous_strides(shape, order));
  }
  void require_writable(const char* what) const {
    if (!writable_) throw Error(std::string(what) + ": the array is read-only (opened with mode 'r')");
  }

  std::shared_ptr<Storage> storage_;
  T* data_ = nullptr;
  Shape shape_;
  Strides strides_;
  bool writable_ = true;
};

// Same shape and equal elements (numpy's array_equal).
template <Scalar T>
bool array_equal(const NdArray<T>& a, const NdArray<T>& b) {
  if (a.shape() != b.shape()) return false;
  return std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace mammoth
