// kernels.hpp compiled for avx512 (see kernels_isa.hpp). The standard headers come first,
// outside the target pragma, so nothing but the kernels' own code is built for avx512: an
// inline standard function emitted here with avx512 instructions could otherwise be the copy
// the linker keeps for the whole program.
#include <algorithm>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels_isa.hpp"
#include "thread_pool.hpp"

#if defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,prefer-vector-width=512")
#define MAMMOTH_KERNELS_ISA v4
#define MAMMOTH_KERNELS_NAME "avx512"
#include "kernels.hpp"
#include "kernels_table.inc"
#pragma GCC pop_options

namespace mammoth::ooc::isa {
const Kernels* avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
             ? &table
             : nullptr;
}
}  // namespace mammoth::ooc::isa
#else
namespace mammoth::ooc::isa {
const Kernels* avx512() { return nullptr; }
}  // namespace mammoth::ooc::isa
#endif
