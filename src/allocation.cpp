#include "mammoth/allocation.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <new>

namespace mammoth {
namespace {

// C libraries under us (libhdf5's filter pipeline, libzip) malloc a chunk-sized buffer per
// chunk and free it at once. glibc then raises its mmap threshold past that size and serves
// the next ones from the heap, whose freed memory stays resident: a streamed spmv over a
// gzip group of 8 MiB chunks held 115 MiB at --budget 64MiB. A fixed 1 MiB threshold hands
// such buffers back to the system when freed (73 MiB).
[[maybe_unused]] const bool fixed_mmap_threshold = ::mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1;

}  // namespace

void* allocate_bytes(std::size_t bytes) {
  constexpr std::size_t kLine = 64, kHuge = std::size_t{2} << 20;
  if (bytes == 0) bytes = 1;  // data() of an empty array must still be a valid pointer
  const std::size_t alignment = bytes >= 2 * kHuge ? kHuge : kLine;
  void* p = nullptr;
  if (::posix_memalign(&p, alignment, bytes) != 0) throw std::bad_alloc();
  if (alignment == kHuge) ::madvise(p, bytes / kHuge * kHuge, MADV_HUGEPAGE);
  return p;
}

}  // namespace mammoth
