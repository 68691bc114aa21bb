#include "mammoth/sparse/vector_io.hpp"

namespace mammoth::sparse {

NpyHeader read_npy_file_header(const std::string& path, std::ifstream& in) {
  std::string bytes(12, '\0');
  in.read(bytes.data(), 12);
  if (in.gcount() < 10) throw FormatError(path + ": too short for a .npy file");
  NpyHeader h = parse_npy_header(bytes.substr(0, 10), path);
  const std::size_t len = static_cast<unsigned char>(bytes[6]) == 1
                              ? 10 + (static_cast<unsigned char>(bytes[8]) |
                                      (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8))
                              : 12 + (static_cast<std::size_t>(static_cast<unsigned char>(bytes[8])) |
                                      (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8) |
                                      (static_cast<std::size_t>(static_cast<unsigned char>(bytes[10])) << 16) |
                                      (static_cast<std::size_t>(static_cast<unsigned char>(bytes[11])) << 24));
  bytes.resize(len);
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(len));
  h = parse_npy_header(bytes, path);
  if (h.header_bytes == 0) throw FormatError(path + ": truncated .npy header");
  return h;
}

}  // namespace mammoth::sparse
