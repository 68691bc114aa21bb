// The compute threads of the engine. Workers wait blocked between blocks, never
// spinning: libgomp's workers spin for milliseconds after every parallel region
// (OMP_WAIT_POLICY unset), which on a loaded or small machine starves the I/O thread
// the scheduler overlaps with them — measured 8× slower matvec on 2 cores.
#pragma once

#include <cstdint>
#include <functional>

namespace mammoth::ooc::detail {

// Runs fn(t, nt) for t in [0, nt) on nt threads (the caller is thread 0) and waits for
// all; the first exception thrown is rethrown here. Calls from several threads at once
// are serialised; fn must not call parallel() itself.
void parallel(int threads, const std::function<void(int t, int nt)>& fn);

// fn(begin, end) over [0, n) split evenly among up to `threads` threads, each part at
// least `grain` long (so short loops stay on the caller's thread).
void parallel_for(std::int64_t n, int threads, std::int64_t grain,
                  const std::function<void(std::int64_t begin, std::int64_t end)>& fn);
// The same, telling fn which thread t runs each part (for per-thread buffers).
void parallel_parts(std::int64_t n, int threads, std::int64_t grain,
                    const std::function<void(int t, std::int64_t begin, std::int64_t end)>& fn);

}  // namespace mammoth::ooc::detail
