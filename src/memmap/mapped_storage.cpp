#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"

namespace mammoth {
namespace {

std::size_t page_size() {
  static const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

int madvise_flag(Access hint) {
  switch (hint) {
    case Access::Normal:
      return MADV_NORMAL;
    case Access::Sequential:
      return MADV_SEQUENTIAL;
    case Access::Random:
      return MADV_RANDOM;
    case Access::WillNeed:
      return MADV_WILLNEED;
    case Access::DontNeed:
      return MADV_DONTNEED;
  }
  return MADV_NORMAL;
}

// A zero-length mapping has no pages; its data() still needs a valid, aligned address.
alignas(64) std::byte empty_region[64];

}  // namespace

MappedStorage::MappedStorage(int fd, std::int64_t offset, std::size_t length, bool writable, bool private_copy,
                             const std::string& name)
    : length_(length), private_(private_copy), name_(name) {
  if (length == 0) {
    data_ = empty_region;
    return;
  }
  const auto aligned = static_cast<std::int64_t>(static_cast<std::size_t>(offset) & ~(page_size() - 1));
  const auto delta = static_cast<std::size_t>(offset - aligned);
  mapped_ = delta + length;
  const int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = ::mmap(nullptr, mapped_, prot, private_copy ? MAP_PRIVATE : MAP_SHARED, fd, aligned);
  if (p == MAP_FAILED) throw_io_error(name, "cannot map " + std::to_string(length) + " bytes into memory", errno);
  base_ = static_cast<std::byte*>(p);
  data_ = base_ + delta;
}

MappedStorage::~MappedStorage() {
  if (base_ != nullptr) ::munmap(base_, mapped_);
}

std::pair<std::byte*, std::size_t> MappedStorage::page_span(std::size_t offset, std::size_t bytes) const {
  if (base_ == nullptr || bytes == 0 || offset >= length_) return {nullptr, 0};
  bytes = std::min(bytes, length_ - offset);
  const std::size_t page = page_size();
  const auto first = static_cast<std::size_t>(data_ - base_) + offset;
  const std::size_t begin = first & ~(page - 1);
  const std::size_t end = std::min((first + bytes + page - 1) & ~(page - 1), (mapped_ + page - 1) & ~(page - 1));
  return {base_ + begin, end - begin};
}

void MappedStorage::sync(std::size_t offset, std::size_t bytes, bool wait) {
  const auto [start, length] = page_span(offset, bytes);
  if (length == 0 || private_) return;
  if (::msync(start, length, wait ? MS_SYNC : MS_ASYNC) != 0)
    throw_io_error(name_, "cannot write the mapped data back to the file", errno);
}

void MappedStorage::advise(Access hint, std::size_t offset, std::size_t bytes) {
  if (hint == Access::DontNeed && private_) return;
  const auto [start, length] = page_span(offset, bytes);
  if (length == 0) return;
  // A refused hint changes speed, never results: ignore failures.
  (void)::madvise(start, length, madvise_flag(hint));
}

std::size_t MappedStorage::resident_bytes(std::size_t offset, std::size_t bytes) const {
  const auto [start, length] = page_span(offset, bytes);
  if (length == 0) return 0;
  const std::size_t page = page_size();
  std::vector<unsigned char> pages((length + page - 1) / page);
  if (::mincore(start, length, pages.data()) != 0) throw_io_error(name_, "mincore failed", errno);
  return static_cast<std::size_t>(std::count_if(pages.begin(), pages.end(), [](unsigned char c) { return c & 1; })) *
         page;
}

}  // namespace mammoth
