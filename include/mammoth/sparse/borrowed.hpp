// A sparse matrix as scipy holds it: scipy's member arrays (indptr, indices, data; row,
// col; offsets) as AnyArrays that either borrow someone else's buffers (scipy's own
// arrays, seen through the Python module) or own buffers the library filled (a file
// read, a random matrix) and hands out without copying them again.
//
// Reading gives the dtypes scipy's constructors would give (values as stored, indices
// int32 while they fit); writing goes straight from the arrays into the file (.npz
// members, HDF5 datasets, Matrix Market text), through the output commit.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/sparse/common.hpp"

namespace mammoth::sparse {

struct SparseArrays {
  Format format = Format::Csr;  // csr, csc, coo, bsr or dia
  std::int64_t rows = 0, cols = 0;
  // scipy's names (member_names(format) in source.hpp); bsr data is (blocks, R, C),
  // dia data (diagonals, length); every other member is 1-d.
  std::map<std::string, AnyArray> members;

  // FormatError when the member is missing.
  const AnyArray& member(const std::string& name) const;
};

// The index dtype scipy's constructors pick: int32 while the shape, and for csr, csc and
// bsr the stored entries (blocks) that indptr counts, fit in it; else int64.
DType scipy_index_dtype(Format format, std::int64_t rows, std::int64_t cols, std::int64_t entries);

// Throws ShapeError naming the first inconsistency (a length, indptr, an index out of
// range, a bsr block shape, a repeated dia offset), as Csr::validate() does for owned
// matrices. Index members must be int32 or int64 (TypeError otherwise).
void validate(const SparseArrays& m);

// The matrix `spec` names: a .npz of any of scipy's five file formats, a Matrix Market
// file (coo, as scipy.io.mmread; an 'array' file keeps its nonzeros), or FILE.h5:/group
// (csr or csc, anndata or h5sparse layout). Values keep their stored dtype (native byte
// order; .mtx: int64, float64 or complex128 as mmread), indices scipy_index_dtype.
// Bad structure is a FormatError naming the file.
SparseArrays read_sparse_arrays(const std::string& spec);

struct WriteArraysOptions {
  bool compressed = true;  // .npz: deflated members (scipy's save_npz default)
  Shape chunks;            // HDF5 group: chunk length of its datasets (empty: contiguous)
  int gzip_level = -1;     // HDF5 group: -1 = no compression
  bool shuffle = false;    // HDF5 group
};

// Writes `m` to `spec` through the output commit (it appears whole or not at all): .npz
// as scipy's save_npz (any of the five formats), FILE.h5:/group in anndata's layout (csr
// or csc), .mtx as coordinate/general text (csr, csc or coo; bool and unsigned values as
// integer). The members are written from their own buffers; only a member that is not
// C-contiguous is copied first. Validated first (ShapeError).
void write_sparse_arrays(const std::string& spec, const SparseArrays& m, const WriteArraysOptions& options = {});

// random_csr (random.hpp) as the `mammoth random` command draws it for this shape,
// density and seed, in `format` (csr, csc, coo, bsr with (block_rows, block_cols), dia),
// with values of `dtype` (bool: all true; other types the held type's draws, cast).
SparseArrays random_sparse_arrays(std::int64_t rows, std::int64_t cols, double density, Format format, DType dtype,
                                  std::uint64_t seed, std::int64_t block_rows = 1, std::int64_t block_cols = 1);

// An AnyArray that takes over `v`'s buffer (no copy): how owned vectors leave the library.
template <class V>
class VectorStorage final : public Storage {
 public:
  explicit VectorStorage(V v) : v_(std::move(v)) {}
  std::byte* data() override { return reinterpret_cast<std::byte*>(v_.data()); }
  std::size_t size() const override { return v_.size() * sizeof(typename V::value_type); }

 private:
  V v_;
};

template <class T, class A>
AnyArray adopt(std::vector<T, A>&& v, const Shape& shape) {
  auto storage = std::make_shared<VectorStorage<std::vector<T, A>>>(std::move(v));
  std::byte* data = storage->data();
  return AnyArray(std::move(storage), data, dtype_of<T>(), shape, contiguous_strides(shape, Order::C));
}
template <class T, class A>
AnyArray adopt(std::vector<T, A>&& v) {
  const Shape shape{static_cast<std::int64_t>(v.size())};
  return adopt(std::move(v), shape);
}

}  // namespace mammoth::sparse
