// What every sparse format shares: the index types, value traits and the checks
// used when a structure is built from outside data (files, user arrays).
#pragma once

#include <complex>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "mammoth/allocation.hpp"
#include "mammoth/dtype.hpp"
#include "mammoth/error.hpp"

namespace mammoth::sparse {

// An allocator that leaves new elements uninitialised: the big arrays are always
// written in full right after allocation, and zero-filling 100 MB first costs as
// much as the conversion itself.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  // The one allocation policy (allocation.hpp): huge pages for big arrays, no zero-fill.
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_bytes(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) { std::free(p); }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0)
      ::new (static_cast<void*>(p)) U;
    else
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
// The arrays of every format (like std::vector, but resize() does not zero).
template <class T>
using Vec = std::vector<T, DefaultInitAllocator<T>>;

// scipy's index types: int32 while nnz and dimensions fit, else int64.
template <class I>
concept Index = std::same_as<I, std::int32_t> || std::same_as<I, std::int64_t>;

// True when scipy would pick int32 indices for this shape and nnz.
inline bool fits_int32(std::int64_t rows, std::int64_t cols, std::int64_t nnz) {
  constexpr std::int64_t max = std::numeric_limits<std::int32_t>::max();
  return rows <= max && cols <= max && nnz <= max;
}

template <class T>
struct is_complex : std::false_type {};
template <class T>
struct is_complex<std::complex<T>> : std::true_type {};
template <class T>
inline constexpr bool is_complex_v = is_complex<T>::value;

// Sums in bool saturate (scipy's bool sparse sums are logical or).
template <class T>
inline T add_values(T a, T b) {
  if constexpr (std::is_same_v<T, bool>)
    return a || b;
  else
    return static_cast<T>(a + b);
}
template <class T>
inline T mul_values(T a, T b) {
  if constexpr (std::is_same_v<T, bool>)
    return a && b;
  else
    return static_cast<T>(a * b);
}

template <class T>
inline bool is_zero(const T& v) {
  return v == T{};
}

// "matrix 3x4: indptr[2] = 7 > indptr[3] = 5" style messages go through this.
[[noreturn]] inline void invalid(const std::string& format, std::int64_t rows, std::int64_t cols,
                                 const std::string& what) {
  throw ShapeError("invalid " + format + " matrix of shape (" + std::to_string(rows) + ", " + std::to_string(cols) +
                   "): " + what);
}

inline void check_shape(const std::string& format, std::int64_t rows, std::int64_t cols) {
  if (rows < 0 || cols < 0) invalid(format, rows, cols, "negative dimension");
}

// indptr has n+1 entries, starts at 0, never decreases and ends at nnz.
template <Index I>
void check_indptr(const std::string& format, std::int64_t rows, std::int64_t cols, const I* indptr, std::int64_t n,
                  std::int64_t nnz) {
  if (indptr[0] != 0) invalid(format, rows, cols, "indptr[0] = " + std::to_string(indptr[0]) + ", expected 0");
  for (std::int64_t i = 0; i < n; ++i)
    if (indptr[i + 1] < indptr[i])
      invalid(format, rows, cols,
              "indptr is not monotone: indptr[" + std::to_string(i) + "] = " + std::to_string(indptr[i]) +
                  " > indptr[" + std::to_string(i + 1) + "] = " + std::to_string(indptr[i + 1]));
  if (indptr[n] != nnz)
    invalid(format, rows, cols,
            "indptr ends at " + std::to_string(indptr[n]) + " but there are " + std::to_string(nnz) + " entries");
}

template <Index I>
void check_indices(const std::string& format, std::int64_t rows, std::int64_t cols, const char* name, const I* idx,
                   std::int64_t n, std::int64_t bound) {
  for (std::int64_t k = 0; k < n; ++k)
    if (idx[k] < 0 || idx[k] >= bound)
      invalid(format, rows, cols,
              std::string(name) + "[" + std::to_string(k) + "] = " + std::to_string(idx[k]) + " is outside [0, " +
                  std::to_string(bound) + ")");
}

// What CSR and CSC share: `major` compressed slices (rows of a CSR, columns of a CSC),
// each a run of `indices` below `minor`, with `data` beside them.
template <Index I, class Values>
void check_compressed(const std::string& format, std::int64_t rows, std::int64_t cols, std::int64_t major,
                      std::int64_t minor, const Vec<I>& indptr, const Vec<I>& indices, const Values& data) {
  check_shape(format, rows, cols);
  if (static_cast<std::int64_t>(indptr.size()) != major + 1)
    invalid(format, rows, cols,
            "indptr has " + std::to_string(indptr.size()) + " entries, expected " +
                (format == "csc" ? "cols" : "rows") + " + 1");
  if (indices.size() != data.size())
    invalid(format, rows, cols,
            "indices has " + std::to_string(indices.size()) + " entries but data has " + std::to_string(data.size()));
  const auto nnz = static_cast<std::int64_t>(data.size());
  check_indptr(format, rows, cols, indptr.data(), major, nnz);
  check_indices(format, rows, cols, "indices", indices.data(), nnz, minor);
}

// Which of scipy's seven formats.
enum class Format { Coo, Csr, Csc, Bsr, Lil, Dok, Dia };

Format parse_format(const std::string& name);  // "csr" → Csr; Error on anything else
const char* format_name(Format f);             // Csr → "csr"

}  // namespace mammoth::sparse
