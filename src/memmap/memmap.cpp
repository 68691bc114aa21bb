#include "mammoth/memmap.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <thread>

#include "mammoth/error.hpp"
#include "mammoth/output.hpp"

namespace mammoth {

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void FileHandle::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

FileHandle open_file(const std::string& path, Mode mode) {
  if (mode == Mode::Write || mode == Mode::Exclusive)
    throw Error(path + ": mode '" + mode_string(mode) + "' creates a file; open an existing one with r, r+, a or c");
  const int flags = (mode_writes_file(mode) ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw_io_error(path, "cannot open", errno);
  FileHandle handle(fd);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) throw IoError(path + ": is a directory, not an array file", EISDIR);
  return handle;
}

std::int64_t file_size(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_io_error(path, "cannot stat", errno);
  return st.st_size;
}

void allocate_file(int fd, const std::string& path, std::int64_t bytes, bool preallocate) {
  if (preallocate && bytes > 0) {
    const int rc = ::posix_fallocate(fd, 0, bytes);
    if (rc != 0) throw_io_error(path, "cannot allocate " + std::to_string(bytes) + " bytes on disk", rc);
    return;
  }
  if (::ftruncate(fd, bytes) != 0) throw_io_error(path, "cannot resize to " + std::to_string(bytes) + " bytes", errno);
}

void read_at(int fd, const std::string& path, void* data, std::size_t n, std::int64_t offset) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, n, offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_io_error(path, "cannot read", errno);
    if (got == 0) throw FormatError(path + ": truncated: file ends at byte " + std::to_string(offset));
    p += got;
    n -= static_cast<std::size_t>(got);
    offset += got;
  }
}

void write_at(int fd, const std::string& path, const void* data, std::size_t n, std::int64_t offset) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t put = ::pwrite(fd, p, n, offset);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) throw_io_error(path, "cannot write " + std::to_string(n) + " bytes", errno);
    p += put;
    n -= static_cast<std::size_t>(put);
    offset += put;
  }
}

namespace {

// Hidden and named as every output's temporary (output.hpp), so a later run removes it
// when a SIGKILL left it behind.
std::string temporary_path(const std::string& path) {
  const std::filesystem::path p(path);
  return (p.parent_path() / mammoth::temporary_name(p.filename().string())).string();
}

// Moves tmp to path unless path exists. Filesystems without RENAME_NOREPLACE get link(),
// which fails on an existing name just the same.
void rename_exclusive(const std::string& tmp, const std::string& path) {
  int rc = ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && errno == EINVAL) {
    rc = ::link(tmp.c_str(), path.c_str());
    if (rc == 0) ::unlink(tmp.c_str());
  }
  if (rc != 0) {
    const int err = errno;
    throw_io_error(path, err == EEXIST ? "already exists (mode 'x' creates only new files)" : "cannot create", err);
  }
}

}  // namespace

FileHandle create_file(const std::string& path, Mode mode, std::string_view header, std::int64_t total_bytes,
                       bool preallocate, const std::function<void(int fd)>& fill) {
  const std::string tmp = temporary_path(path);
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw_io_error(path, "cannot create", errno);
  FileHandle handle(fd);
  // Replacing a file frees its pages and blocks when the last reference to the old inode
  // goes (~0.1 s per 400 MB, inside rename). Holding a reference across the rename and
  // dropping it on a background thread lets that work overlap the caller's.
  FileHandle old(mode == Mode::Exclusive ? -1 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  try {
    allocate_file(fd, path, total_bytes, preallocate);
    write_at(fd, path, header.data(), header.size(), 0);
    if (fill) fill(fd);
    if (mode == Mode::Exclusive) {
      rename_exclusive(tmp, path);
    } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
      throw_io_error(path, "cannot create", errno);
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (old) std::thread([old = std::move(old)]() mutable { old.reset(); }).detach();
  return handle;
}

Memmap map_array(const std::string& path, Mode mode, FileHandle fd, DType dtype, const Shape& shape, Order order,
                 std::int64_t offset) {
  const std::int64_t count = element_count(shape, dtype.itemsize(), path);
  const auto bytes = static_cast<std::size_t>(count) * dtype.itemsize();
  const std::int64_t size = file_size(fd.get(), path);
  if (offset < 0 || offset > size || static_cast<std::size_t>(size - offset) < bytes)
    throw FormatError(path + ": file holds " + std::to_string(size) + " bytes; " + dtype.name() + " shape " +
                      shape_string(shape) + " at offset " + std::to_string(offset) + " needs " +
                      std::to_string(offset + static_cast<std::int64_t>(bytes)));
  const bool writable = mode != Mode::Read;
  const MapMode map_mode = mode == Mode::CopyOnWrite ? MapMode::CopyOnWrite
                           : writable                ? MapMode::ReadWrite
                                                     : MapMode::Read;
  auto storage = std::make_shared<FileMap>(fd.get(), offset, bytes, map_mode, path);
  AnyArray array(storage, storage->data(), dtype, shape, contiguous_strides(shape, order), writable);
  return Memmap(path, mode, std::move(fd), std::move(storage), std::move(array), order, offset);
}

Memmap::Memmap(std::string path, Mode mode, FileHandle fd, std::shared_ptr<FileMap> storage, AnyArray array,
               Order order, std::int64_t offset)
    : path_(std::move(path)),
      mode_(mode),
      fd_(std::move(fd)),
      storage_(std::move(storage)),
      array_(std::move(array)),
      order_(order),
      offset_(offset) {}

Memmap Memmap::open_raw(const std::string& path, const RawLayout& layout, Mode mode) {
  if (mode == Mode::Append) mode = Mode::ReadWrite;
  FileHandle fd = open_file(path, mode);
  Shape shape = layout.shape;
  if (shape.empty()) {
    const std::int64_t size = file_size(fd.get(), path);
    const auto item = static_cast<std::int64_t>(layout.dtype.itemsize());
    if (layout.offset < 0 || layout.offset > size)
      throw FormatError(path + ": offset " + std::to_string(layout.offset) + " lies outside the file (" +
                        std::to_string(size) + " bytes)");
    if ((size - layout.offset) % item != 0)
      throw FormatError(path + ": " + std::to_string(size - layout.offset) + " bytes after offset " +
                        std::to_string(layout.offset) + " are not a whole number of " + layout.dtype.name() + " items");
    shape = {(size - layout.offset) / item};
  }
  return map_array(path, mode, std::move(fd), layout.dtype, shape, layout.order, layout.offset);
}

Memmap Memmap::create_raw(const std::string& path, const CreateOptions& options, std::int64_t offset, Mode mode) {
  if (mode != Mode::Write && mode != Mode::Exclusive) mode = Mode::Write;
  const std::int64_t count = element_count(options.shape, options.dtype.itemsize(), path);
  const std::int64_t total = offset + count * static_cast<std::int64_t>(options.dtype.itemsize());
  FileHandle fd = create_file(path, mode, {}, total, options.preallocate);
  return map_array(path, Mode::ReadWrite, std::move(fd), options.dtype, options.shape, options.order, offset);
}

void Memmap::require_open(const char* what) const {
  if (!storage_) throw Error((path_.empty() ? std::string("memmap") : path_) + ": " + what + " after close()");
}

const AnyArray& Memmap::array() const {
  require_open("array()");
  return array_;
}

void Memmap::flush() {
  require_open("flush()");
  if (mode_writes_file(mode_)) storage_->sync(0, storage_->size(), true);
}

void Memmap::close() {
  if (!storage_) return;
  flush();
  storage_.reset();
  array_ = AnyArray();
  fd_.reset();
}

std::pair<std::size_t, std::size_t> Memmap::byte_span(const Box& box) const {
  check_box(box, array_.shape(), path_);
  if (box.size() == 0) return {0, 0};
  Shape last = box.offset;
  for (std::size_t i = 0; i < last.size(); ++i) last[i] += box.count[i] - 1;
  const Layout whole{array_.shape(), array_.strides(), 0};
  const auto item = static_cast<std::size_t>(array_.dtype().itemsize());
  const auto first = static_cast<std::size_t>(checked_offset(whole, box.offset));
  const auto end = static_cast<std::size_t>(checked_offset(whole, last));
  return {first * item, (end + 1) * item};
}

void Memmap::advise(Access hint) {
  require_open("advise()");
  storage_->advise(hint, 0, storage_->size());
}

void Memmap::advise(Access hint, const Box& box) {
  require_open("advise()");
  const auto [first, end] = byte_span(box);
  storage_->advise(hint, first, end - first);
}

void Memmap::release(const Box& box) {
  require_open("release()");
  const auto [first, end] = byte_span(box);
  // A box of one run (its span is its bytes) is whole; the span of a block of columns also
  // covers other blocks' bytes, whose pages would be written back before they are filled.
  storage_->release(first, end - first, end - first == static_cast<std::size_t>(box.size()) * dtype().itemsize());
}

std::size_t Memmap::resident_bytes(const Box& box) const {
  require_open("resident_bytes()");
  const auto [first, end] = byte_span(box);
  return storage_->resident_bytes(first, end - first);
}

}  // namespace mammoth
