// Sparse files whose value and index types are known only at run time (.npz, .mtx):
// the one place a file's dtypes become template arguments.
//
// Values are held as one of seven C++ types: uint8 (also bool: a bool std::vector has
// no data()), int32, int64, float32, float64, complex64, complex128. Other integer
// and float types widen to the nearest of these; bool files stay '|b1' on output.
#pragma once

#include <new>
#include <optional>
#include <stdexcept>
#include <string>

#include "mammoth/path.hpp"
#include "mammoth/sparse/convert.hpp"
#include "mammoth/sparse/h5_group.hpp"
#include "mammoth/sparse/mtx.hpp"
#include "mammoth/sparse/npz.hpp"

namespace mammoth::sparse {

// Which of the three sparse file kinds a spec names (path.hpp's one grammar): .npz,
// .mtx, or FILE:/group (an anndata-style CSR/CSC group).
inline bool is_npz_path(const std::string& spec) { return spec_format(spec) == FileFormat::Npz; }
inline bool is_mtx_path(const std::string& spec) { return spec_format(spec) == FileFormat::Mtx; }
inline bool is_h5_group_path(const std::string& spec) { return parse_store_path(spec).is_hdf5(); }

// The held type for a file's value dtype.
ScalarType held_type(DType file);

template <class F>
decltype(auto) visit_held(ScalarType v, bool index64, F&& f) {
  auto with_index = [&](auto t) -> decltype(auto) {
    if (index64) return f(t, std::type_identity<std::int64_t>{});
    return f(t, std::type_identity<std::int32_t>{});
  };
  switch (v) {
    case ScalarType::UInt8:
      return with_index(std::type_identity<std::uint8_t>{});
    case ScalarType::Int32:
      return with_index(std::type_identity<std::int32_t>{});
    case ScalarType::Int64:
      return with_index(std::type_identity<std::int64_t>{});
    case ScalarType::Float32:
      return with_index(std::type_identity<float>{});
    case ScalarType::Float64:
      return with_index(std::type_identity<double>{});
    case ScalarType::Complex64:
      return with_index(std::type_identity<std::complex<float>>{});
    case ScalarType::Complex128:
      return with_index(std::type_identity<std::complex<double>>{});
    default:
      break;
  }
  throw TypeError("no held type for this dtype");
}

// What a sparse file holds, from its headers: the `info` command's content.
struct SparseFileInfo {
  std::string kind;    // "npz" or "mtx"
  std::string format;  // csr, csc, coo, bsr, dia (npz) or "coordinate"/"array" (mtx)
  std::int64_t rows = 0, cols = 0, nnz = 0;
  DType value;              // as held in memory
  std::string value_descr;  // as stored in the file ('<f8', '|b1'; mtx: real/integer/…)
  DType index;
  std::string detail;                           // symmetry (mtx), block shape (bsr), compression (npz)
  std::int64_t block_rows = 1, block_cols = 1;  // bsr
};
SparseFileInfo sparse_file_info(const std::string& path);

// Loads `path` (.npz of any scipy format, or .mtx) and calls f(csr, info) with it as
// canonical CSR of the held types.
// Runs `load`, turning a size the machine cannot hold (a valid header claiming a huge
// shape: std::length_error or std::bad_alloc from an allocation) into an Error naming `path`.
template <class F>
decltype(auto) with_memory_check(const std::string& path, F&& load) {
  try {
    return load();
  } catch (const MemoryLimitError& e) {
    throw Error(path + ": the matrix " + e.what());
  } catch (const std::length_error&) {
    throw Error(path + ": the matrix's shape and entries need more memory than can be allocated");
  } catch (const std::bad_alloc&) {
    throw Error(path + ": not enough memory to load the matrix (its shape and entries are larger than what is free)");
  }
}

template <class F>
void visit_csr_file_unchecked(const std::string& path, F&& f);

template <class F>
void visit_csr_file(const std::string& path, F&& f) {
  with_memory_check(path, [&] { visit_csr_file_unchecked(path, f); });
}

// `path` as CSR of T and I: a .npz stored in `format`, an HDF5 group of csr or csc
// (`format`), or a .mtx (any `format`). A stored csr comes as it is, duplicates kept.
template <Scalar T, Index I>
Csr<T, I> load_as_csr(const std::string& path, Format format) {
  if (is_mtx_path(path)) return to_csr(read_mtx<T, I>(path));
  if (is_h5_group_path(path))
    return format == Format::Csr ? load_h5_group<Csr<T, I>>(path) : to_csr(load_h5_group<Csc<T, I>>(path));
  switch (format) {
    case Format::Csr:
      return load_npz<Csr<T, I>>(path);
    case Format::Csc:
      return to_csr(load_npz<Csc<T, I>>(path));
    case Format::Coo:
      return to_csr(load_npz<Coo<T, I>>(path));
    case Format::Bsr:
      return to_csr(load_npz<Bsr<T, I>>(path));
    case Format::Dia:
      return to_csr(load_npz<Dia<T, I>>(path));
    default:
      throw FormatError(path + ": cannot load a " + std::string(format_name(format)) + " matrix");
  }
}

// `path` as canonical CSR of its held types (those sparse_file_info gave as `info`).
template <Scalar T, Index I>
Csr<T, I> load_held_csr(const std::string& path, const SparseFileInfo& info) {
  if (!is_mtx_path(path)) return load_as_csr<T, I>(path, parse_format(info.format));
  auto csr = load_as_csr<T, I>(path, Format::Coo);
  if (info.format == "array") eliminate_zeros(csr);
  return csr;
}

template <class F>
void visit_csr_file_unchecked(const std::string& path, F&& f) {
  const SparseFileInfo info = sparse_file_info(path);
  const bool index64 = info.index.type() == ScalarType::Int64;
  visit_held(info.value.type(), index64, [&](auto tv, auto ti) {
    auto m = load_held_csr<typename decltype(tv)::type, typename decltype(ti)::type>(path, info);
    f(m, info);
  });
}

// Loads `path` as canonical CSR of the given types, converting values and indices.
template <Scalar T, Index I>
Csr<T, I> load_csr_as_unchecked(const std::string& path);

template <Scalar T, Index I>
Csr<T, I> load_csr_as(const std::string& path) {
  return with_memory_check(path, [&] { return load_csr_as_unchecked<T, I>(path); });
}

template <Scalar T, Index I>
Csr<T, I> load_csr_as_unchecked(const std::string& path) {
  if (is_mtx_path(path)) return load_as_csr<T, I>(path, Format::Coo);
  if (is_h5_group_path(path)) return load_as_csr<T, I>(path, h5_group_info(path).format);
  const Format format = npz_info(path).format;
  auto m = load_as_csr<T, I>(path, format);
  if (format == Format::Csr) sum_duplicates(m);
  return m;
}

struct SaveOptions {
  Format format = Format::Csr;                  // .npz only: csr, csc, coo, bsr or dia
  std::int64_t block_rows = 1, block_cols = 1;  // bsr
  bool compressed = true;                       // .npz: savez_compressed (scipy's default)
  bool bool_values = false;                     // write uint8 values as '|b1'
};

// Saves `a` to .npz (in options.format), .mtx (coordinate, general) or FILE.h5:/group (csr or csc).
template <Scalar T, Index I>
void save_sparse_file(const std::string& path, const Csr<T, I>& a, const SaveOptions& opt = {}) {
  if (is_mtx_path(path)) {
    write_mtx(path, a);
    return;
  }
  if (is_h5_group_path(path)) {
    if (opt.format == Format::Csr)
      save_h5_group(path, a);
    else if (opt.format == Format::Csc)
      save_h5_group(path, to_csc(a));
    else
      throw Error(path + ": an HDF5 sparse group holds csr or csc, not " + std::string(format_name(opt.format)));
    return;
  }
  if (!is_npz_path(path)) throw Error(path + ": unknown sparse file type (expected .npz or .mtx)");
  const std::string descr = opt.bool_values ? "|b1" : "";
  switch (opt.format) {
    case Format::Csr:
      save_npz(path, a, opt.compressed, descr);
      return;
    case Format::Csc:
      save_npz(path, to_csc(a), opt.compressed, descr);
      return;
    case Format::Coo:
      save_npz(path, to_coo(a), opt.compressed, descr);
      return;
    case Format::Bsr:
      save_npz(path, to_bsr(a, opt.block_rows, opt.block_cols), opt.compressed, descr);
      return;
    case Format::Dia:
      save_npz(path, to_dia(a), opt.compressed, descr);
      return;
    default:
      throw Error(path + ": scipy's .npz cannot hold " + std::string(format_name(opt.format)) +
                  " matrices (save_npz supports csr, csc, coo, bsr, dia)");
  }
}

// y = A x (Aᵀ x with `transpose`): A loaded whole from the sparse file `matrix`, x read
// from the 1-d .npy `x` as A's held value type, y saved to the .npy `y` in that type.
void spmv_file(const std::string& matrix, const std::string& x, const std::string& y, bool transpose = false);

// The PNG of the sparse file's pattern (spy.hpp), at most `size` pixels on the longer side.
void spy_file(const std::string& matrix, const std::string& png, std::int64_t size = 800);

// The held types' instantiations of the loaders and the saver are compiled once, in the
// library (src/sparse/held_*.cpp, three files to build in parallel), not again in every
// file that visits a sparse file: they were most of the build's time.
// clang-format off
#define MAMMOTH_SPARSE_HELD_INTEGERS(X) \
  X(std::uint8_t, std::int32_t) X(std::uint8_t, std::int64_t) \
  X(std::int32_t, std::int32_t) X(std::int32_t, std::int64_t) \
  X(std::int64_t, std::int32_t) X(std::int64_t, std::int64_t)
#define MAMMOTH_SPARSE_HELD_REALS(X) \
  X(float, std::int32_t) X(float, std::int64_t) \
  X(double, std::int32_t) X(double, std::int64_t)
#define MAMMOTH_SPARSE_HELD_COMPLEX(X) \
  X(std::complex<float>, std::int32_t) X(std::complex<float>, std::int64_t) \
  X(std::complex<double>, std::int32_t) X(std::complex<double>, std::int64_t)
#define MAMMOTH_SPARSE_HELD_TYPES(X) \
  MAMMOTH_SPARSE_HELD_INTEGERS(X) MAMMOTH_SPARSE_HELD_REALS(X) MAMMOTH_SPARSE_HELD_COMPLEX(X)
// clang-format on

#define MAMMOTH_SPARSE_HELD_INSTANCES(EXTERN, T, I)                                         \
  EXTERN template Csr<T, I> load_held_csr<T, I>(const std::string&, const SparseFileInfo&); \
  EXTERN template Csr<T, I> load_csr_as_unchecked<T, I>(const std::string&);                \
  EXTERN template void save_sparse_file<T, I>(const std::string&, const Csr<T, I>&, const SaveOptions&);
#define MAMMOTH_SPARSE_EXTERN_HELD(T, I) MAMMOTH_SPARSE_HELD_INSTANCES(extern, T, I)
MAMMOTH_SPARSE_HELD_TYPES(MAMMOTH_SPARSE_EXTERN_HELD)
#undef MAMMOTH_SPARSE_EXTERN_HELD

}  // namespace mammoth::sparse
