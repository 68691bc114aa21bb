// The compute kernels of the engine: short loops over one C-contiguous tile, run on
// all threads (thread_pool.hpp) and written so the compiler vectorises them (omp simd).
// T is the element type of the tile, Acc the accumulator (double or complex<double>).
#pragma once

#include <algorithm>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "thread_pool.hpp"

namespace mammoth::ooc::kernels {

template <class T>
inline constexpr bool is_complex_v = false;
template <class T>
inline constexpr bool is_complex_v<std::complex<T>> = true;

// One element of a block. Blocks may be views into a file mapping at any byte offset (a
// numpy-valid .npy needs its data only to follow the header), so elements are loaded by
// memcpy, which compiles to one unaligned load. A bool byte other than 0 or 1 is true, as
// numpy reads it; loading such a byte as C++ bool is undefined (UBSan: "invalid bool").
template <class T>
T load(const T* p) {
  if constexpr (std::is_same_v<T, bool>) {
    unsigned char byte;
    std::memcpy(&byte, p, 1);
    return byte != 0;
  } else {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}

// sum_j row[j]·x[j]
template <class T, class Acc>
Acc dot(const T* row, std::int64_t n, const Acc* x) {
  Acc s{};
  if constexpr (is_complex_v<Acc>) {
    for (std::int64_t j = 0; j < n; ++j) s += static_cast<Acc>(load(row + j)) * x[j];
  } else {
#pragma omp simd reduction(+ : s)
    for (std::int64_t j = 0; j < n; ++j) s += static_cast<Acc>(load(row + j)) * x[j];
  }
  return s;
}

// Four rows at once share every load of x: x is streamed from cache a quarter as often.
template <class T, class Acc>
void dot4(const T* a, std::int64_t lda, std::int64_t n, const Acc* x, Acc* y) {
  if constexpr (is_complex_v<Acc>) {
    for (int r = 0; r < 4; ++r) y[r] += dot(a + r * lda, n, x);
  } else {
    const T *r0 = a, *r1 = a + lda, *r2 = a + 2 * lda, *r3 = a + 3 * lda;
    Acc s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (std::int64_t j = 0; j < n; ++j) {
      const Acc xj = x[j];
      s0 += static_cast<Acc>(load(r0 + j)) * xj;
      s1 += static_cast<Acc>(load(r1 + j)) * xj;
      s2 += static_cast<Acc>(load(r2 + j)) * xj;
      s3 += static_cast<Acc>(load(r3 + j)) * xj;
    }
    y[0] += s0;
    y[1] += s1;
    y[2] += s2;
    y[3] += s3;
  }
}

// y[0:rows] += A·x for a rows×cols tile A (x: the tile's columns).
template <class T, class Acc>
void gemv(const T* a, std::int64_t rows, std::int64_t cols, const Acc* x, Acc* y, int threads) {
  if (rows >= 4 * threads) {
    detail::parallel_for((rows + 3) / 4, threads, 1, [&](std::int64_t g0, std::int64_t g1) {
      for (std::int64_t i = g0 * 4; i < std::min(rows, g1 * 4); i += 4) {
        if (i + 4 <= rows)
          dot4(a + i * cols, cols, cols, x, y + i);
        else
          for (std::int64_t r = i; r < rows; ++r) y[r] += dot(a + r * cols, cols, x);
      }
    });
    return;
  }
  // Few rows (a very wide matrix): split the columns, one partial sum per thread and row.
  std::vector<Acc> partial(static_cast<std::size_t>(threads * rows), Acc{});
  detail::parallel(threads, [&](int t, int nt) {
    const std::int64_t begin = cols * t / nt, end = cols * (t + 1) / nt;
    for (std::int64_t r = 0; r < rows; ++r)
      partial[static_cast<std::size_t>(t * rows + r)] = dot(a + r * cols + begin, end - begin, x + begin);
  });
  for (int t = 0; t < threads; ++t)
    for (std::int64_t r = 0; r < rows; ++r) y[r] += partial[static_cast<std::size_t>(t * rows + r)];
}

// out[0:cols] += Aᵀ·y for a rows×cols tile A (y: the tile's rows). Each thread owns a
// range of columns and walks it in short pieces so its part of `out` stays in L1.
template <class T, class Acc>
void gemv_t(const T* a, std::int64_t rows, std::int64_t cols, const Acc* y, Acc* out, int threads) {
  constexpr std::int64_t kPiece = 1024;
  detail::parallel_for((cols + kPiece - 1) / kPiece, threads, 1, [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t p = p0; p < p1; ++p) {
      const std::int64_t j0 = p * kPiece, j1 = std::min(cols, j0 + kPiece);
      for (std::int64_t i = 0; i < rows; ++i) {
        const Acc yi = y[i];
        const T* row = a + i * cols;
#pragma omp simd
        for (std::int64_t j = j0; j < j1; ++j) out[j] += static_cast<Acc>(load(row + j)) * yi;
      }
    }
  });
}

// Splits [0, n) among threads and folds each part with `part(begin, end)`, then
// combines the parts in order with `combine`.
template <class R, class Part, class Combine>
R parallel_fold(std::int64_t n, int threads, R init, Part part, Combine combine) {
  if (n < 65536 || threads == 1) return combine(init, part(0, n));
  std::vector<R> parts(static_cast<std::size_t>(threads), init);
  std::vector<char> used(static_cast<std::size_t>(threads), 0);
  detail::parallel(threads, [&](int t, int nt) {
    parts[static_cast<std::size_t>(t)] = part(n * t / nt, n * (t + 1) / nt);
    used[static_cast<std::size_t>(t)] = 1;
  });
  for (std::size_t t = 0; t < parts.size(); ++t)
    if (used[t]) init = combine(init, parts[t]);
  return init;
}

template <class T, class Acc>
Acc sum(const T* p, std::int64_t n) {
  Acc s{};
  if constexpr (is_complex_v<Acc>) {
    for (std::int64_t i = 0; i < n; ++i) s += static_cast<Acc>(load(p + i));
  } else {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) s += static_cast<Acc>(load(p + i));
  }
  return s;
}

template <class T>
double magnitude2(T v) {
  if constexpr (is_complex_v<T>)
    return std::norm(std::complex<double>(v));
  else
    return static_cast<double>(v) * static_cast<double>(v);
}

template <class T>
double sum_squares(const T* p, std::int64_t n) {
  double s = 0;
  if constexpr (is_complex_v<T>) {
    for (std::int64_t i = 0; i < n; ++i) s += magnitude2(load(p + i));
  } else {
#pragma omp simd reduction(+ : s)
    for (std::int64_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(load(p + i));
      s += v * v;
    }
  }
  return s;
}

// numpy's minimum/maximum: a NaN anywhere wins.
template <class T>
T pick_min(T m, T v) {
  return (v < m || v != v) ? v : m;
}
template <class T>
T pick_max(T m, T v) {
  return (v > m || v != v) ? v : m;
}

// min or max of p[0:n] and init. Floats vectorise with the NaN test kept apart.
template <class T, bool Min>
T extreme(const T* p, std::int64_t n, T init) {
  if constexpr (std::is_floating_point_v<T>) {
    T m = init;
    int nan = init != init;
    if constexpr (Min) {
#pragma omp simd reduction(min : m) reduction(| : nan)
      for (std::int64_t i = 0; i < n; ++i) {
        const T v = load(p + i);
        m = v < m ? v : m;
        nan |= v != v;
      }
    } else {
#pragma omp simd reduction(max : m) reduction(| : nan)
      for (std::int64_t i = 0; i < n; ++i) {
        const T v = load(p + i);
        m = v > m ? v : m;
        nan |= v != v;
      }
    }
    return nan ? std::numeric_limits<T>::quiet_NaN() : m;
  } else {
    T m = init;
    for (std::int64_t i = 0; i < n; ++i) m = Min ? pick_min(m, load(p + i)) : pick_max(m, load(p + i));
    return m;
  }
}

}  // namespace mammoth::ooc::kernels
