// A read-only shared mapping of a byte range of a file, as the Storage behind a
// zero-copy dataset view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "mammoth/layout.hpp"

namespace mammoth::h5::detail {

class FileMapping final : public Storage {
 public:
  // Maps [offset, offset + length) of `path`; throws IoError when the file is shorter.
  FileMapping(const std::string& path, std::uint64_t offset, std::size_t length);
  ~FileMapping() override;
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;

  std::byte* data() override { return base_ + delta_; }
  std::size_t size() const override { return length_; }
  bool is_mapped() const override { return true; }
  // Drops the mapped pages from this process (they stay in the page cache), so
  // random gathers do not grow resident memory.
  void release_pages() const;
  // The same for bytes [begin, end) of the mapped range (whole pages inside it only).
  void release_pages(std::size_t begin, std::size_t end) const;
  // Asks the kernel to read bytes [begin, end) ahead (MADV_WILLNEED).
  void prefetch_pages(std::size_t begin, std::size_t end) const;

 private:
  std::byte* base_ = nullptr;
  std::size_t delta_ = 0;  // offset's distance past its page boundary
  std::size_t length_ = 0;
};

// Size of the file at `path`, or -1.
std::int64_t file_size(const std::string& path);

}  // namespace mammoth::h5::detail
