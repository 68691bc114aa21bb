// The one heap allocation policy, for arrays, engine buffers and sparse members alike:
//
// - 64-byte aligned (a cache line; any SIMD load);
// - from 4 MiB up, 2 MiB aligned with transparent huge pages, as numpy asks for its own
//   (SpMV's gathers otherwise spend a third of their time in TLB misses); no rounding up,
//   so the tail stays in small pages and RSS does not grow past the data;
// - never zero-filled: a page becomes resident only when first written, so `empty` costs
//   no memory until used, as numpy's does. `zeros` writes its zeros.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

namespace mammoth {

struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

// At least `bytes` (and at least 1) of uninitialised memory under the policy above;
// std::bad_alloc when there is none. Freed with std::free.
void* allocate_bytes(std::size_t bytes);

template <class T>
using HeapBuffer = std::unique_ptr<T[], FreeDeleter>;

// n uninitialised elements of a trivially constructible T.
template <class T>
HeapBuffer<T> allocate_buffer(std::size_t n) {
  return HeapBuffer<T>(static_cast<T*>(allocate_bytes(n * sizeof(T))));
}

}  // namespace mammoth
