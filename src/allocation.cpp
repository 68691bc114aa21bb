#include "mammoth/allocation.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <fstream>
#include <new>

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

MemoryLimitError::MemoryLimitError(std::size_t requested, std::size_t available)
    : requested_(requested),
      message_("needs " + format_bytes(static_cast<double>(requested)) + " in one allocation, but only " +
               format_bytes(static_cast<double>(available)) + " of memory is available") {}

std::optional<std::size_t> available_memory() {
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

void require_available_memory(std::size_t bytes) {
  const auto available = available_memory();
  if (available && bytes > *available) throw MemoryLimitError(bytes, *available);
}

void* allocate_bytes(std::size_t bytes) {
  constexpr std::size_t kLine = 64, kHuge = std::size_t{2} << 20;
  constexpr std::size_t kChecked = std::size_t{64} << 20;  // reading /proc/meminfo costs ~20 µs
  if (bytes == 0) bytes = 1;                               // data() of an empty array must still be a valid pointer
  if (bytes >= kChecked) require_available_memory(bytes);
  const std::size_t alignment = bytes >= 2 * kHuge ? kHuge : kLine;
  void* p = nullptr;
  if (::posix_memalign(&p, alignment, bytes) != 0) throw std::bad_alloc();
  if (alignment == kHuge) ::madvise(p, bytes / kHuge * kHuge, MADV_HUGEPAGE);
  return p;
}

}  // namespace mammoth
