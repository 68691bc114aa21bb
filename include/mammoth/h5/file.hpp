// An HDF5 file, opened as h5py opens one: modes r, r+, w, x (w-), a. The file is its root group.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "mammoth/h5/group.hpp"
#include "mammoth/mode.hpp"

namespace mammoth::h5 {

struct FileOptions {
  // false: no POSIX file locks (network file systems; h5py's HDF5_USE_FILE_LOCKING=FALSE).
  bool locking = true;
  // Default chunk cache of every dataset opened in this file (else sized per dataset).
  std::optional<ChunkCache> cache;
};

class File : public Group {
 public:
  File(const std::string& path, Mode mode = Mode::Read, const FileOptions& options = {});
  File(const std::string& path, const std::string& mode, const FileOptions& options = {})
      : File(path, parse_mode(mode), options) {}
  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  ~File() override;

  const std::string& path() const { return file_; }
  Mode mode() const { return mode_; }
  bool is_open() const { return id_.valid(); }
  void flush();
  // Flushes and closes; objects still open keep the file open until they go (libhdf5's weak close).
  void close();

 private:
  Mode mode_;
};

// Declares, for its lifetime, that this process will write into the HDF5 file `path` while
// it may also read from it (a result stored beside its input, as h5py users keep them).
// libhdf5 cannot reopen for writing a file it already holds read-only ("file is already
// open for read-only"), so while an intent lives, read opens of that file open it for
// writing from the start and share one handle with the writer. A file that does not exist
// yet needs none. Commands that write declare their destination before opening inputs.
class WriteIntent {
 public:
  explicit WriteIntent(const std::string& path);
  ~WriteIntent();
  WriteIntent(const WriteIntent&) = delete;
  WriteIntent& operator=(const WriteIntent&) = delete;

 private:
  std::optional<std::pair<std::uint64_t, std::uint64_t>> file_;  // (device, inode)
};

// True when `path` is an HDF5 file (its signature is present).
bool is_hdf5(const std::string& path);

}  // namespace mammoth::h5
