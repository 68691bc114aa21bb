// numpy's header dictionary: {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
#include "mammoth/sparse/npy_member.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "mammoth/error.hpp"

namespace mammoth::sparse {

std::size_t NpyHeader::data_bytes() const {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  return n * (is_text ? text_chars * (descr[1] == 'U' ? 4 : 1) : dtype.itemsize());
}

std::string npy_header(std::string_view descr, const Shape& shape) {
  std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t k = 0; k < shape.size(); ++k)
    dict += std::to_string(shape[k]) + (shape.size() == 1 || k + 1 < shape.size() ? ", " : "");
  if (!shape.empty()) dict.erase(dict.size() - (shape.size() == 1 ? 1 : 0));
  dict += "), }";
  const std::size_t total = (10 + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  const auto len = static_cast<std::uint16_t>(dict.size());
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>(len >> 8);
  return out + dict;
}

namespace {

[[noreturn]] void bad(const std::string& context, const std::string& what) {
  throw FormatError(context + ": not a valid .npy member: " + what);
}

std::string_view value_of(std::string_view dict, std::string_view key, const std::string& context) {
  const auto at = dict.find("'" + std::string(key) + "'");
  if (at == std::string_view::npos) bad(context, "header has no '" + std::string(key) + "'");
  auto rest = dict.substr(at + key.size() + 2);
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) bad(context, "header has no value for '" + std::string(key) + "'");
  rest = rest.substr(colon + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest;
}

}  // namespace

NpyHeader parse_npy_header(std::string_view bytes, const std::string& context) {
  NpyHeader h;
  if (bytes.size() < 10) return h;
  if (bytes.substr(0, 6) != "\x93NUMPY") bad(context, "missing the \\x93NUMPY magic");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t len = 0, start = 0;
  if (major == 1) {
    len = static_cast<unsigned char>(bytes[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return h;
    for (int k = 0; k < 4; ++k) len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + k])) << (8 * k);
    start = 12;
  } else {
    bad(context, "unknown format version " + std::to_string(major));
  }
  if (bytes.size() < start + len) return h;
  const std::string_view dict = bytes.substr(start, len);
  // descr
  auto d = value_of(dict, "descr", context);
  if (d.empty() || (d.front() != '\'' && d.front() != '"'))
    bad(context, "descr is not a simple string (structured dtype?)");
  const auto close = d.find(d.front(), 1);
  if (close == std::string_view::npos) bad(context, "unterminated descr");
  h.descr = std::string(d.substr(1, close - 1));
  const char kind = h.descr.size() >= 2 ? h.descr[1] : '?';
  if ((kind == 'S' || kind == 'U') &&
      (h.descr[0] == '|' || h.descr[0] == '<' || h.descr[0] == '>' || h.descr[0] == '=')) {
    h.is_text = true;
    const char* first = h.descr.data() + 2;
    const char* last = h.descr.data() + h.descr.size();
    const auto [end, ec] = std::from_chars(first, last, h.text_chars);
    if (ec != std::errc() || end != last || h.text_chars == 0 || h.text_chars > (std::size_t{1} << 20))
      bad(context, "bad string type '" + h.descr + "' (expected e.g. '|S3' or '<U5')");
  } else {
    h.dtype = DType::from_descr(h.descr, context);
  }
  // fortran_order
  h.fortran_order = value_of(dict, "fortran_order", context).substr(0, 4) == "True";
  // shape
  auto s = value_of(dict, "shape", context);
  if (s.empty() || s.front() != '(') bad(context, "shape is not a tuple");
  s.remove_prefix(1);
  while (true) {
    while (!s.empty() && (s.front() == ' ' || s.front() == ',')) s.remove_prefix(1);
    if (s.empty()) bad(context, "unterminated shape");
    if (s.front() == ')') break;
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || v < 0) bad(context, "shape holds something other than non-negative integers");
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    while (!s.empty() && s.front() == 'L') s.remove_prefix(1);
    h.shape.push_back(v);
  }
  h.header_bytes = start + len;
  return h;
}

}  // namespace mammoth::sparse
