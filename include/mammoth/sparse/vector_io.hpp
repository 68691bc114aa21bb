// Dense vectors and matrices as .npy files for the sparse commands (spmv input and
// output, dense conversions), through the npy module's load_npy/save_npy.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "mammoth/npy.hpp"

namespace mammoth::sparse {

// The elements of a .npy (any shape, C order) converted to T.
template <Scalar T>
NdArray<T> read_npy_array(const std::string& path) {
  AnyArray a = load_npy(path);
  if (!(a.dtype() == dtype_of<T>())) a = a.astype(dtype_of<T>());
  NdArray<T> t = a.as<T>();
  return t.is_c_contiguous() ? t : t.copy();
}

// A 1-d .npy (or (n, 1) / (1, n)) as a vector of T.
template <Scalar T>
std::vector<T> read_npy_vector(const std::string& path) {
  const NdArray<T> a = read_npy_array<T>(path);
  if (a.ndim() > 2 || (a.ndim() == 2 && a.shape(0) != 1 && a.shape(1) != 1))
    throw ShapeError(path + ": expected a vector, found shape " + shape_string(a.shape()));
  return {a.data(), a.data() + a.size()};
}

template <Scalar T>
void write_npy_vector(const std::string& path, std::span<const T> v) {
  save_npy(path, NdArray<T>::from(v, {static_cast<std::int64_t>(v.size())}));
}

}  // namespace mammoth::sparse
