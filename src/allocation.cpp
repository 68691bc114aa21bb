#include "mammoth/allocation.hpp"

#include <sys/mman.h>

#include <new>

namespace mammoth {

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
