#include "mammoth/mapping.hpp"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <vector>

#include "../write_behind.hpp"
#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"  // read_at

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older kernels answer EINVAL and we touch instead
#endif

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
    case Access::Streamed:
      return MADV_HUGEPAGE;
  }
  return MADV_NORMAL;
}

// A zero-length mapping has no pages; its data() still needs a valid, aligned address.
alignas(64) std::byte empty_region[64];

// A file shrunk under its mapping turns the next touch of a page past its end into
// SIGBUS. populate()'s fallback touches through a guard that turns that into an
// exception; SIGBUS anywhere else goes on to the handler that was there before.
// volatile: the stores around the touch must not be merged away, a signal handler reads it.
thread_local sigjmp_buf* volatile touch_guard = nullptr;
struct sigaction previous_sigbus;

void on_sigbus(int signal, siginfo_t* info, void* context) {
  if (touch_guard) siglongjmp(*touch_guard, 1);
  if (previous_sigbus.sa_flags & SA_SIGINFO) {
    if (previous_sigbus.sa_sigaction) return previous_sigbus.sa_sigaction(signal, info, context);
  } else if (previous_sigbus.sa_handler != SIG_DFL && previous_sigbus.sa_handler != SIG_IGN) {
    return previous_sigbus.sa_handler(signal);
  }
  ::signal(SIGBUS, SIG_DFL);
  ::raise(SIGBUS);
}

void install_sigbus_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &previous_sigbus);
  });
}

// Reads one byte a page of [p, p + n); false when the file ended under the mapping.
bool touch_pages_guarded(const std::byte* p, std::size_t n) {
  install_sigbus_guard();
  sigjmp_buf jump;
  if (sigsetjmp(jump, 1) != 0) {
    touch_guard = nullptr;
    return false;
  }
  touch_guard = &jump;
  unsigned sum = 0;
  for (std::size_t i = 0; i < n; i += page_size())
    sum += static_cast<unsigned>(*static_cast<const volatile std::byte*>(p + i));
  if (n) sum += static_cast<unsigned>(*static_cast<const volatile std::byte*>(p + n - 1));
  touch_guard = nullptr;
  static_cast<void>(sum);
  return true;
}

}  // namespace

FileMap::FileMap(int fd, std::int64_t offset, std::size_t length, MapMode mode, std::string name)
    : length_(length), file_offset_(offset), mode_(mode), name_(std::move(name)) {
  if (length == 0) {
    data_ = empty_region;
    return;
  }
  const auto aligned = static_cast<std::int64_t>(static_cast<std::size_t>(offset) & ~(page_size() - 1));
  const auto delta = static_cast<std::size_t>(offset - aligned);
  mapped_ = delta + length;
  const int prot = PROT_READ | (mode == MapMode::Read ? 0 : PROT_WRITE);
  void* p = ::mmap(nullptr, mapped_, prot, mode == MapMode::CopyOnWrite ? MAP_PRIVATE : MAP_SHARED, fd, aligned);
  if (p == MAP_FAILED) throw_io_error(name_, "cannot map " + std::to_string(length) + " bytes into memory", errno);
  base_ = static_cast<std::byte*>(p);
  data_ = base_ + delta;
  // Without one (EMFILE) copy() is unavailable and released pages are not written behind.
  if (mode != MapMode::CopyOnWrite) fd_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

std::shared_ptr<FileMap> FileMap::open(const std::string& path, std::uint64_t offset, std::size_t length,
                                       MapMode mode) {
  const int fd = ::open(path.c_str(), (mode == MapMode::ReadWrite ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw_io_error(path, "cannot open for mapping", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw_io_error(path, "cannot stat", err);
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (length == kToEnd) length = offset <= size ? static_cast<std::size_t>(size - offset) : 0;
  // Mapping past the end of the file would turn a read into SIGBUS.
  if (offset > size || length > size - offset) {
    ::close(fd);
    throw FormatError(path + ": data ends at byte " + std::to_string(offset + length) + " but the file has only " +
                      std::to_string(size) + " bytes (truncated?)");
  }
  try {
    auto map = std::make_shared<FileMap>(fd, static_cast<std::int64_t>(offset), length, mode, path);
    ::close(fd);
    return map;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

FileMap::~FileMap() {
  write_behind_.reset();  // before fd_ closes
  if (base_ != nullptr) ::munmap(base_, mapped_);
  if (fd_ >= 0) ::close(fd_);
}

std::pair<std::byte*, std::size_t> FileMap::page_span(std::size_t offset, std::size_t bytes) const {
  if (base_ == nullptr || bytes == 0 || offset >= length_) return {nullptr, 0};
  bytes = std::min(bytes, length_ - offset);
  const std::size_t page = page_size();
  const auto first = static_cast<std::size_t>(data_ - base_) + offset;
  const std::size_t begin = first & ~(page - 1);
  const std::size_t end = std::min((first + bytes + page - 1) & ~(page - 1), (mapped_ + page - 1) & ~(page - 1));
  return {base_ + begin, end - begin};
}

void FileMap::advise(Access hint, std::size_t offset, std::size_t bytes) {
  if (hint == Access::DontNeed) return release(offset, bytes);
  // Written through huge pages, a file would be written back 2 MiB a changed byte.
  if (hint == Access::Streamed && mode_ != MapMode::Read) return;
  const auto [start, length] = page_span(offset, bytes);
  if (length != 0) (void)::madvise(start, length, madvise_flag(hint));
}

void FileMap::populate(std::size_t offset, std::size_t bytes) {
  const auto [start, length] = page_span(offset, bytes);
  if (length == 0) return;
  if (mode_ != MapMode::CopyOnWrite && ::madvise(start, length, MADV_POPULATE_READ) == 0) return;
  // EINVAL: a kernel before 5.14; EFAULT: the file ended inside the range. The guarded
  // touch tells the second apart from the first, on every kernel.
  if (!touch_pages_guarded(start, length)) throw ended_inside(offset, bytes);
}

void FileMap::release(std::size_t offset, std::size_t bytes, bool written) {
  if (is_private()) return;
  const auto [start, length] = page_span(offset, bytes);
  if (length == 0) return;
  if (fd_ >= 0 && mode_ == MapMode::ReadWrite && written) {
    if (!write_behind_) write_behind_ = std::make_unique<detail::WriteBehind>(fd_);
    write_behind_->request();
  }
  (void)::madvise(start, length, MADV_DONTNEED);
}

void FileMap::sync(std::size_t offset, std::size_t bytes, bool wait) {
  const auto [start, length] = page_span(offset, bytes);
  if (length == 0 || mode_ != MapMode::ReadWrite) return;
  if (wait && write_behind_)
    if (const int err = write_behind_->drain())
      throw_io_error(name_, "cannot write the mapped data back to the file", err);
  if (::msync(start, length, wait ? MS_SYNC : MS_ASYNC) != 0)
    throw_io_error(name_, "cannot write the mapped data back to the file", errno);
}

std::size_t FileMap::resident_bytes(std::size_t offset, std::size_t bytes) const {
  const auto [start, length] = page_span(offset, bytes);
  if (length == 0) return 0;
  const std::size_t page = page_size();
  std::vector<unsigned char> pages((length + page - 1) / page);
  if (::mincore(start, length, pages.data()) != 0) throw_io_error(name_, "mincore failed", errno);
  return static_cast<std::size_t>(std::count_if(pages.begin(), pages.end(), [](unsigned char c) { return c & 1; })) *
         page;
}

bool FileMap::resident(std::size_t offset, std::size_t bytes) const {
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  const std::pair<std::byte*, std::size_t> span = page_span(offset, bytes);
  std::byte* const start = span.first;
  const std::size_t length = span.second;
  if (length == 0) return true;
  const std::size_t page = page_size();
  const auto cached = [&](std::size_t at) {
    unsigned char c = 0;
    if (::mincore(start + at, page, &c) != 0) throw_io_error(name_, "mincore failed", errno);
    return (c & 1) != 0;
  };
  for (std::size_t at = 0; at < length; at += kResidentStride)
    if (!cached(at)) return false;
  return cached(length - page);
}

void FileMap::copy(std::size_t offset, std::size_t bytes, std::byte* dst) const {
  if (offset > length_ || bytes > length_ - offset)
    throw Error(name_ + ": bytes [" + std::to_string(offset) + ", " + std::to_string(offset + bytes) +
                ") lie outside its mapping of " + std::to_string(length_) + " bytes");
  try {
    read_at(fd_, name_, dst, bytes, file_offset_ + static_cast<std::int64_t>(offset));
  } catch (const FormatError&) {
    throw ended_inside(offset, bytes);  // shrunk under the mapping: as populate() says it
  }
}

IoError FileMap::ended_inside(std::size_t offset, std::size_t bytes) const {
  return IoError(name_ + ": the file ended inside bytes [" + std::to_string(offset) + ", " +
                     std::to_string(offset + bytes) + ") of its mapping (truncated while being read?)",
                 EIO);
}

}  // namespace mammoth
