// Test doubles for the write-behind thread's data sync (src/write_behind.hpp): counted, or
// failing with EIO, put in place for one scope.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "../../src/write_behind.hpp"

namespace mammoth::testing {

inline std::atomic<int> data_syncs{0};

inline int counting_sync(int fd) {
  ++data_syncs;
  return ::fdatasync(fd);
}

inline int failing_sync(int) {
  ++data_syncs;
  errno = EIO;
  return -1;
}

// Replaces the sync (and zeroes the count) until the end of the scope.
class WriteBehindSync {
 public:
  explicit WriteBehindSync(detail::DataSync sync) : old_(detail::set_write_behind_sync(sync)) { data_syncs = 0; }
  ~WriteBehindSync() { detail::set_write_behind_sync(old_); }
  WriteBehindSync(const WriteBehindSync&) = delete;
  WriteBehindSync& operator=(const WriteBehindSync&) = delete;

 private:
  detail::DataSync old_;
};

}  // namespace mammoth::testing
