#include "mammoth/path.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <string_view>

#include "mammoth/h5/file.hpp"

namespace mammoth {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The first `n` bytes of `file` at `offset` (fewer at its end, none when unreadable).
std::string peek(const std::string& file, std::uint64_t offset, std::size_t n) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return bytes;
}

}  // namespace

FileFormat extension_format(const std::string& file) {
  if (ends_with(file, ".npy")) return FileFormat::Npy;
  if (ends_with(file, ".npz")) return FileFormat::Npz;
  if (ends_with(file, ".mtx") || ends_with(file, ".mtx.gz")) return FileFormat::Mtx;
  for (const char* ext : {".h5", ".hdf5", ".hdf", ".h5ad", ".nc", ".he5", ".nxs", ".cxi"})
    if (ends_with(file, ext)) return FileFormat::Hdf5;
  return FileFormat::Raw;
}

StorePath parse_store_path(const std::string& spec) {
  // "FILE:/inner" names an object inside an HDF5 file; a bare colon elsewhere is a file name.
  const auto colon = spec.rfind(":/");
  if (colon == std::string::npos || colon == 0) return StorePath{spec, ""};
  return StorePath{spec.substr(0, colon), spec.substr(colon + 1)};
}

const char* format_name(FileFormat format) {
  switch (format) {
    case FileFormat::Npy:
      return "npy";
    case FileFormat::Npz:
      return "npz";
    case FileFormat::Mtx:
      return "mtx";
    case FileFormat::Hdf5:
      return "hdf5";
    case FileFormat::Raw:
      return "raw";
  }
  return "raw";
}

bool is_hdf5_file(const std::string& file) { return h5::is_hdf5(file); }

FileFormat file_format(const std::string& file) {
  const std::string head = peek(file, 0, 16);
  if (head.empty()) return extension_format(file);
  if (head.starts_with("\x93NUMPY")) return FileFormat::Npy;
  if (head.starts_with("PK\x03\x04") || head.starts_with("PK\x05\x06")) return FileFormat::Npz;
  if (head.starts_with("%%MatrixMarket") || head.starts_with("%%matrixmarket")) return FileFormat::Mtx;
  if (is_hdf5_file(file)) return FileFormat::Hdf5;
  // Content with no signature (a raw file, a gzipped .mtx) keeps its extension's meaning.
  return extension_format(file);
}

FileFormat spec_format(const std::string& spec) {
  const StorePath path = parse_store_path(spec);
  return path.is_hdf5() ? FileFormat::Hdf5 : file_format(path.file);
}

Content content_of(const std::string& spec, bool sparse_hint) {
  const StorePath path = parse_store_path(spec);
  if (path.is_hdf5()) {
    if (!is_hdf5_file(path.file)) return sparse_hint ? Content::SparseMatrix : Content::DenseArray;
    const h5::File file(path.file, Mode::Read);
    if (!file.contains(path.inner)) return sparse_hint ? Content::SparseMatrix : Content::DenseArray;
    return file.kind(path.inner) == h5::ObjectKind::Group ? Content::SparseMatrix : Content::DenseArray;
  }
  const FileFormat format = file_format(path.file);
  return format == FileFormat::Npz || format == FileFormat::Mtx ? Content::SparseMatrix : Content::DenseArray;
}

}  // namespace mammoth
