#include "mammoth/output.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <typeinfo>
#include <utility>

#include "../h5/call.hpp"
#include "../write_behind.hpp"
#include "mammoth/error.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/path.hpp"

namespace mammoth {
namespace {

std::atomic<int> counter{0};
std::atomic<int> live{0};
constexpr const char* kMarker = ".mammoth-tmp-";

// "/a/b/x" -> {"/a/b", "x"}
std::pair<std::string, std::string> split_inner(const std::string& inner) {
  const auto slash = inner.rfind('/');
  return {slash == 0 ? "/" : inner.substr(0, slash), inner.substr(slash + 1)};
}

void fsync_file(const std::string& path, const std::string& destination) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io_error(destination, "cannot open the finished output to sync it", errno);
  const int rc = detail::sync_data(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_io_error(destination, "cannot sync the finished output to disk", err);
}

// The PID in "….mammoth-tmp-PID-N…", or -1 when `name` is not a temporary's.
long temporary_pid(const std::string& name) {
  const auto at = name.find(kMarker);
  if (at == std::string::npos) return -1;
  const char* p = name.c_str() + at + std::char_traits<char>::length(kMarker);
  char* end = nullptr;
  const long pid = std::strtol(p, &end, 10);
  return end != p && *end == '-' && pid > 0 ? pid : -1;
}

bool process_gone(long pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

std::string without_leading_dots(const std::string& name) {
  return name.substr(std::min(name.find_first_not_of('.'), name.size()));
}

// Temporaries of NAME start with NAME + marker once their leading dots are dropped (a
// temporary of a temporary, as memmap's create_file makes of one, has two).
bool is_stale_temporary_of(const std::string& entry, const std::string& name) {
  const bool ours = without_leading_dots(entry).rfind(without_leading_dots(name) + kMarker, 0) == 0;
  const long pid = temporary_pid(entry);
  return ours && pid > 0 && process_gone(pid);
}

// Objects of one process may not wait for each other's lock: a file this process has
// locked already is not locked twice.
std::mutex held_mutex;
std::set<std::pair<dev_t, ino_t>> held;

std::pair<dev_t, ino_t> identity(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  return {st.st_dev, st.st_ino};
}

// Takes the write lock on the whole file, waiting for other writers (a Ctrl-C while waiting cancels).
bool lock_file(int fd, const std::string& destination) {
  {
    std::lock_guard<std::mutex> guard(held_mutex);
    if (!held.insert(identity(fd)).second) return false;
  }
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  for (;;) {
    if (::fcntl(fd, F_OFD_SETLK, &fl) == 0) return true;
    const int err = errno;
    if (err != EAGAIN && err != EACCES && err != EINTR) {
      std::lock_guard<std::mutex> guard(held_mutex);
      held.erase(identity(fd));
      if (err == EINVAL)
        return false;  // a file system without OFD locks: libhdf5's flock still refuses a second writer
      throw_io_error(destination, "cannot lock the file for writing", err);
    }
    if (ooc::cancel_requested()) {
      std::lock_guard<std::mutex> guard(held_mutex);
      held.erase(identity(fd));
      throw ooc::Cancelled();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void unlock_file(int fd) {
  std::lock_guard<std::mutex> guard(held_mutex);
  held.erase(identity(fd));
  struct flock fl {};
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  ::fcntl(fd, F_OFD_SETLK, &fl);
}

std::int64_t file_size(int fd, const std::string& destination) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_io_error(destination, "cannot stat", errno);
  return st.st_size;
}

void check_file_size_limit(const std::string& destination, std::int64_t bytes) {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      static_cast<std::uint64_t>(bytes) > limit.rlim_cur)
    throw IoError(destination + ": the file would grow to about " + std::to_string(bytes) +
                      " bytes, past the file-size limit of " + std::to_string(limit.rlim_cur) +
                      " bytes (ulimit -f); nothing was written",
                  EFBIG);
}

[[noreturn]] void throw_no_space(const std::string& destination, std::int64_t extra, int err) {
  throw IoError(
      destination + ": not enough disk space for about " + std::to_string(extra) + " more bytes; nothing was written",
      err);
}

// Fails when the file system of `fd` (a file or a folder) has less than `extra` bytes free.
void check_free_space(int fd, const std::string& destination, std::int64_t extra) {
  struct statvfs fs {};
  if (::fstatvfs(fd, &fs) == 0 && static_cast<double>(fs.f_bavail) * fs.f_frsize < static_cast<double>(extra))
    throw_no_space(destination, extra, ENOSPC);
}

// Fails unless `extra` bytes past `size` fit under RLIMIT_FSIZE and on the disk; on
// success the disk blocks are allocated (beyond the end of file, which stays as it is).
void reserve(int fd, const std::string& destination, std::int64_t size, std::int64_t extra) {
  check_file_size_limit(destination, size + extra);
  if (::fallocate(fd, FALLOC_FL_KEEP_SIZE, size, extra) == 0) return;
  const int err = errno;
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) throw_no_space(destination, extra, err);
  check_free_space(fd, destination, extra);  // no fallocate here (EOPNOTSUPP): at least compare
}

// A whole new file: refused up front when it cannot fit (its writer allocates it later).
void check_room_for_new_file(const std::string& folder, const std::string& destination, std::int64_t bytes) {
  if (bytes <= 0) return;
  check_file_size_limit(destination, bytes);
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // the writer reports a missing folder with its own words
  try {
    check_free_space(fd, destination, bytes);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

// Moves `from` to `to` unless `to` exists (false then).
bool rename_new(const std::string& from, const std::string& to) {
  int rc = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && errno == EINVAL) {  // file systems without RENAME_NOREPLACE: link() refuses an existing name too
    rc = ::link(from.c_str(), to.c_str());
    if (rc == 0) ::unlink(from.c_str());
  }
  if (rc == 0) return true;
  if (errno == EEXIST) return false;
  throw_io_error(to, "cannot move the finished output into place", errno);
}

// Copies `inner` of `from` to `to_inner` of the file `to` (intermediate groups created).
void copy_object(const std::string& from, const std::string& inner, const std::string& to,
                 const std::string& to_inner) {
  h5::File source(from, Mode::Read);
  h5::File target(to, Mode::ReadWrite);
  h5::Handle lcpl = h5::detail::open("create link properties", to, H5Pcreate, H5P_LINK_CREATE);
  h5::detail::call("create intermediate groups", to, H5Pset_create_intermediate_group, lcpl.get(), 1u);
  h5::detail::call("copy " + inner + " into", to + ":" + to_inner, H5Ocopy, source.id(), inner.c_str(), target.id(),
                   to_inner.c_str(), H5P_DEFAULT, lcpl.get());
  target.flush();
}

}  // namespace

std::string temporary_name(const std::string& name, const std::string& extension) {
  return "." + name + kMarker + std::to_string(::getpid()) + "-" + std::to_string(counter++) + extension;
}

int remove_stale_temporaries(const std::string& dir, const std::string& name) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir.empty() ? "." : dir, ec)) {
    const std::string entry_name = entry.path().filename().string();
    if (is_stale_temporary_of(entry_name, name) && std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  return removed;
}

int OutputCommit::active() noexcept { return live.load(); }

OutputCommit::OutputCommit(const std::string& spec, std::int64_t expected_bytes) : final_spec_(spec) {
  const StorePath path = parse_store_path(spec);
  const std::filesystem::path p(path.file);
  remove_stale_temporaries(p.parent_path().string(), p.filename().string());
  in_place_ = path.is_hdf5() && std::filesystem::exists(path.file);
  if (in_place_) {
    file_ = path.file;
    final_inner_ = path.inner;
    open_in_place(expected_bytes);
    temp_spec_ = file_ + ":" + temp_inner_;
  } else {
    check_room_for_new_file(p.parent_path().string(), path.file, expected_bytes);
    file_ = (p.parent_path() / temporary_name(p.filename().string(), p.extension().string())).string();
    temp_spec_ = path.is_hdf5() ? file_ + ":" + path.inner : file_;
  }
  ++live;
}

// Locks the HDF5 file, reserves room for the object, removes the temporary links of dead
// writers beside it and names this writer's temporary link.
void OutputCommit::open_in_place(std::int64_t expected_bytes) {
  const auto [dir, name] = split_inner(final_inner_);
  temp_inner_ = (dir == "/" ? "/" : dir + "/") + temporary_name(name);
  lock_fd_ = ::open(file_.c_str(), O_RDWR | O_CLOEXEC);
  if (lock_fd_ < 0) throw_io_error(file_, "cannot open for writing", errno);
  try {
    if (!lock_file(lock_fd_, file_)) {
      ::close(lock_fd_);
      lock_fd_ = -1;
    }
    const int fd = lock_fd_ >= 0 ? lock_fd_ : ::open(file_.c_str(), O_RDWR | O_CLOEXEC);
    const std::int64_t size = file_size(fd, file_);
    const std::int64_t extra = expected_bytes + expected_bytes / 32 + (std::int64_t{1} << 20);
    try {
      reserve(fd, file_, size, extra);
    } catch (...) {
      if (fd != lock_fd_) ::close(fd);
      throw;
    }
    if (fd != lock_fd_) ::close(fd);
    reserved_end_ = size + extra;
    h5::File file(file_, Mode::ReadWrite);
    if (file.contains(dir) && file.kind(dir) == h5::ObjectKind::Group)
      for (const h5::Member& m : file.group(dir).members())
        if (temporary_pid(m.name) > 0 && process_gone(temporary_pid(m.name)))
          file.remove((dir == "/" ? "/" : dir + "/") + m.name);
    file.flush();
  } catch (...) {
    release_reservation();
    throw;
  }
}

OutputCommit::~OutputCommit() {
  if (!done_) discard();
  release_reservation();
  --live;
}

void OutputCommit::release_reservation() noexcept {
  if (reserved_end_ > 0) {
    const int fd = lock_fd_ >= 0 ? lock_fd_ : ::open(file_.c_str(), O_RDWR | O_CLOEXEC);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && reserved_end_ > st.st_size) {
      // Blocks allocated past the end of file stay allocated until released: tmpfs frees
      // them on a punched hole, ext4 on a truncate to the same size.
      ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, st.st_size, reserved_end_ - st.st_size);
      [[maybe_unused]] const int rc = ::ftruncate(fd, st.st_size);
    }
    if (fd >= 0 && fd != lock_fd_) ::close(fd);
    reserved_end_ = 0;
  }
  if (lock_fd_ >= 0) {
    unlock_file(lock_fd_);
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
}

void OutputCommit::discard() noexcept {
  try {
    if (!in_place_) {
      std::remove(file_.c_str());
      return;
    }
    h5::File file(file_, Mode::ReadWrite);
    if (file.contains(temp_inner_)) file.remove(temp_inner_);
    file.flush();
  } catch (...) {
    // Nothing better to do while already failing: the temporary keeps its telling name,
    // and the next run removes it.
  }
}

std::string OutputCommit::name_destination(const std::string& message) const {
  const std::string from = in_place_ ? temp_inner_ : file_;
  const std::string to = in_place_ ? final_inner_ : parse_store_path(final_spec_).file;
  std::string out = message;
  for (auto at = out.find(from); at != std::string::npos; at = out.find(from, at + to.size()))
    out.replace(at, from.size(), to);
  return out;
}

void OutputCommit::write(const std::function<void()>& write) const {
  try {
    write();
  } catch (const IoError& e) {
    throw IoError(name_destination(e.what()), e.errnum());
  } catch (const FormatError& e) {
    throw FormatError(name_destination(e.what()));
  } catch (const ShapeError& e) {
    throw ShapeError(name_destination(e.what()));
  } catch (const TypeError& e) {
    throw TypeError(name_destination(e.what()));
  } catch (const h5::Error& e) {
    throw h5::Error(name_destination(e.what()));
  } catch (const Error& e) {
    // Other kinds (a cancel) name no file: they pass as they are.
    if (typeid(e) != typeid(Error)) throw;
    throw Error(name_destination(e.what()));
  }
}

// A new HDF5 file another writer created meanwhile: this writer's object joins it.
void OutputCommit::merge_into_existing_file() {
  const std::string temporary_file = file_;
  const std::string inner = parse_store_path(final_spec_).inner;
  try {
    file_ = parse_store_path(final_spec_).file;
    final_inner_ = inner;
    in_place_ = true;
    std::error_code ec;
    open_in_place(static_cast<std::int64_t>(std::filesystem::file_size(temporary_file, ec)));
    copy_object(temporary_file, inner, file_, temp_inner_);
  } catch (...) {
    std::remove(temporary_file.c_str());
    throw;
  }
  std::remove(temporary_file.c_str());
}

void OutputCommit::commit() {
  if (ooc::cancel_requested()) throw ooc::Cancelled();
  const StorePath destination = parse_store_path(final_spec_);
  if (!in_place_) {
    fsync_file(file_, destination.file);
    if (!destination.is_hdf5()) {
      if (std::rename(file_.c_str(), destination.file.c_str()) != 0)
        throw_io_error(destination.file, "cannot move the finished output into place", errno);
      done_ = true;
      return;
    }
    if (rename_new(file_, destination.file)) {
      done_ = true;
      return;
    }
    merge_into_existing_file();
  }
  // The new object's bytes reach the disk before the old object's link goes, and the swap
  // right after: a power cut then finds the old object or the new one, never a link to
  // data still in the page cache (libhdf5's flush only hands them to the kernel).
  h5::File file(file_, Mode::ReadWrite);
  file.flush();
  fsync_file(file_, destination.file);
  if (file.contains(final_inner_)) file.remove(final_inner_);
  file.move(temp_inner_, final_inner_);
  file.flush();
  fsync_file(file_, destination.file);
  done_ = true;
}

}  // namespace mammoth
