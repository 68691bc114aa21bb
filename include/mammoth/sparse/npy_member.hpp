// The .npy members of a scipy .npz: headers written and parsed here (numpy format
// 1.0/2.0/3.0), including the byte-string 'format' member numpy's own dtypes lack.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mammoth/dtype.hpp"
#include "mammoth/layout.hpp"

namespace mammoth::sparse {

struct NpyHeader {
  std::string descr;     // as written: '<f8', '|S3', '<U3'
  DType dtype;           // meaningful unless is_text
  bool is_text = false;  // 'S' (bytes) or 'U' (UTF-32) strings
  std::size_t text_chars = 0;
  bool fortran_order = false;
  Shape shape;
  std::size_t header_bytes = 0;  // magic + length + dict: where the data starts
  std::size_t data_bytes() const;
};

// A version 1.0 header, padded to a multiple of 64 bytes as numpy does.
std::string npy_header(std::string_view descr, const Shape& shape);
// Parses the header at the start of `bytes` (which must hold all of it); `context`
// names the file and member in errors. Returns header_bytes = 0 when more bytes are needed.
NpyHeader parse_npy_header(std::string_view bytes, const std::string& context);

}  // namespace mammoth::sparse
