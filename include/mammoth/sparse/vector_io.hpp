// 1-d dense vectors as .npy files, for `spmv` input and output. A small stand-in
// over the npy member header code until the npy module's reader/writer is on main.
#pragma once

#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "mammoth/sparse/npy_member.hpp"

namespace mammoth::sparse {

NpyHeader read_npy_file_header(const std::string& path, std::ifstream& in);

template <Scalar T>
std::vector<T> read_npy_vector(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io_error(path, "cannot open", errno);
  const NpyHeader h = read_npy_file_header(path, in);
  if (h.is_text) throw TypeError(path + ": holds strings, expected numbers");
  std::size_t n = 1;
  for (auto d : h.shape) n *= static_cast<std::size_t>(d);
  if (h.shape.size() > 2 || (h.shape.size() == 2 && h.shape[1] != 1 && h.shape[0] != 1))
    throw ShapeError(path + ": expected a vector, found shape " + shape_string(h.shape));
  std::vector<std::byte> raw(n * h.dtype.itemsize());
  in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
  if (static_cast<std::size_t>(in.gcount()) != raw.size())
    throw FormatError(path + ": truncated: expected " + std::to_string(raw.size()) + " data bytes");
  std::vector<T> out(n);
  convert(raw.data(), h.dtype, out.data(), dtype_of<T>(), n);
  return out;
}

template <Scalar T>
void write_npy_vector(const std::string& path, std::span<const T> v) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw_io_error(path, "cannot create", errno);
  const std::string h = npy_header(dtype_of<T>().descr(), {static_cast<std::int64_t>(v.size())});
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size_bytes()));
  out.flush();
  if (!out) throw_io_error(path, "cannot write", errno);
}

}  // namespace mammoth::sparse
