// The one heap allocation policy, for arrays, engine buffers and sparse members alike:
//
// - 64-byte aligned (a cache line; any SIMD load);
// - from 4 MiB up, 2 MiB aligned with transparent huge pages, as numpy asks for its own
//   (SpMV's gathers otherwise spend a third of their time in TLB misses); no rounding up,
//   so the tail stays in small pages and RSS does not grow past the data;
// - a vector read at random (allocate_gathered) in whole huge pages from 1 MiB up;
// - never zero-filled: a page becomes resident only when first written, so `empty` costs
//   no memory until used, as numpy's does. `zeros` writes its zeros;
// - a single request larger than the memory the kernel can still give is refused up front
//   with MemoryLimitError: MemAvailable + SwapFree, or less when the process's cgroup (a
//   SLURM job, a container) has less room under its limit. Linux overcommits: the
//   allocation would succeed and the OOM killer would end the process mid-write instead;
// - MAMMOTH_MAX_ALLOCATION (e.g. "2GiB") caps any single allocation further, for a user
//   who wants a notebook's loads refused well before the machine is full (and the fuzz
//   targets, whose inputs may rightly claim matrices of many GiB).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>

namespace mammoth {

struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

// A std::bad_alloc that says how much was asked for and how much was available, so the
// callers that already turn bad_alloc into an error naming their file keep working.
class MemoryLimitError : public std::bad_alloc {
 public:
  MemoryLimitError(std::size_t requested, std::size_t available, const char* limit = "of memory is available");
  // The same refusal, said of what asked for it ("FILE:/x: reading (0, 0) of (8, 8)").
  MemoryLimitError(const std::string& context, const MemoryLimitError& cause);
  const char* what() const noexcept override { return message_.c_str(); }
  std::size_t requested() const noexcept { return requested_; }

 private:
  std::size_t requested_;
  std::string message_;
};

// MemAvailable + SwapFree from /proc/meminfo, bounded by the room left under the cgroup's
// memory limit; nothing where neither can be read.
std::optional<std::size_t> available_memory();

// Throws MemoryLimitError when `bytes` exceeds MAMMOTH_MAX_ALLOCATION, or is 64 MiB or more
// and exceeds available_memory() (reading /proc costs ~50 µs: smaller requests skip it).
void require_available_memory(std::size_t bytes);

// At least `bytes` (and at least 1) of uninitialised memory under the policy above;
// std::bad_alloc when there is none. Freed with std::free.
void* allocate_bytes(std::size_t bytes);

// Memory read at random, a gathered vector (SpMV's x): from 1 MiB up, rounded up to whole
// 2 MiB huge pages, so its first touch takes one page fault per 2 MiB rather than 512
// (filling a 1.76 MB x: 1.3 ms -> 0.5 ms) and a gather finds it in few TLB entries. It
// holds at most one huge page more than asked; gathered_bytes() says how much, for budgets.
std::size_t gathered_bytes(std::size_t bytes);
void* allocate_gathered_bytes(std::size_t bytes);

template <class T>
using HeapBuffer = std::unique_ptr<T[], FreeDeleter>;

// n uninitialised elements of a trivially constructible T.
template <class T>
HeapBuffer<T> allocate_buffer(std::size_t n) {
  return HeapBuffer<T>(static_cast<T*>(allocate_bytes(n * sizeof(T))));
}

template <class T>
HeapBuffer<T> allocate_gathered(std::size_t n) {
  return HeapBuffer<T>(static_cast<T*>(allocate_gathered_bytes(n * sizeof(T))));
}

}  // namespace mammoth
