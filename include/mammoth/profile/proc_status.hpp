// What the kernel says about a process's memory: /proc/<pid>/status read into numbers.
// Resident memory splits three ways (RssAnon + RssFile + RssShmem = VmRSS): anonymous
// pages the program owns, file-backed pages the kernel may drop and reread at will, and
// shared memory. memory_profiler reports only the sum; we keep the parts.
#pragma once

#include "mammoth/units.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace mammoth::profile {

// Resident bytes, split by kind.
struct MemFigures {
  std::int64_t rss = 0;
  std::int64_t anon = 0;
  std::int64_t file = 0;
  std::int64_t shmem = 0;

  MemFigures& operator+=(const MemFigures& o);
  friend MemFigures operator+(MemFigures a, const MemFigures& b) { return a += b; }
  friend MemFigures operator-(const MemFigures& a, const MemFigures& b);
  friend bool operator==(const MemFigures&, const MemFigures&) = default;
};

struct ProcStatus {
  MemFigures resident;
  std::int64_t hwm = 0;  // VmHWM: the resident high-water mark since start or the last reset_peak
  std::int64_t swap = 0;
};

// /proc/<pid>/status (pid 0: this process); nullopt once the process is gone.
std::optional<ProcStatus> read_proc_status(pid_t pid = 0);

// Resets VmHWM to the current VmRSS (writes "5" to /proc/<pid>/clear_refs), so the
// next VmHWM read is the exact peak since now. False when the kernel refuses.
bool reset_peak(pid_t pid = 0);

// Every living descendant of `pid` (children, grandchildren, …), from the kernel's
// per-task children lists, or a scan of /proc when those are not compiled in.
std::vector<pid_t> descendants(pid_t pid);
// The fallback on its own: every process's parent from /proc/<pid>/stat.
std::vector<pid_t> descendants_by_scan(pid_t pid);

inline double to_mib(std::int64_t bytes) { return static_cast<double>(bytes) / static_cast<double>(kMiB); }

}  // namespace mammoth::profile
