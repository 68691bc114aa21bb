// Recognising sparse files and reading what they hold from their headers.
#include "mammoth/sparse/files.hpp"

namespace mammoth::sparse {

ScalarType held_type(DType file) {
  switch (file.type()) {
    case ScalarType::Bool:
    case ScalarType::UInt8:
      return ScalarType::UInt8;
    case ScalarType::Int8:
    case ScalarType::Int16:
    case ScalarType::UInt16:
    case ScalarType::Int32:
      return ScalarType::Int32;
    case ScalarType::UInt32:
    case ScalarType::Int64:
    case ScalarType::UInt64:
      return ScalarType::Int64;
    case ScalarType::Float16:
    case ScalarType::Float32:
      return ScalarType::Float32;
    case ScalarType::Float64:
      return ScalarType::Float64;
    case ScalarType::Complex64:
      return ScalarType::Complex64;
    case ScalarType::Complex128:
      return ScalarType::Complex128;
  }
  return ScalarType::Float64;
}

SparseFileInfo sparse_file_info(const std::string& path) {
  SparseFileInfo out;
  if (is_h5_group_path(path)) {
    const H5GroupInfo g = h5_group_info(path);
    out.kind = "h5";
    out.format = format_name(g.format);
    out.rows = g.rows;
    out.cols = g.cols;
    out.nnz = g.nnz;
    out.value_descr = g.value.descr();
    out.value = DType(held_type(g.value));
    out.index =
        DType(g.index.itemsize() <= 4 && g.index.type() != ScalarType::UInt32 ? ScalarType::Int32 : ScalarType::Int64);
    out.detail = "anndata group";
    return out;
  }
  if (is_mtx_path(path)) {
    const MtxInfo m = mtx_info(path);
    static const char* fields[] = {"real", "integer", "complex", "pattern"};
    static const char* syms[] = {"general", "symmetric", "skew-symmetric", "hermitian"};
    out.kind = "mtx";
    out.format = m.array ? "array" : "coordinate";
    out.rows = m.rows;
    out.cols = m.cols;
    out.nnz = m.entries;
    out.value_descr = fields[static_cast<int>(m.field)];
    out.value = DType(m.field == MtxField::Integer   ? ScalarType::Int64
                      : m.field == MtxField::Complex ? ScalarType::Complex128
                                                     : ScalarType::Float64);
    const std::int64_t stored = m.symmetry == MtxSymmetry::General ? m.entries : 2 * m.entries;
    out.index = DType(fits_int32(m.rows, m.cols, stored) ? ScalarType::Int32 : ScalarType::Int64);
    out.detail = syms[static_cast<int>(m.symmetry)];
    return out;
  }
  if (!is_npz_path(path)) throw Error(path + ": not a sparse file (expected .npz or .mtx)");
  ZipReader zip(path);
  const NpzInfo n = npz_info(zip);
  out.kind = "npz";
  out.format = format_name(n.format);
  out.rows = n.rows;
  out.cols = n.cols;
  out.nnz = n.nnz;
  out.value_descr = n.data.descr();
  if (n.data.is_text()) throw FormatError(path + ": data holds strings, not numbers");
  out.value = DType(held_type(n.data.dtype));
  out.index = DType(n.index.dtype.itemsize() <= 4 && n.index.dtype.type() != ScalarType::UInt32 ? ScalarType::Int32
                                                                                                : ScalarType::Int64);
  if (n.format == Format::Bsr && n.data.shape.size() == 3) {
    out.block_rows = n.data.shape[1];
    out.block_cols = n.data.shape[2];
    out.detail = "blocksize (" + std::to_string(n.data.shape[1]) + ", " + std::to_string(n.data.shape[2]) + ")";
  }
  return out;
}

}  // namespace mammoth::sparse
