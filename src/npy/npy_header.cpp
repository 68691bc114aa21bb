// The .npy header: numpy.lib.format's writer reproduced byte for byte, and a parser
// for the Python-literal dict that trusts nothing in the file.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <optional>

#include "mammoth/error.hpp"
#include "mammoth/npy.hpp"

namespace mammoth {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::size_t kAlign = 64;
// numpy's GROWTH_AXIS_MAX_DIGITS: room for the growing axis to reach 21 digits.
constexpr std::size_t kGrowthDigits = 21;

std::size_t length_field_size(int major) { return major == 1 ? 2 : 4; }

// numpy's _wrap_header: magic, version, little-endian length, dict, spaces, newline,
// padded so the data starts on a 64-byte boundary.
std::optional<std::string> wrap_header(const std::string& dict, int major) {
  const std::size_t field = length_field_size(major);
  const std::size_t hlen = dict.size() + 1;
  const std::size_t padlen = kAlign - ((kMagicLen + 2 + field + hlen) % kAlign);
  const std::size_t total = hlen + padlen;
  if (major == 1 && total > 0xffff) return std::nullopt;
  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < field; ++i) out += static_cast<char>((total >> (8 * i)) & 0xff);
  out += dict;
  out.append(padlen, ' ');
  out += '\n';
  return out;
}

// A recursive-descent reader of the one dict numpy writes; every error names the file.
class DictParser {
 public:
  DictParser(std::string_view text, const std::string& name, bool allow_text)
      : text_(text), name_(name), allow_text_(allow_text) {}

  NpyHeader parse() {
    NpyHeader header;
    bool has_descr = false, has_order = false, has_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (peek() == '[' || peek() == '{')
          throw TypeError(name_ + ": structured (record) dtypes are not supported; expected a single numeric dtype");
        const std::string descr = string_literal();
        if (allow_text_ && is_text(descr))
          header.text_descr = descr;
        else
          header.dtype = numeric_dtype(descr);
        has_descr = true;
      } else if (key == "fortran_order") {
        header.order = boolean() ? Order::Fortran : Order::C;
        has_order = true;
      } else if (key == "shape") {
        header.shape = tuple();
        has_shape = true;
      } else {
        fail("unexpected key '" + key + "' (expected descr, fortran_order and shape)");
      }
      skip_space();
      if (peek() == ',') ++pos_;
    }
    if (!has_descr || !has_order || !has_shape) fail("header lacks one of the keys descr, fortran_order, shape");
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::string_view shown = text_.substr(0, 200);
    while (!shown.empty() && std::isspace(static_cast<unsigned char>(shown.back()))) shown.remove_suffix(1);
    throw FormatError(name_ + ": bad .npy header: " + what + " at character " + std::to_string(pos_) + " of \"" +
                      std::string(shown) + "\"");
  }
  // numpy pickles object arrays ('|O') and stores text as 'S'/'U': say so rather than
  // "unknown type".
  DType numeric_dtype(const std::string& descr) const {
    const std::string_view code = std::string_view(descr).substr(
        descr.empty() || std::string_view("<>|=").find(descr[0]) == std::string_view::npos ? 0 : 1);
    if (!code.empty() && std::string_view("OSUVMmaw").find(code[0]) != std::string_view::npos)
      throw TypeError(name_ + ": unsupported dtype '" + descr +
                      "' (object, string, void or datetime arrays are not numeric; expected bool, int8..64, "
                      "uint8..64, float16/32/64 or complex64/128)");
    return DType::from_descr(descr, name_);
  }
  // '|S3', '<U10': numpy's byte and UTF-32 strings of a fixed number of characters.
  static bool is_text(const std::string& descr) {
    return descr.size() >= 3 && std::string_view("<>|=").find(descr[0]) != std::string_view::npos &&
           (descr[1] == 'S' || descr[1] == 'U') &&
           std::all_of(descr.begin() + 2, descr.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
           descr.size() < 12;
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  bool boolean() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("expected True or False for fortran_order");
  }
  std::int64_t integer() {
    skip_space();
    if (peek() == '-') fail("negative extent in shape");
    if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected an integer in shape");
    constexpr std::int64_t kLimit = std::int64_t{1} << 62;
    std::int64_t v = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      const int digit = text_[pos_] - '0';
      if (v > (kLimit - digit) / 10) fail("shape extent overflows 2^62");
      v = v * 10 + digit;
      ++pos_;
    }
    if (peek() == 'L') ++pos_;  // written by Python 2
    return v;
  }
  Shape tuple() {
    expect('(');
    Shape shape;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      shape.push_back(integer());
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in shape");
      }
      if (shape.size() > 64) fail("more than 64 dimensions");
    }
    ++pos_;
    return shape;
  }

  std::string_view text_;
  const std::string& name_;
  bool allow_text_ = false;
  std::size_t pos_ = 0;
};

std::string printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (std::isprint(c)) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace

std::int64_t NpyHeader::data_bytes() const {
  std::size_t itemsize = dtype.itemsize();
  if (is_text()) itemsize = std::stoul(text_descr.substr(2)) * (text_descr[1] == 'U' ? 4 : 1);
  return element_count(shape, itemsize) * static_cast<std::int64_t>(itemsize);
}

std::string npy_header_dict(std::string_view descr, const Shape& shape, Order order) {
  return "{'descr': '" + std::string(descr) + "', 'fortran_order': " + (order == Order::Fortran ? "True" : "False") +
         ", 'shape': " + shape_string(shape) + ", }";
}

std::string format_npy_header(DType dtype, const Shape& shape, Order order, int version) {
  return format_npy_header(dtype.descr(), shape, order, version);
}

std::uint64_t npy_header_size(std::string_view first_bytes) {
  if (first_bytes.size() < 8 || first_bytes.substr(0, kMagicLen) != std::string_view(kMagic, kMagicLen)) return 0;
  const std::size_t field = length_field_size(static_cast<unsigned char>(first_bytes[6]));
  std::uint64_t hlen = 0;
  for (std::size_t i = 0; i < field && 8 + i < first_bytes.size(); ++i)
    hlen |= std::uint64_t{static_cast<unsigned char>(first_bytes[8 + i])} << (8 * i);
  return kMagicLen + 2 + field + hlen;
}

std::string format_npy_header(std::string_view descr, const Shape& shape, Order order, int version) {
  std::string dict = npy_header_dict(descr, shape, order);
  if (!shape.empty()) {
    const std::size_t digits = std::to_string(order == Order::Fortran ? shape.back() : shape.front()).size();
    if (digits < kGrowthDigits) dict.append(kGrowthDigits - digits, ' ');
  }
  if (version == 0) {
    if (auto v1 = wrap_header(dict, 1)) return *v1;
    return *wrap_header(dict, 2);
  }
  if (version < 1 || version > 3) throw Error("unsupported .npy format version " + std::to_string(version));
  auto header = wrap_header(dict, version);
  if (!header)
    throw FormatError(".npy header of " + std::to_string(dict.size()) + " bytes is too long for version 1.0");
  return *header;
}

NpyHeader parse_npy_header(std::string_view bytes, std::int64_t file_size, const std::string& name, bool allow_text) {
  if (file_size == 0) throw FormatError(name + ": not a .npy file: it is empty (0 bytes)");
  if (bytes.size() < kMagicLen || bytes.substr(0, kMagicLen) != std::string_view(kMagic, kMagicLen))
    throw FormatError(name + ": not a .npy file: it starts with '" + printable(bytes.substr(0, kMagicLen)) +
                      "', expected '\\x93NUMPY'");
  if (bytes.size() < kMagicLen + 2)
    throw FormatError(name + ": truncated .npy header (" + std::to_string(file_size) + " bytes)");
  NpyHeader header;
  header.major = static_cast<unsigned char>(bytes[6]);
  header.minor = static_cast<unsigned char>(bytes[7]);
  if (header.major < 1 || header.major > 3 || header.minor != 0)
    throw FormatError(name + ": unsupported .npy format version " + header.version_string() +
                      " (expected 1.0, 2.0 or 3.0)");
  const std::size_t field = length_field_size(header.major);
  const std::size_t prefix = kMagicLen + 2 + field;
  if (bytes.size() < prefix)
    throw FormatError(name + ": truncated .npy header (" + std::to_string(file_size) + " bytes)");
  std::uint64_t hlen = 0;
  for (std::size_t i = 0; i < field; ++i) hlen |= std::uint64_t{static_cast<unsigned char>(bytes[8 + i])} << (8 * i);
  if (prefix + hlen > static_cast<std::uint64_t>(file_size) || prefix + hlen > bytes.size())
    throw FormatError(name + ": .npy header length " + std::to_string(hlen) + " runs past the end of the file (" +
                      std::to_string(file_size) + " bytes)");
  const NpyHeader dict = DictParser(bytes.substr(prefix, hlen), name, allow_text).parse();
  header.dtype = dict.dtype;
  header.text_descr = dict.text_descr;
  header.shape = dict.shape;
  header.order = dict.order;
  header.data_offset = static_cast<std::int64_t>(prefix + hlen);
  std::int64_t data = 0;
  try {
    data = header.data_bytes();
  } catch (const ShapeError&) {
    throw FormatError(name + ": shape " + shape_string(header.shape) + " of " + header.dtype.name() +
                      " overflows the addressable size");
  }
  if (file_size - header.data_offset < data)
    throw FormatError(name + ": truncated: header promises " + std::to_string(data) + " bytes of " +
                      header.dtype.name() + " data for shape " + shape_string(header.shape) + ", the file holds " +
                      std::to_string(file_size - header.data_offset));
  return header;
}

}  // namespace mammoth
