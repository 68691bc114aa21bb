// Bytes an output has written, made durable while the computation goes on: a thread of the
// writer's own calls fdatasync on the file whenever new data were written since its last
// call, so the commit's final sync finds little left to do. Used by writable mappings
// (FileMap::release) and by outputs written through libhdf5 (ooc/output.cpp).
//
// Measured on the project's VM (a 400 MB .npy converted from a gzip HDF5 dataset): with
// write-back only started (SYNC_FILE_RANGE_WRITE, background I/O that the block layer's
// write-back throttling holds to a few requests) the commit's msync still took 0.48-0.55 s
// of the command's 1.1-1.3 s, as it did when each range's write was waited for
// (SYNC_FILE_RANGE_WAIT_AFTER: the data then sat in the disk's own cache, which the final
// flush had to empty); with fdatasync behind the writes the command took 0.83-0.90 s,
// against 0.71 s to a tmpfs.
//
// The first error is kept for drain(): an fdatasync that meets a failed write-back marks
// the error seen, and Linux then reports it to no later fsync of the file, so the owner
// must throw it from here before it commits.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

namespace mammoth::detail {

class WriteBehind {
 public:
  // `fd` must stay open until this is destroyed; with `owned`, the destructor closes it.
  explicit WriteBehind(int fd, bool owned = false);
  ~WriteBehind();  // a request still pending is dropped: the commit syncs anyway
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // New data were written: sync them (they and any written meanwhile go together).
  void request();
  // Waits until no sync is pending or running; the first error met (errno, 0: none).
  int drain();

 private:
  void run();

  int fd_;
  bool owned_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false, running_ = false, stop_ = false;
  int error_ = 0;
  std::thread thread_;  // last: started once the rest is built
};

// What the thread calls (fdatasync), and every output's commit (sync_data); tests put
// another in its place. Returns the one it replaces.
using DataSync = int (*)(int fd);
DataSync set_write_behind_sync(DataSync sync) noexcept;

// Makes fd's data durable through the sync in place (fdatasync): -1 and errno on failure.
int sync_data(int fd);

}  // namespace mammoth::detail
