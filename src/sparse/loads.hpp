// An element of a block the scheduler hands over: a view in place in the file's mapping
// sits at any byte offset (numpy's zip writer aligns nothing), so elements are loaded by
// memcpy (ooc/kernels.hpp): one unaligned load, as fast as an aligned one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../ooc/kernels.hpp"
#include "mammoth/sparse/spmv.hpp"

namespace mammoth::sparse {

template <class T>
struct Loads {
  const std::byte* p;
  T operator[](std::int64_t k) const { return ooc::kernels::load(reinterpret_cast<const T*>(p) + k); }
};

template <class T>
void prefetch(Loads<T> l, std::int64_t k) {
  prefetch_bytes(l.p, k * static_cast<std::int64_t>(sizeof(T)));
}

}  // namespace mammoth::sparse
