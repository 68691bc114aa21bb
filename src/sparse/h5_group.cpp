// Recognising an anndata-style sparse group and what it holds, from attributes and
// dataset headers only.
#include "mammoth/sparse/h5_group.hpp"

namespace mammoth::sparse {

namespace {

std::vector<std::int64_t> shape_attribute(const h5::Attributes& attrs, const std::string& name,
                                          const std::string& spec) {
  const h5::AttributeValue v = attrs.read(name);
  if (!std::holds_alternative<AnyArray>(v)) throw FormatError(spec + ": attribute '" + name + "' is not numeric");
  const AnyArray a = std::get<AnyArray>(v).astype(DType(ScalarType::Int64));
  if (a.size() != 2) throw FormatError(spec + ": attribute '" + name + "' must hold two integers");
  const auto* p = reinterpret_cast<const std::int64_t*>(a.data());
  return {p[0], p[1]};
}

}  // namespace

H5GroupInfo h5_group_info(const std::string& spec) {
  const StorePath where = parse_store_path(spec);
  if (!where.is_hdf5()) throw Error(spec + ": expected FILE.h5:/group");
  h5::File file(where.file, Mode::Read);
  if (file.kind(where.inner) != h5::ObjectKind::Group) throw FormatError(spec + ": not a group");
  const h5::Group g = file.group(where.inner);
  const h5::Attributes attrs = g.attrs();
  H5GroupInfo info;
  std::string kind;
  std::vector<std::int64_t> shape;
  if (attrs.contains("encoding-type")) {
    kind = attrs.read_string("encoding-type");
    if (kind == "csr_matrix")
      kind = "csr";
    else if (kind == "csc_matrix")
      kind = "csc";
    shape = shape_attribute(attrs, "shape", spec);
  } else if (attrs.contains("h5sparse_format")) {
    kind = attrs.read_string("h5sparse_format");
    shape = shape_attribute(attrs, "h5sparse_shape", spec);
  } else {
    throw FormatError(spec + ": not a sparse group (no 'encoding-type' or 'h5sparse_format' attribute)");
  }
  if (kind != "csr" && kind != "csc") throw FormatError(spec + ": sparse encoding '" + kind + "' is not csr or csc");
  info.format = kind == "csr" ? Format::Csr : Format::Csc;
  if (shape[0] < 0 || shape[1] < 0) throw FormatError(spec + ": negative shape");
  info.rows = shape[0];
  info.cols = shape[1];
  const h5::Dataset data = g.dataset("data"), indices = g.dataset("indices");
  info.value = data.dtype();
  info.index = indices.dtype();
  info.nnz = data.size();
  return info;
}

}  // namespace mammoth::sparse
