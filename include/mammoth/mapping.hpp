// The one owner of a file mapping. Everything in mammoth that maps a file (memmap and
// .npy arrays, zero-copy HDF5 datasets and chunk gathers, sparse members streamed from
// an .npz, the out-of-core scheduler's views) holds a FileMap, so there is one page
// policy, stated here:
//
// - advise(): readahead hints (normal, sequential, random, will-need, streamed). A refused hint
//   changes speed, never results, so failures are ignored.
// - populate(): page tables for a range filled now (MADV_POPULATE_READ, Linux >= 5.14;
//   older kernels touch one byte a page). A file that shrank under the mapping is an
//   IoError naming the file, never a SIGBUS. Pages not yet in the page cache are read by
//   the kernel's own readahead for the faults, which caches the file in large folios
//   (up to 2 MiB), later mapped a folio at a time.
// - The engine hints Streamed on a read-only mapping it reads blocks of in place
//   (MADV_HUGEPAGE): the faults then read cold pages into 2 MiB folios, and every later
//   run maps each with one entry (a PMD) instead of 512. After a cold streamed spmv of
//   252 MB, 94 % of its pages were mapped so against 67 % without the hint, and the
//   warm runs' page-table work fell from 13 % of their CPU time to 8 %. Only the engine
//   asks: a program reading a mapping at random would read 2 MiB around each fault.
// - mammoth itself never hints WillNeed: Linux reads a MADV_WILLNEED range into
//   single 4 KiB pages, and every later run that maps them pays a page-table entry and
//   its removal per 4 KiB. A streamed spmv of a 252 MB matrix warm ran at 0.45x the
//   in-memory speed after a cold run with those hints and at 0.75x after one without;
//   cold, the kernel's readahead was as fast (docs/ooc.md).
// - release(): "done with this range". The pages covering it are rounded outward and
//   unmapped from this process (MADV_DONTNEED). On a shared mapping that loses nothing,
//   writable or not: the page cache keeps the file's bytes, dirty ones included, and a
//   page a neighbour still needs faults back in from the cache without I/O. On a
//   writable shared mapping a range of whole written data is also made durable behind the
//   caller (a thread of the mapping's own calls fdatasync; its first error is thrown by
//   sync()), so dirty pages do not pile up and the commit's flush finds little to do. On a
//   private (copy-on-write) mapping release() does nothing: there DONTNEED would throw the
//   program's changes away.
// - sync(): msync, for numpy's flush().
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "mammoth/error.hpp"
#include "mammoth/layout.hpp"

namespace mammoth {
namespace detail {
class WriteBehind;
}

// How the program will touch a mapping (madvise): numpy's tracker #13172 reports random
// access ~100x slower without MADV_RANDOM, because readahead fetches pages nobody reads.
enum class Access : std::uint8_t {
  Normal,
  Sequential,  // read ahead aggressively
  Random,      // no readahead
  WillNeed,    // start reading now
  DontNeed,    // done with it: release() (written data stays in the file)
  Streamed,    // read through in large blocks: huge pages (read-only mappings; above)
};

enum class MapMode : std::uint8_t {
  Read,         // PROT_READ, shared
  ReadWrite,    // PROT_READ | PROT_WRITE, shared: writes reach the file
  CopyOnWrite,  // PROT_READ | PROT_WRITE, private: writes stay in this process (numpy's 'c')
};

class FileMap final : public Storage {
 public:
  static constexpr std::size_t kToEnd = std::numeric_limits<std::size_t>::max();

  // Maps `length` bytes of the open file `fd` from byte `offset` (any offset: the region
  // starts at the page below it). The caller has checked that the file is long enough.
  // `name` names the file in errors. A zero length maps nothing.
  FileMap(int fd, std::int64_t offset, std::size_t length, MapMode mode, std::string name);
  // Opens `path` and maps [offset, offset + length) of it (kToEnd: to the end of the
  // file). FormatError when the file is shorter than that, so no access can SIGBUS.
  static std::shared_ptr<FileMap> open(const std::string& path, std::uint64_t offset = 0, std::size_t length = kToEnd,
                                       MapMode mode = MapMode::Read);
  ~FileMap() override;
  FileMap(const FileMap&) = delete;
  FileMap& operator=(const FileMap&) = delete;

  std::byte* data() override { return data_; }
  const std::byte* data() const { return data_; }
  std::size_t size() const override { return length_; }
  bool is_mapped() const override { return true; }
  MapMode mode() const { return mode_; }
  bool is_private() const { return mode_ == MapMode::CopyOnWrite; }
  const std::string& name() const { return name_; }

  // The policy above, over bytes [offset, offset + bytes) of data() (clipped to it).
  void advise(Access hint, std::size_t offset, std::size_t bytes);
  void populate(std::size_t offset, std::size_t bytes);
  // `written`: the range holds whole written data, so its write-back may start now; false
  // for the span of a box whose pages other boxes have yet to fill (only unmapped then).
  void release(std::size_t offset, std::size_t bytes, bool written = true);
  void sync(std::size_t offset, std::size_t bytes, bool wait);
  // Bytes of [offset, offset + bytes) whose pages are in memory (mincore).
  std::size_t resident_bytes(std::size_t offset, std::size_t bytes) const;
  // Whether [offset, offset + bytes) is in the page cache, judged by one page in every
  // kResidentStride bytes and the last (mincore). The page cache holds a file read in
  // folios of up to 2 MiB; a page missed between two samples only makes a copy() wait for
  // the disk. Every page of a 400 MB file, through mincore, took 6 % of a warm matvec's CPU
  // time (the page cache's lookup of each page); one call a MiB, 1 % or less.
  static constexpr std::size_t kResidentStride = std::size_t{1} << 20;
  bool resident(std::size_t offset, std::size_t bytes) const;
  // Copies [offset, offset + bytes) of the region into `dst` through the file, not the
  // mapping: from the page cache it maps no page (on a virtual machine the first touch of
  // each newly mapped page can cost more than the copy). A shared mapping sees the same
  // bytes; copyable() says whether this one can (not a private one, whose written pages the
  // file does not hold, nor one without a file descriptor). IoError when the file ends first.
  bool copyable() const { return fd_ >= 0 && mode_ != MapMode::CopyOnWrite; }
  void copy(std::size_t offset, std::size_t bytes, std::byte* dst) const;

  // Offset of `p` (a pointer into this mapping) from data().
  std::size_t offset_of(const void* p) const {
    return static_cast<std::size_t>(static_cast<const std::byte*>(p) - data_);
  }
  // The FileMap behind an array's storage, or null for heap storage.
  static FileMap* of(const std::shared_ptr<Storage>& storage) { return dynamic_cast<FileMap*>(storage.get()); }

 private:
  // The error of a file that ended inside [offset, offset + bytes) of the region.
  IoError ended_inside(std::size_t offset, std::size_t bytes) const;
  // The page-aligned span covering [offset, offset + bytes), clipped to the region.
  std::pair<std::byte*, std::size_t> page_span(std::size_t offset, std::size_t bytes) const;

  std::byte* base_ = nullptr;  // what mmap returned
  std::size_t mapped_ = 0;     // what was mapped (from base_)
  std::byte* data_ = nullptr;
  std::size_t length_ = 0;
  std::int64_t file_offset_ = 0;                       // of data() in the file
  int fd_ = -1;                                        // a duplicate: copy(), write-back of released ranges
  std::unique_ptr<detail::WriteBehind> write_behind_;  // from the first written release (src/write_behind.hpp)
  MapMode mode_ = MapMode::Read;
  std::string name_;
};

}  // namespace mammoth
