// Recognising an anndata- or h5sparse-style sparse group and what it holds, from
// attributes and dataset headers only.
#include "mammoth/sparse/h5_group.hpp"

namespace mammoth::sparse {

namespace {

std::vector<std::int64_t> shape_attribute(const h5::Attributes& attrs, const std::string& name,
                                          const std::string& spec) {
  if (!attrs.contains(name)) throw FormatError(spec + ": sparse group without its '" + name + "' attribute");
  const h5::AttributeValue v = attrs.read(name);
  if (!std::holds_alternative<AnyArray>(v)) throw FormatError(spec + ": attribute '" + name + "' is not numeric");
  const AnyArray a = std::get<AnyArray>(v).astype(DType(ScalarType::Int64));
  if (a.size() != 2) throw FormatError(spec + ": attribute '" + name + "' must hold two integers");
  const auto* p = reinterpret_cast<const std::int64_t*>(a.data());
  return {p[0], p[1]};
}

// A 1-d member dataset of the group, with an element type mammoth holds.
h5::Dataset member(const h5::Group& g, const char* name, const std::string& spec) {
  if (g.kind(name) != h5::ObjectKind::Dataset)
    throw FormatError(spec + ": sparse group without its '" + name + "' dataset");
  h5::Dataset d = g.dataset(name);
  if (d.ndim() != 1) throw FormatError(d.spec() + ": expected a 1-d dataset, found shape " + shape_string(d.shape()));
  d.dtype();  // TypeError naming the dataset otherwise
  return d;
}

// The datasets' lengths agree with the shape (their values are checked on loading).
void check_lengths(const H5GroupInfo& info, const h5::Dataset& indices, const h5::Dataset& indptr,
                   const std::string& spec) {
  if (indices.size() != info.nnz)
    throw FormatError(spec + ": 'indices' holds " + std::to_string(indices.size()) + " entries but 'data' " +
                      std::to_string(info.nnz));
  const std::int64_t major = info.format == Format::Csr ? info.rows : info.cols;
  if (indptr.size() != major + 1)
    throw FormatError(spec + ": 'indptr' holds " + std::to_string(indptr.size()) + " entries; a " +
                      format_name(info.format) + " matrix of shape (" + std::to_string(info.rows) + ", " +
                      std::to_string(info.cols) + ") needs " + std::to_string(major + 1));
  if (info.index.kind() != Kind::Int && info.index.kind() != Kind::UInt)
    throw FormatError(indices.spec() + ": indices must be integers, not " + info.index.name());
}

}  // namespace

std::optional<H5GroupInfo> sparse_group_info(const h5::Group& g) {
  const std::string spec = g.file_name() + ":" + g.name();
  const h5::Attributes attrs = g.attrs();
  H5GroupInfo info;
  std::string kind;
  std::vector<std::int64_t> shape;
  if (attrs.contains("encoding-type")) {
    kind = attrs.read_string("encoding-type");
    if (kind != "csr_matrix" && kind != "csc_matrix") return std::nullopt;  // anndata's dense arrays, dataframes…
    kind.resize(3);
    shape = shape_attribute(attrs, "shape", spec);
    info.encoding = "anndata";
  } else if (attrs.contains("h5sparse_format")) {
    kind = attrs.read_string("h5sparse_format");
    shape = shape_attribute(attrs, "h5sparse_shape", spec);
    info.encoding = "h5sparse";
  } else {
    return std::nullopt;
  }
  if (kind != "csr" && kind != "csc") throw FormatError(spec + ": sparse encoding '" + kind + "' is not csr or csc");
  info.format = kind == "csr" ? Format::Csr : Format::Csc;
  if (shape[0] < 0 || shape[1] < 0) throw FormatError(spec + ": negative shape");
  info.rows = shape[0];
  info.cols = shape[1];
  const h5::Dataset data = member(g, "data", spec), indices = member(g, "indices", spec),
                    indptr = member(g, "indptr", spec);
  info.value = data.dtype();
  info.index = indices.dtype();
  info.nnz = data.size();
  check_lengths(info, indices, indptr, spec);
  return info;
}

H5GroupInfo h5_group_info(const std::string& spec) {
  const StorePath where = parse_store_path(spec);
  if (!where.is_hdf5()) throw Error(spec + ": expected FILE.h5:/group");
  h5::File file(where.file, Mode::Read);
  if (file.kind(where.inner) != h5::ObjectKind::Group) throw FormatError(spec + ": not a group");
  const auto info = sparse_group_info(file.group(where.inner));
  if (!info)
    throw FormatError(spec +
                      ": not a sparse group (no 'encoding-type' csr_matrix/csc_matrix or 'h5sparse_format' "
                      "attribute)");
  return *info;
}

}  // namespace mammoth::sparse
