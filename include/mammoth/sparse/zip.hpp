// A thin owner of libzip archives (RAII, move-only), with the .npy member helpers the
// .npz reader and writer need. libzip stays out of the public headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mammoth/npy.hpp"

namespace mammoth::sparse {

// Where a stored (uncompressed) member's bytes start in the file and how many there
// are, read from the zip's own directories (libzip does not expose offsets).
struct StoredMember {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::optional<std::uint32_t> crc;  // from the central directory
};

class ZipReader {
 public:
  explicit ZipReader(const std::string& path);
  ~ZipReader();
  ZipReader(ZipReader&&) noexcept;
  ZipReader& operator=(ZipReader&&) noexcept;

  const std::string& path() const { return path_; }
  bool has(const std::string& member) const;
  // The header of `member` ("data" reads "data.npy"); a header claiming more data than
  // the member holds (or a shape whose size overflows) is a FormatError/ShapeError.
  NpyHeader header(const std::string& member);
  // Reads the member's data (after its header) into dst, exactly `bytes` bytes.
  void read_data(const std::string& member, void* dst, std::size_t bytes);
  // A 0-d or 1-element text member ('format'), decoded from bytes or UTF-32.
  std::string read_text(const std::string& member);
  // Where a stored (uncompressed) member lies in the file; nullopt when it is deflated.
  std::optional<StoredMember> stored(const std::string& member);

 private:
  void check_claim(const std::string& member, const NpyHeader& h);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

class ZipWriter {
 public:
  // Creates (truncates) `path`; members are deflated when `compressed`, else stored,
  // on `threads` threads (0: OpenMP's count).
  ZipWriter(const std::string& path, bool compressed, int threads = 0);
  ~ZipWriter();  // discards an unfinished archive
  ZipWriter(ZipWriter&&) noexcept;
  ZipWriter& operator=(ZipWriter&&) noexcept;

  // Adds `member`.npy = header + bytes; `data` must stay alive until close().
  void add(const std::string& member, std::string header, const void* data, std::size_t bytes);
  // The same with the data pulled in pieces while close() writes the archive, in order
  // (members are written one after another), so a member of any size streams through.
  using Pull = std::function<void(char* dst, std::uint64_t offset, std::size_t bytes)>;
  void add(const std::string& member, std::string header, std::size_t bytes, Pull pull);
  void close();

  // The memory a writer on `threads` threads (0: OpenMP's count) holds while it writes,
  // beside the members' data: for deflated members, each thread's input and output block
  // and libdeflate compressor (~1.7 MiB a thread).
  static std::size_t working_bytes(bool compressed, int threads = 0);
  // The most deflating threads whose buffers fit in `memory` (at least 1).
  static int threads_within(std::size_t memory);

 private:
  void add(const std::string& member, std::string header, std::size_t bytes, Pull pull, const void* data);
  void align_stored(std::uint64_t index, std::size_t name_bytes, std::size_t header_bytes, std::size_t data_bytes);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

StoredMember stored_member(const std::string& path, const std::string& member);

}  // namespace mammoth::sparse
