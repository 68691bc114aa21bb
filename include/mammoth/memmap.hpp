// Memory-mapped files with numpy.memmap semantics: a raw file seen as an array of a
// given dtype, shape, offset and order, in modes r, r+, w+ and c. The mapping is owned
// by a FileMap (mapping.hpp), so views taken from a Memmap keep it alive after close().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/dtype.hpp"
#include "mammoth/layout.hpp"
#include "mammoth/mapping.hpp"
#include "mammoth/mode.hpp"
#include "mammoth/ndarray.hpp"
#include "mammoth/store.hpp"

namespace mammoth {

// An owned file descriptor (RAII close).
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  FileHandle(FileHandle&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileHandle& operator=(FileHandle&& other) noexcept;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  ~FileHandle() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// A memory-mapped array file: raw (numpy.memmap) or .npy (numpy.lib.format.open_memmap,
// see npy.hpp). Move-only; close() or destruction unmaps unless views are still alive.
class Memmap {
 public:
  Memmap() = default;

  // numpy.memmap(path, dtype, mode, offset, shape, order) on an existing file; an empty
  // layout.shape means one axis holding as many items as fit after the offset.
  static Memmap open_raw(const std::string& path, const RawLayout& layout, Mode mode = Mode::Read);
  // numpy.memmap(..., mode='w+'): creates the file, or replaces an existing one atomically
  // (create_file; Mode::Exclusive: must not exist), preallocating its blocks unless
  // options.preallocate is false. The result is open read-write.
  static Memmap create_raw(const std::string& path, const CreateOptions& options, std::int64_t offset = 0,
                           Mode mode = Mode::Write);

  const std::string& path() const { return path_; }
  Mode mode() const { return mode_; }
  bool is_open() const { return storage_ != nullptr; }
  DType dtype() const { return array_.dtype(); }
  const Shape& shape() const { return array_.shape(); }
  Order order() const { return order_; }
  // Byte offset of the first element in the file (the header length for .npy).
  std::int64_t offset() const { return offset_; }
  std::size_t nbytes() const { return array_.nbytes(); }

  // The whole file as an array view; writable unless opened with mode 'r'.
  const AnyArray& array() const;
  template <Scalar T>
  NdArray<T> as() const {
    return array().as<T>();
  }

  // numpy's flush(): writes dirty pages back to the file and waits (no-op for 'r' and 'c').
  void flush();
  // Flushes, then drops this object's mapping and descriptor. Views still alive keep their
  // own reference to the mapping; everything else throws "closed" afterwards.
  void close();

  // Access hint for the whole array, or for the bytes covering a box of it.
  void advise(Access hint);
  void advise(Access hint, const Box& box);
  // Done with `box`: its written pages are handed to the kernel for writing back and
  // dropped from this process's resident memory, so filling a large file stays bounded.
  void release(const Box& box);
  // Bytes of `box`'s page span currently in memory (mincore): what reading it cost.
  std::size_t resident_bytes(const Box& box) const;

  const std::shared_ptr<FileMap>& storage() const { return storage_; }
  // The open file descriptor (-1 after close()).
  int fd() const { return fd_.get(); }
  // Byte range [first, end) of the array data (from the first element) covering `box`.
  std::pair<std::size_t, std::size_t> byte_span(const Box& box) const;

  // For the .npy layer: wraps a mapping made elsewhere.
  Memmap(std::string path, Mode mode, FileHandle fd, std::shared_ptr<FileMap> storage, AnyArray array, Order order,
         std::int64_t offset);

 private:
  void require_open(const char* what) const;

  std::string path_;
  Mode mode_ = Mode::Read;
  FileHandle fd_;
  std::shared_ptr<FileMap> storage_;
  AnyArray array_;
  Order order_ = Order::C;
  std::int64_t offset_ = 0;
};

// Opens an existing `path` for what `mode` needs (r and c read-only, r+ and a read-write).
FileHandle open_file(const std::string& path, Mode mode);
// Creates `path` as a file of `total_bytes` that starts with `header`, atomically: it is
// built under a temporary name beside `path` (`fill(fd)`, if given, writes the rest) and
// renamed over it only once complete, so a full disk leaves any old file intact and views
// of it valid. Mode::Exclusive fails if `path` exists. Returns the new file, read-write.
FileHandle create_file(const std::string& path, Mode mode, std::string_view header, std::int64_t total_bytes,
                       bool preallocate, const std::function<void(int fd)>& fill = {});
// pread/pwrite of exactly n bytes (retrying short transfers); IoError or, for reads
// past the end, FormatError naming `path`.
void read_at(int fd, const std::string& path, void* data, std::size_t n, std::int64_t offset);
void write_at(int fd, const std::string& path, const void* data, std::size_t n, std::int64_t offset);
// Size of the open file in bytes.
std::int64_t file_size(int fd, const std::string& path);
// Makes the file exactly `bytes` long, allocating its blocks first when `preallocate`
// (posix_fallocate: a full disk or RLIMIT_FSIZE fails here with an IoError, not as a
// SIGBUS on some later write through the mapping); otherwise a sparse ftruncate.
void allocate_file(int fd, const std::string& path, std::int64_t bytes, bool preallocate);
// Maps `bytes` of an open file at `offset` as an array in the way `mode` asks.
Memmap map_array(const std::string& path, Mode mode, FileHandle fd, DType dtype, const Shape& shape, Order order,
                 std::int64_t offset);

// The store behind open_store/create_store for raw and .npy files: reads go through the
// mapping; writes of a contiguous run go to the file with pwrite (no page faults, nothing
// added to resident memory; the shared page cache keeps the mapping coherent), others
// through the mapping; release() turns into madvise.
class MappedStore final : public BlockStore {
 public:
  MappedStore(Memmap map, std::string name, std::vector<std::pair<std::string, std::string>> properties);
  std::string name() const override { return name_; }
  DType dtype() const override { return map_.dtype(); }
  const Shape& shape() const override { return map_.shape(); }
  bool writable() const override { return map_.array().writable(); }
  void read(const Box& box, void* dst, DType dst_type) override;
  void write(const Box& box, const void* src, DType src_type) override;
  std::optional<AnyArray> mapped() override { return map_.array(); }
  void release(const Box& box) override { map_.release(box); }
  void flush() override { map_.flush(); }
  std::vector<std::pair<std::string, std::string>> properties() const override { return properties_; }
  Memmap& memmap() { return map_; }

 private:
  // read() of a box whose rows lie far apart in the file, run by run through the page
  // cache; false when the mapping serves it better.
  bool read_runs(const Box& box, void* dst, DType dst_type);
  // write() of a box that is no run of the file, run by run with pwrite; false when the
  // mapping serves it better (runs under a page).
  bool write_runs(const Box& box, const void* src, DType src_type);

  Memmap map_;
  ArrayStore view_;
  std::string name_;
  std::vector<std::pair<std::string, std::string>> properties_;
};

// Calls fn(box) for consecutive boxes that tile `shape` in C order, each a contiguous run
// of the C-order element sequence of at most `max_bytes` (at least one element): whole
// rows when a row fits, else pieces of a row. A 0-d shape gives one box; an empty one none.
void for_each_block(const Shape& shape, std::size_t itemsize, std::size_t max_bytes,
                    const std::function<void(const Box&)>& fn);
// C-order position of `index` in an array of `shape`.
std::int64_t linear_index(const Shape& shape, const Shape& index);

}  // namespace mammoth
