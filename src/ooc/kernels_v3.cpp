// kernels.hpp compiled for avx2 (see kernels_isa.hpp). The standard headers come first,
// outside the target pragma, so nothing but the kernels' own code is built for avx2: an
// inline standard function emitted here with avx2 instructions could otherwise be the copy
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
#pragma GCC target("avx2,fma")
#define MAMMOTH_KERNELS_ISA v3
#define MAMMOTH_KERNELS_NAME "avx2"
#include "kernels.hpp"
#include "kernels_table.inc"
#pragma GCC pop_options

namespace mammoth::ooc::isa {
const Kernels* avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &table : nullptr; }
}  // namespace mammoth::ooc::isa
#else
namespace mammoth::ooc::isa {
const Kernels* avx2() { return nullptr; }
}  // namespace mammoth::ooc::isa
#endif
