#include "mammoth/allocation.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <vector>

#include "mammoth/units.hpp"

namespace mammoth {
namespace {

// C libraries under us (libhdf5's filter pipeline, libzip) malloc a chunk-sized buffer per
// chunk and free it at once. glibc then raises its mmap threshold past that size and serves
// the next ones from the heap, whose freed memory stays resident: a streamed spmv over a
// gzip group of 8 MiB chunks held 115 MiB at --budget 64MiB. A fixed 1 MiB threshold hands
// such buffers back to the system when freed (73 MiB).
[[maybe_unused]] const bool fixed_mmap_threshold = ::mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1;

}  // namespace

MemoryLimitError::MemoryLimitError(std::size_t requested, std::size_t available, const char* limit)
    : requested_(requested),
      message_("needs " + format_bytes(static_cast<double>(requested)) + " in one allocation, but only " +
               format_bytes(static_cast<double>(available)) + " " + limit) {}

MemoryLimitError::MemoryLimitError(const std::string& context, const MemoryLimitError& cause)
    : requested_(cause.requested_), message_(context + " " + cause.message_) {}

namespace {

std::optional<std::size_t> meminfo_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::size_t kib = 0, total = 0;
  int found = 0;
  while (in >> key >> kib) {
    if (key == "MemAvailable:" || key == "SwapFree:") {
      total += kib;
      ++found;
    }
    in.ignore(64, '\n');  // the " kB" unit
  }
  if (found == 0) return std::nullopt;
  return total * 1024;
}

std::optional<std::size_t> read_number(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::size_t value = 0;
  if (!(in >> value)) return std::nullopt;  // also "max" (cgroup v2: no limit)
  return value;
}

// Room left under one cgroup directory's limit; nothing when it sets none. v1's "no
// limit" is a huge page-rounded number, so anything past 2^60 counts as none.
std::optional<std::size_t> cgroup_room(const std::filesystem::path& dir, bool v2) {
  const auto limit = read_number(dir / (v2 ? "memory.max" : "memory.limit_in_bytes"));
  if (!limit || *limit >= (std::size_t{1} << 60)) return std::nullopt;
  const std::size_t used = read_number(dir / (v2 ? "memory.current" : "memory.usage_in_bytes")).value_or(0);
  return *limit > used ? *limit - used : 0;
}

// A batch job's or container's memory ceiling (SLURM, docker, systemd-run): the tightest
// limit on this process's cgroup and its ancestors. /proc/meminfo shows the whole node,
// so without this a job would be OOM-killed by its own cgroup, not refused.
std::optional<std::size_t> cgroup_available() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  std::optional<std::size_t> room;
  while (std::getline(in, line)) {
    const bool v2 = line.rfind("0::", 0) == 0;
    const auto colon = line.find(':', line.find(':') + 1);
    if (colon == std::string::npos || (!v2 && line.find(":memory:") == std::string::npos)) continue;
    const std::filesystem::path mount = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
    std::istringstream parts(line.substr(colon + 1));
    std::vector<std::filesystem::path> levels{mount};
    for (std::string part; std::getline(parts, part, '/');)
      if (!part.empty()) levels.push_back(levels.back() / part);
    // In a container the path is often not visible below the mount; its root is then the cgroup.
    for (const auto& level : levels)
      if (const auto r = cgroup_room(level, v2)) room = room ? std::min(*room, *r) : *r;
  }
  return room;
}

std::optional<std::size_t> max_allocation() {
  const char* text = std::getenv("MAMMOTH_MAX_ALLOCATION");
  if (!text || !*text) return std::nullopt;
  return parse_bytes(text, "MAMMOTH_MAX_ALLOCATION");
}

}  // namespace

std::optional<std::size_t> available_memory() {
  std::optional<std::size_t> out = meminfo_available();
  if (const auto c = cgroup_available()) out = out ? std::min(*out, *c) : *c;
  return out;
}

void require_available_memory(std::size_t bytes) {
  const auto cap = max_allocation();
  if (cap && bytes > *cap) throw MemoryLimitError(bytes, *cap, "MAMMOTH_MAX_ALLOCATION allows");
  if (bytes < (std::size_t{64} << 20)) return;  // reading /proc costs ~50 µs: only for big requests
  const auto available = available_memory();
  if (available && bytes > *available) throw MemoryLimitError(bytes, *available, "of memory is available");
}

namespace {

constexpr std::size_t kLine = 64, kHuge = std::size_t{2} << 20;

// `bytes` aligned to `alignment`; the whole huge pages among them in huge pages.
void* aligned_bytes(std::size_t bytes, std::size_t alignment) {
  require_available_memory(bytes);
  void* p = nullptr;
  if (::posix_memalign(&p, alignment, bytes) != 0) throw std::bad_alloc();
  if (alignment == kHuge) ::madvise(p, bytes / kHuge * kHuge, MADV_HUGEPAGE);
  return p;
}

}  // namespace

void* allocate_bytes(std::size_t bytes) {
  if (bytes == 0) bytes = 1;  // data() of an empty array must still be a valid pointer
  return aligned_bytes(bytes, bytes >= 2 * kHuge ? kHuge : kLine);
}

std::size_t gathered_bytes(std::size_t bytes) {
  return bytes < kHuge / 2 ? std::max<std::size_t>(bytes, 1) : (bytes + kHuge - 1) / kHuge * kHuge;
}

void* allocate_gathered_bytes(std::size_t bytes) {
  const std::size_t whole = gathered_bytes(bytes);
  return aligned_bytes(whole, whole >= kHuge ? kHuge : kLine);
}

}  // namespace mammoth
