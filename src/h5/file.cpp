#include "mammoth/h5/file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "call.hpp"
#include "mammoth/units.hpp"

namespace mammoth::h5 {

using detail::call;
using detail::open;

namespace {

using FileKey = std::pair<std::uint64_t, std::uint64_t>;

std::optional<FileKey> key_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileKey{st.st_dev, st.st_ino};
}

// The files under a WriteIntent (guarded by detail::lock()).
std::multiset<FileKey>& intended_writes() {
  static std::multiset<FileKey> files;
  return files;
}

bool write_intended(const std::string& path) {
  if (intended_writes().empty()) return false;
  const auto key = key_of(path);
  return key && intended_writes().count(*key) > 0;
}

Handle access_plist(const std::string& path, const FileOptions& options) {
  Handle fapl = open("create file access properties", path, H5Pcreate, H5P_FILE_ACCESS);
  detail::apply_alignment(fapl.get(), path);
  if (!options.locking) call("turn file locking off", path, H5Pset_file_locking, fapl.get(), false, true);
  if (options.cache) {
    int mdc = 0;
    std::size_t slots = 0, bytes = 0;
    double w0 = 0;
    call("get cache", path, H5Pget_cache, fapl.get(), &mdc, &slots, &bytes, &w0);
    call("set cache", path, H5Pset_cache, fapl.get(), mdc, options.cache->slots, options.cache->bytes,
         options.cache->w0);
  }
  return fapl;
}

Handle open_existing(const std::string& path, bool write, hid_t fapl) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw IoError(path + ": no such file", ENOENT);
  if (std::filesystem::is_directory(path, ec)) throw IoError(path + ": is a directory, not an HDF5 file", EISDIR);
  if (!is_hdf5(path))
    throw FormatError(path +
                      ": not an HDF5 file (no HDF5 signature found; expected a file written by libhdf5 or h5py)");
  return open(write ? "open for reading and writing" : "open", path, H5Fopen, path.c_str(),
              write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
}

Handle create(const std::string& path, bool exclusive, hid_t fapl) {
  return open(exclusive ? "create (it must not exist)" : "create", path, H5Fcreate, path.c_str(),
              exclusive ? H5F_ACC_EXCL : H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
}

Handle open_file(const std::string& path, Mode mode, const FileOptions& options) {
  auto guard = detail::lock();
  Handle fapl = access_plist(path, options);
  switch (mode) {
    case Mode::Read:
      // Read-write only when it can be: without write permission, the writer's own open
      // reports the problem in its words.
      return open_existing(path, write_intended(path) && ::access(path.c_str(), W_OK) == 0, fapl.get());
    case Mode::ReadWrite:
      return open_existing(path, true, fapl.get());
    case Mode::Write:
      return create(path, false, fapl.get());
    case Mode::Exclusive:
      if (std::filesystem::exists(path)) throw IoError(path + ": already exists (mode 'x')", EEXIST);
      return create(path, true, fapl.get());
    case Mode::Append:
      return std::filesystem::exists(path) ? open_existing(path, true, fapl.get()) : create(path, true, fapl.get());
    case Mode::CopyOnWrite:
      break;
  }
  throw Error(path + ": HDF5 files open with mode r, r+, w, x or a, not '" + mode_string(mode) + "'");
}

}  // namespace

WriteIntent::WriteIntent(const std::string& path) : file_(key_of(path)) {
  if (!file_) return;
  auto guard = detail::lock();
  intended_writes().insert(*file_);
}

WriteIntent::~WriteIntent() {
  if (!file_) return;
  auto guard = detail::lock();
  intended_writes().erase(intended_writes().find(*file_));
}

bool is_hdf5(const std::string& path) {
  auto guard = detail::lock();
  detail::init_library();
  const htri_t r = H5Fis_hdf5(path.c_str());
  H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

File::File(const std::string& path, Mode mode, const FileOptions& options)
    : Group(open_file(path, mode, options), path, "/", mode != Mode::Read), mode_(mode) {}

File::~File() {
  try {
    close();
  } catch (...) {  // destructors do not throw; call close() to see the error
  }
}

void File::flush() {
  if (!id_.valid()) throw Error(file_ + ": the file is closed");
  if (writable_) call("flush", file_, H5Fflush, id_.get(), H5F_SCOPE_GLOBAL);
}

void File::close() {
  if (!id_.valid()) return;
  auto guard = detail::lock();
  Handle id = std::move(id_);
  call("close", file_, H5Fclose, id.release());
}

namespace detail {

void apply_alignment(hid_t fapl, const std::string& file) {
  const char* text = std::getenv("MAMMOTH_HDF5_ALIGNMENT");
  if (!text || !*text) return;
  const auto alignment = static_cast<hsize_t>(parse_bytes(text, "MAMMOTH_HDF5_ALIGNMENT"));
  call("set alignment", file, H5Pset_alignment, fapl, alignment, alignment);
}

}  // namespace detail

}  // namespace mammoth::h5
