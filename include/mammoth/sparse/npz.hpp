// scipy's .npz, exactly as save_npz/load_npz lay it out: members format (bytes),
// shape (int64 pair), data, and indices+indptr (csr/csc/bsr), row+col (coo) or offsets (dia).
// bsr's block shape is data's trailing (R, C); dia's data is (ndiag, length).
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "mammoth/sparse/bsr.hpp"
#include "mammoth/sparse/coo.hpp"
#include "mammoth/sparse/csc.hpp"
#include "mammoth/sparse/csr.hpp"
#include "mammoth/sparse/dia.hpp"
#include "mammoth/sparse/zip.hpp"

namespace mammoth::sparse {

// What a .npz holds, from its headers only (no data read).
struct NpzInfo {
  Format format = Format::Csr;
  std::int64_t rows = 0, cols = 0;
  NpyHeader data;        // values
  NpyHeader index;       // indices (csr/csc/bsr), row (coo) or offsets (dia)
  std::int64_t nnz = 0;  // stored values, as scipy's nnz
};
NpzInfo npz_info(const std::string& path);
NpzInfo npz_info(ZipReader& zip);

// Reads `member` as a flat vector of V, converting from the stored dtype when it differs.
template <Scalar V>
Vec<V> read_member(ZipReader& zip, const std::string& member, const NpyHeader& h) {
  if (h.is_text()) throw FormatError(zip.path() + ": " + member + ".npy holds strings, expected numbers");
  std::size_t n = 1;
  for (auto d : h.shape) n *= static_cast<std::size_t>(d);
  Vec<V> out(n);
  if (h.dtype == dtype_of<V>()) {
    zip.read_data(member, out.data(), n * sizeof(V));
  } else {
    std::vector<std::byte> raw(n * h.dtype.itemsize());
    zip.read_data(member, raw.data(), raw.size());
    convert(raw.data(), h.dtype, out.data(), dtype_of<V>(), n);
  }
  return out;
}
template <Scalar V>
Vec<V> read_member(ZipReader& zip, const std::string& member) {
  return read_member<V>(zip, member, zip.header(member));
}

template <class M>
struct npz_traits;
template <Scalar T, Index I>
struct npz_traits<Csr<T, I>> {
  static constexpr Format format = Format::Csr;
};
template <Scalar T, Index I>
struct npz_traits<Csc<T, I>> {
  static constexpr Format format = Format::Csc;
};
template <Scalar T, Index I>
struct npz_traits<Coo<T, I>> {
  static constexpr Format format = Format::Coo;
};
template <Scalar T, Index I>
struct npz_traits<Bsr<T, I>> {
  static constexpr Format format = Format::Bsr;
};
template <Scalar T, Index I>
struct npz_traits<Dia<T, I>> {
  static constexpr Format format = Format::Dia;
};

// CSR and CSC store the same three members; only the meaning of indptr differs.
template <class M>
concept CompressedMatrix = std::same_as<M, Csr<typename M::value_type, typename M::index_type>> ||
    std::same_as<M, Csc<typename M::value_type, typename M::index_type>>;

template <CompressedMatrix M>
void load_members(ZipReader& z, const NpzInfo& info, M& m) {
  using I = typename M::index_type;
  m.indptr = read_member<I>(z, "indptr");
  m.indices = read_member<I>(z, "indices", info.index);
  m.data = read_member<typename M::value_type>(z, "data", info.data);
}
template <Scalar T, Index I>
void load_members(ZipReader& z, const NpzInfo& info, Coo<T, I>& m) {
  m.row = read_member<I>(z, "row", info.index);
  m.col = read_member<I>(z, "col");
  m.data = read_member<T>(z, "data", info.data);
}
template <Scalar T, Index I>
void load_members(ZipReader& z, const NpzInfo& info, Bsr<T, I>& m) {
  if (info.data.shape.size() != 3)
    throw FormatError(z.path() + ": bsr data must be 3-d (blocks, R, C), got shape " + shape_string(info.data.shape));
  m.block_rows = info.data.shape[1];
  m.block_cols = info.data.shape[2];
  m.indptr = read_member<I>(z, "indptr");
  m.indices = read_member<I>(z, "indices", info.index);
  m.data = read_member<T>(z, "data", info.data);
}
template <Scalar T, Index I>
void load_members(ZipReader& z, const NpzInfo& info, Dia<T, I>& m) {
  if (info.data.shape.size() != 2)
    throw FormatError(z.path() + ": dia data must be 2-d (ndiag, length), got shape " + shape_string(info.data.shape));
  m.length = info.data.shape[1];
  m.offsets = read_member<I>(z, "offsets", info.index);
  m.data = read_member<T>(z, "data", info.data);
}

// Loads a matrix saved in M's format (FormatError otherwise); values and indices
// convert to M's types. The structure is validated, so bad files give clear errors.
template <class M>
M load_npz(const std::string& path) {
  ZipReader zip(path);
  const NpzInfo info = npz_info(zip);
  if (info.format != npz_traits<M>::format)
    throw FormatError(path + ": holds a " + std::string(format_name(info.format)) + " matrix, not " +
                      format_name(npz_traits<M>::format));
  M m;
  m.rows = info.rows;
  m.cols = info.cols;
  load_members(zip, info, m);
  try {
    m.validate();
  } catch (const ShapeError& e) {
    throw FormatError(path + ": " + e.what());
  }
  return m;
}

inline Shape shape_of(std::size_t n) { return {static_cast<std::int64_t>(n)}; }

// One member holding `v`'s elements behind an .npy header of `descr` and `shape`
// (default: 1-d); index members use the index type's own descr.
template <class V>
void add_vector(ZipWriter& z, const std::string& name, const V& v, const std::string& descr, Shape shape = {}) {
  if (shape.empty()) shape = shape_of(v.size());
  z.add(name, format_npy_header(descr, shape), v.data(), v.size() * sizeof(typename V::value_type));
}
template <class V>
void add_index_vector(ZipWriter& z, const std::string& name, const V& v) {
  add_vector(z, name, v, dtype_of<typename V::value_type>().descr());
}

template <CompressedMatrix M>
void add_members(ZipWriter& z, const M& m, const std::string& d) {
  add_index_vector(z, "indices", m.indices);
  add_index_vector(z, "indptr", m.indptr);
  add_vector(z, "data", m.data, d);
}
template <Scalar T, Index I>
void add_members(ZipWriter& z, const Coo<T, I>& m, const std::string& d) {
  add_index_vector(z, "row", m.row);
  add_index_vector(z, "col", m.col);
  add_vector(z, "data", m.data, d);
}
template <Scalar T, Index I>
void add_members(ZipWriter& z, const Bsr<T, I>& m, const std::string& d) {
  add_index_vector(z, "indices", m.indices);
  add_index_vector(z, "indptr", m.indptr);
  add_vector(z, "data", m.data, d, {m.nnz_blocks(), m.block_rows, m.block_cols});
}
template <Scalar T, Index I>
void add_members(ZipWriter& z, const Dia<T, I>& m, const std::string& d) {
  add_index_vector(z, "offsets", m.offsets);
  add_vector(z, "data", m.data, d, {m.ndiag(), m.length});
}

// Writes `m` as scipy's save_npz does (compressed: savez_compressed). `data_descr`
// overrides the values' descr (e.g. '|b1' for bool held as uint8).
template <class M>
void save_npz(const std::string& path, const M& m, bool compressed = true, std::string data_descr = {}) {
  using T = typename std::remove_cvref_t<decltype(m.data)>::value_type;
  if (data_descr.empty()) data_descr = dtype_of<T>().descr();
  const std::string format = format_name(npz_traits<M>::format);
  const std::int64_t shape[2] = {m.rows, m.cols};
  ZipWriter zip(path, compressed);
  add_members(zip, m, data_descr);
  zip.add("format", format_npy_header("|S" + std::to_string(format.size()), {}), format.data(), format.size());
  zip.add("shape", format_npy_header("<i8", {2}), shape, sizeof(shape));
  zip.close();
}

}  // namespace mammoth::sparse
