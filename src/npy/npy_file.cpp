// .npy files on disk: open_memmap, creation, whole-file load/save, in-place append, and
// the BlockStore back end behind open_store("x.npy").
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "../memmap/store_options.hpp"
#include "../store/backends.hpp"
#include "mammoth/error.hpp"
#include "mammoth/npy.hpp"

namespace mammoth {
namespace {

// Longest header we read: numpy refuses headers over 10 KB by default; allow far more,
// but never allocate what a corrupt length field claims.
constexpr std::uint64_t kMaxHeader = std::uint64_t{1} << 24;

NpyHeader read_header(int fd, const std::string& path) {
  const std::int64_t size = file_size(fd, path);
  std::string bytes(static_cast<std::size_t>(std::min<std::int64_t>(size, 12)), '\0');
  read_at(fd, path, bytes.data(), bytes.size(), 0);
  if (bytes.size() >= 12 && bytes.compare(0, 6, "\x93NUMPY") == 0) {
    const int major = static_cast<unsigned char>(bytes[6]);
    std::uint64_t hlen = 0;
    const std::size_t field = major == 1 ? 2 : 4;
    for (std::size_t i = 0; i < field; ++i) hlen |= std::uint64_t{static_cast<unsigned char>(bytes[8 + i])} << (8 * i);
    const std::uint64_t want = 8 + field + hlen;
    if (hlen > kMaxHeader && want <= static_cast<std::uint64_t>(size))
      throw FormatError(path + ": .npy header length " + std::to_string(hlen) + " is implausibly large (limit " +
                        std::to_string(kMaxHeader) + " bytes)");
    if (want <= static_cast<std::uint64_t>(size)) {
      bytes.resize(static_cast<std::size_t>(want));
      read_at(fd, path, bytes.data(), bytes.size(), 0);
    }
  }
  return parse_npy_header(bytes, size, path);
}

std::vector<std::pair<std::string, std::string>> npy_properties(const NpyHeader& header) {
  return {{"format", "npy"},
          {"version", header.version_string()},
          {"order", header.order == Order::C ? "C" : "F"},
          {"offset", std::to_string(header.data_offset)},
          {"bytes", std::to_string(header.data_bytes())}};
}

std::pair<Memmap, NpyHeader> open_with_header(const std::string& path, Mode mode) {
  if (mode == Mode::Append) mode = Mode::ReadWrite;
  FileHandle fd = open_file(path, mode);
  NpyHeader header = read_header(fd.get(), path);
  Memmap map = map_array(path, mode, std::move(fd), header.dtype, header.shape, header.order, header.data_offset);
  return {std::move(map), header};
}

std::pair<Memmap, NpyHeader> create_with_header(const std::string& path, const CreateOptions& options, int version,
                                                Mode mode) {
  if (mode != Mode::Write && mode != Mode::Exclusive) mode = Mode::Write;
  const std::string header = format_npy_header(options.dtype, options.shape, options.order, version);
  const std::int64_t data = element_count(options.shape, options.dtype.itemsize(), path) *
                            static_cast<std::int64_t>(options.dtype.itemsize());
  const auto offset = static_cast<std::int64_t>(header.size());
  FileHandle fd = create_file(path, mode, header, offset + data, options.preallocate);
  NpyHeader parsed{options.dtype, options.shape, options.order, header[6], 0, offset, {}};
  Memmap map = map_array(path, Mode::ReadWrite, std::move(fd), options.dtype, options.shape, options.order, offset);
  return {std::move(map), parsed};
}

// The array's bytes in the order its header will state: C unless it is Fortran-only.
Order storage_order(const AnyArray& a) {
  return !a.is_c_contiguous() && a.is_f_contiguous() ? Order::Fortran : Order::C;
}

}  // namespace

NpyHeader read_npy_header(const std::string& path) {
  FileHandle fd = open_file(path, Mode::Read);
  return read_header(fd.get(), path);
}

Memmap open_memmap(const std::string& path, Mode mode) { return open_with_header(path, mode).first; }

Memmap create_npy(const std::string& path, const CreateOptions& options, int version, Mode mode) {
  return create_with_header(path, options, version, mode).first;
}

AnyArray load_npy(const std::string& path) {
  const Memmap map = open_memmap(path, Mode::Read);
  const AnyArray& a = map.array();
  if (a.dtype().is_native() && a.dtype().type() != ScalarType::Float16) return a.copy(map.order());
  return a.to_native();
}

void save_npy(const std::string& path, const AnyArray& array, int version) {
  const Order order = storage_order(array);
  const AnyArray packed = is_contiguous(array.shape(), array.strides(), order) ? array : array.copy(order);
  const std::string header = format_npy_header(array.dtype(), array.shape(), order, version);
  const auto total = static_cast<std::int64_t>(header.size() + packed.nbytes());
  // Written and synced under a temporary name, then renamed into place.
  create_file(path, Mode::Write, header, total, true, [&](int fd) {
    write_at(fd, path, packed.data(), packed.nbytes(), static_cast<std::int64_t>(header.size()));
    if (::fsync(fd) != 0) throw_io_error(path, "cannot write to disk", errno);
  });
}

void append_rows(const std::string& path, const AnyArray& rows) {
  FileHandle fd = open_file(path, Mode::ReadWrite);
  NpyHeader header = read_header(fd.get(), path);
  if (header.order != Order::C && header.shape.size() > 1)
    throw FormatError(path + ": rows can only be appended to a C-order .npy file; this one is Fortran-ordered");
  if (header.shape.empty()) throw ShapeError(path + ": cannot append rows to a 0-d array");
  const Shape tail(header.shape.begin() + 1, header.shape.end());
  if (rows.ndim() != static_cast<int>(header.shape.size()) ||
      Shape(rows.shape().begin() + 1, rows.shape().end()) != tail)
    throw ShapeError(path + ": cannot append rows of shape " + shape_string(rows.shape()) + " to an array of shape " +
                     shape_string(header.shape));
  NpyHeader grown = header;
  grown.shape[0] += rows.shape()[0];
  const std::string dict = npy_header_dict(header.dtype, grown.shape, header.order);
  const std::size_t prefix = header.major == 1 ? 10 : 12;
  const auto room = static_cast<std::size_t>(header.data_offset) - prefix - 1;  // keep the final '\n'
  if (dict.size() > room)
    throw FormatError(path + ": the .npy header has no room for shape " + shape_string(grown.shape) +
                      "; rewrite the file instead");
  // Data first, header last: a failure in between leaves the old array readable.
  const AnyArray data = rows.astype(header.dtype);
  write_at(fd.get(), path, data.data(), data.nbytes(), header.data_offset + header.data_bytes());
  std::string padded = dict;
  padded.append(room - dict.size(), ' ');
  write_at(fd.get(), path, padded.data(), padded.size(), static_cast<std::int64_t>(prefix));
}

namespace detail {

std::unique_ptr<BlockStore> open_npy_store(const std::string& path, Mode mode) {
  auto [map, header] = open_with_header(path, mode);
  return std::make_unique<MappedStore>(std::move(map), path, npy_properties(header));
}

std::unique_ptr<BlockStore> create_npy_store(const std::string& path, const CreateOptions& options) {
  reject_hdf5_options(path, options);
  auto [map, header] = create_with_header(path, options, 0, Mode::Write);
  return std::make_unique<MappedStore>(std::move(map), path, npy_properties(header));
}

}  // namespace detail
}  // namespace mammoth
