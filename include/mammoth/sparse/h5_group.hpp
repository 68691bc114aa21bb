// CSR/CSC as an HDF5 group, laid out as anndata writes them: datasets data, indices,
// indptr and attributes encoding-type ("csr_matrix"/"csc_matrix"), encoding-version
// ("0.1.0") and shape (int64 pair). Older h5sparse-style groups (h5sparse_format,
// h5sparse_shape) are read too. A group is recognised by its attributes, whatever the
// file's name (.h5ad included).
#pragma once

#include <optional>
#include <string>

#include "mammoth/h5.hpp"
#include "mammoth/sparse/csc.hpp"
#include "mammoth/sparse/csr.hpp"

namespace mammoth::sparse {

struct H5GroupInfo {
  Format format = Format::Csr;  // Csr or Csc
  std::int64_t rows = 0, cols = 0, nnz = 0;
  DType value, index;
  std::string encoding;  // "anndata" (encoding-type, also what mammoth writes) or "h5sparse"
};

// What a group holds when its attributes name a sparse encoding (anndata's
// encoding-type csr_matrix/csc_matrix + shape; h5sparse's h5sparse_format +
// h5sparse_shape), from attributes and dataset headers only; nullopt when they name
// none; FormatError when the encoding is named but the group does not follow it.
std::optional<H5GroupInfo> sparse_group_info(const h5::Group& group);
// "file.h5:/group" → what the group holds (FormatError when it is no sparse group).
H5GroupInfo h5_group_info(const std::string& spec);

template <class V>
Vec<V> read_h5_vector(const h5::Group& g, const std::string& name) {
  const h5::Dataset d = g.dataset(name);
  if (d.ndim() != 1) throw FormatError(d.spec() + ": expected a 1-d dataset, found shape " + shape_string(d.shape()));
  Vec<V> out(static_cast<std::size_t>(d.size()));
  d.read(Box::whole(d.shape()), out.data(), dtype_of<V>());
  return out;
}

template <class M>
M load_h5_group(const std::string& spec) {
  const H5GroupInfo info = h5_group_info(spec);
  constexpr Format want =
      std::is_same_v<M, Csr<typename M::value_type, typename M::index_type>> ? Format::Csr : Format::Csc;
  if (info.format != want)
    throw FormatError(spec + ": holds a " + std::string(format_name(info.format)) + " matrix, not " +
                      format_name(want));
  const StorePath where = parse_store_path(spec);
  h5::File file(where.file, Mode::Read);
  const h5::Group g = file.group(where.inner);
  M m;
  m.rows = info.rows;
  m.cols = info.cols;
  m.indptr = read_h5_vector<typename M::index_type>(g, "indptr");
  m.indices = read_h5_vector<typename M::index_type>(g, "indices");
  m.data = read_h5_vector<typename M::value_type>(g, "data");
  try {
    m.validate();
  } catch (const ShapeError& e) {
    throw FormatError(spec + ": " + e.what());
  }
  return m;
}

// Writes (replacing) the group at "file.h5:/group"; the file is created if missing.
template <class M>
void save_h5_group(const std::string& spec, const M& m) {
  using T = typename M::value_type;
  using I = typename M::index_type;
  constexpr bool csr = std::is_same_v<M, Csr<T, I>>;
  const StorePath where = parse_store_path(spec);
  if (!where.is_hdf5()) throw Error(spec + ": expected FILE.h5:/group");
  h5::File file(where.file, Mode::Append);
  if (file.contains(where.inner)) file.remove(where.inner);
  h5::Group g = file.require_group(where.inner);
  auto put = [&](const char* name, const auto& v, DType type) {
    h5::Dataset d = g.create_dataset(name, {static_cast<std::int64_t>(v.size())}, type);
    if (!v.empty()) d.write(Box::whole({static_cast<std::int64_t>(v.size())}), v.data(), type);
  };
  put("data", m.data, dtype_of<T>());
  put("indices", m.indices, dtype_of<I>());
  put("indptr", m.indptr, dtype_of<I>());
  g.attrs().write("encoding-type", csr ? "csr_matrix" : "csc_matrix");
  g.attrs().write("encoding-version", "0.1.0");
  g.attrs().write("shape", AnyArray(NdArray<std::int64_t>::from({m.rows, m.cols}, {2})));
  file.flush();
}

}  // namespace mammoth::sparse
