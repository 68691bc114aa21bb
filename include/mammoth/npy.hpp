// The .npy format (numpy.lib.format), versions 1.0, 2.0 and 3.0: a self-describing
// header (dtype, order, shape) padded to 64 bytes, then the raw elements. Opening needs
// only the path; headers are written byte-for-byte as numpy writes them, including the
// room numpy leaves for the first axis to grow, which append_rows() uses in place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mammoth/any_array.hpp"
#include "mammoth/dtype.hpp"
#include "mammoth/layout.hpp"
#include "mammoth/memmap.hpp"
#include "mammoth/mode.hpp"
#include "mammoth/store.hpp"

namespace mammoth {

struct NpyHeader {
  DType dtype;
  Shape shape;
  Order order = Order::C;
  int major = 1;  // format version
  int minor = 0;
  std::int64_t data_offset = 0;  // bytes before the first element (a multiple of 64)
  // A byte ('|S3') or UTF-32 ('<U3') string array, as the 'format' member of a scipy
  // .npz: its descr; empty for numbers (dtype holds the type). Only parse_npy_header's
  // allow_text accepts these.
  std::string text_descr;

  bool is_text() const { return !text_descr.empty(); }
  // '<f8', or the text descr.
  std::string descr() const { return is_text() ? text_descr : dtype.descr(); }

  std::string version_string() const { return std::to_string(major) + "." + std::to_string(minor); }
  std::int64_t data_bytes() const;
};

// numpy's header dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (100, 1000), }".
std::string npy_header_dict(std::string_view descr, const Shape& shape, Order order);
inline std::string npy_header_dict(DType dtype, const Shape& shape, Order order) {
  return npy_header_dict(dtype.descr(), shape, order);
}
// The complete header (magic, version, length, dict, padding, newline) as numpy writes it.
// version 0 picks the smallest that fits, as numpy does (1.0 unless the dict is > 64 KiB).
std::string format_npy_header(DType dtype, const Shape& shape, Order order, int version = 0);
// The same for any descr numpy writes, e.g. the '|S3' string of a scipy .npz's 'format'.
std::string format_npy_header(std::string_view descr, const Shape& shape, Order order = Order::C, int version = 0);
// The bytes the whole header takes (magic to newline), from the file's first 12 bytes
// (fewer: as far as they tell); 0 when they do not start with the .npy magic.
std::uint64_t npy_header_size(std::string_view first_bytes);
// Parses a header from the first bytes of a file of `file_size` bytes; `name` names the
// file in errors. FormatError for corrupt or truncated files, TypeError for object or
// structured dtypes, and for strings unless `allow_text`; never reads past `bytes`.
NpyHeader parse_npy_header(std::string_view bytes, std::int64_t file_size, const std::string& name,
                           bool allow_text = false);
// Reads and checks the header of a .npy file (including that all its data is present).
NpyHeader read_npy_header(const std::string& path);

// numpy.lib.format.open_memmap(path, mode): dtype, shape and order come from the file.
// Modes r, r+, c (and a, treated as r+).
Memmap open_memmap(const std::string& path, Mode mode = Mode::Read);
// open_memmap(path, mode='w+', dtype, shape, fortran_order): creates (Mode::Exclusive: must
// not exist) a preallocated .npy file (options.preallocate = false: sparse) and maps it.
Memmap create_npy(const std::string& path, const CreateOptions& options, int version = 0, Mode mode = Mode::Write);

// numpy.load / numpy.save for whole arrays. load_npy returns native byte order, and
// float16 files widened to float32. save_npy writes a temporary file beside `path` and
// renames it over `path`, so a failure never leaves a half-written file behind.
AnyArray load_npy(const std::string& path);
void save_npy(const std::string& path, const AnyArray& array, int version = 0);

// Appends `rows` (shape (k, …rest) matching the file's trailing axes) to a C-order .npy
// file in place: the data is written after the existing data and the header rewritten
// within its own length. Throws FormatError when the header has no room for the new
// first extent (numpy's writer always leaves room for 21 digits).
void append_rows(const std::string& path, const AnyArray& rows);

}  // namespace mammoth
