// Reading what a .npz holds from its member headers alone.
#include "mammoth/sparse/npz.hpp"

namespace mammoth::sparse {

NpzInfo npz_info(ZipReader& zip) {
  if (!zip.has("format"))
    throw FormatError(zip.path() + ": does not contain a sparse matrix (no 'format' member; is it a plain np.savez?)");
  NpzInfo info;
  const std::string name = zip.read_text("format");
  try {
    info.format = parse_format(name);
  } catch (const Error&) {
    throw FormatError(zip.path() + ": unknown matrix format '" + name + "'");
  }
  const auto shape = read_member<std::int64_t>(zip, "shape");
  if (shape.size() != 2 || shape[0] < 0 || shape[1] < 0)
    throw FormatError(zip.path() + ": 'shape' must hold two non-negative integers");
  info.rows = shape[0];
  info.cols = shape[1];
  info.data = zip.header("data");
  switch (info.format) {
    case Format::Csr:
    case Format::Csc:
    case Format::Bsr:
      info.index = zip.header("indices");
      break;
    case Format::Coo:
      info.index = zip.header("row");
      break;
    case Format::Dia:
      info.index = zip.header("offsets");
      break;
    default:
      throw FormatError(zip.path() + ": scipy cannot save " + name + " matrices; no loader for it");
  }
  if (info.index.is_text() || (info.index.dtype.kind() != Kind::Int && info.index.dtype.kind() != Kind::UInt))
    throw FormatError(zip.path() + ": index arrays must be integers, found " + info.index.descr());
  std::int64_t n = 1;
  for (auto d : info.data.shape) n *= d;
  info.nnz = n;
  return info;
}

NpzInfo npz_info(const std::string& path) {
  ZipReader zip(path);
  return npz_info(zip);
}

}  // namespace mammoth::sparse
