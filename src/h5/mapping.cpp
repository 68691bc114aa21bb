#include "mapping.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "mammoth/error.hpp"

namespace mammoth::h5::detail {

std::int64_t file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return st.st_size;
}

FileMapping::FileMapping(const std::string& path, std::uint64_t offset, std::size_t length) : length_(length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io_error(path, "cannot open for mapping", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw_io_error(path, "cannot stat", err);
  }
  // Mapping past the end of the file would turn a read into SIGBUS.
  if (offset + length > static_cast<std::uint64_t>(st.st_size)) {
    ::close(fd);
    throw FormatError(path + ": dataset data ends at byte " + std::to_string(offset + length) +
                      " but the file has only " + std::to_string(st.st_size) + " bytes (truncated?)");
  }
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t aligned = offset / page * page;
  delta_ = static_cast<std::size_t>(offset - aligned);
  void* p =
      ::mmap(nullptr, length + delta_ + (length == 0 ? 1 : 0), PROT_READ, MAP_SHARED, fd, static_cast<off_t>(aligned));
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) throw_io_error(path, "cannot map the dataset", err);
  base_ = static_cast<std::byte*>(p);
}

FileMapping::~FileMapping() {
  if (base_) ::munmap(base_, length_ + delta_ + (length_ == 0 ? 1 : 0));
}

void FileMapping::release_pages() const { ::madvise(base_, length_ + delta_, MADV_DONTNEED); }

void FileMapping::release_pages(std::size_t begin, std::size_t end) const {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  // Partial pages at either end stay: a neighbouring block may be using them.
  const std::size_t first = (begin + delta_ + page - 1) / page * page;
  const std::size_t last = std::min(end + delta_, length_ + delta_) / page * page;
  if (last > first) ::madvise(base_ + first, last - first, MADV_DONTNEED);
}

void FileMapping::prefetch_pages(std::size_t begin, std::size_t end) const {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t first = (begin + delta_) / page * page;
  const std::size_t last = std::min(end + delta_, length_ + delta_);
  if (last > first) ::madvise(base_ + first, last - first, MADV_WILLNEED);
}

}  // namespace mammoth::h5::detail
