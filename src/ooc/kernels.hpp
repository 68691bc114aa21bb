// The compute kernels of the engine: short loops over one C-contiguous tile, run on
// all threads (thread_pool.hpp) and written so the compiler vectorises them (omp simd).
// T is the element type of the tile, Acc the accumulator (double or complex<double>).
//
// The header is compiled at the baseline ISA by every file that includes it, and again for
// AVX2+FMA and AVX-512 by kernels_v3.cpp and kernels_v4.cpp, each copy in its own inline
// namespace (MAMMOTH_KERNELS_ISA) so the copies never merge at link time; kernels_isa.hpp
// picks the copy the CPU runs for the hot float32/float64 kernels.
#pragma once

#include <algorithm>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "thread_pool.hpp"
#include "tile.hpp"

#ifndef MAMMOTH_KERNELS_ISA
#define MAMMOTH_KERNELS_ISA base
#endif

namespace mammoth::ooc::kernels {
inline namespace MAMMOTH_KERNELS_ISA {

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

// sum_j row[j]·x[j], summed in Acc. x may be narrower than Acc (float32 for a float32
// matrix): each product is then still exact in double, so the sums are the same.
template <class Acc, class T, class X>
Acc dot(const T* row, std::int64_t n, const X* x) {
  Acc s{};
  if constexpr (is_complex_v<Acc>) {
    for (std::int64_t j = 0; j < n; ++j) s += static_cast<Acc>(load(row + j)) * static_cast<Acc>(x[j]);
  } else {
#pragma omp simd reduction(+ : s)
    for (std::int64_t j = 0; j < n; ++j) s += static_cast<Acc>(load(row + j)) * static_cast<Acc>(x[j]);
  }
  return s;
}

// Four rows at once share every load of x: x is streamed from cache a quarter as often.
template <class T, class X, class Acc>
void dot4(const T* a, std::int64_t lda, std::int64_t n, const X* x, Acc* y) {
  if constexpr (is_complex_v<Acc>) {
    for (int r = 0; r < 4; ++r) y[r] += dot<Acc>(a + r * lda, n, x);
  } else {
    const T *r0 = a, *r1 = a + lda, *r2 = a + 2 * lda, *r3 = a + 3 * lda;
    Acc s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (std::int64_t j = 0; j < n; ++j) {
      const Acc xj = static_cast<Acc>(x[j]);
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

// Rows of at most kSmall columns (a tall-skinny matrix) run with the column count known
// at compile time: x stays in registers and the per-row loop unrolls, where the general
// loop would spend most of its time entering and leaving a 10-element vector loop.
inline constexpr std::int64_t kSmall = 16;

template <int N, bool Overwrite, class T, class X, class Acc>
void gemv_small(const T* a, std::int64_t rows, const X* x, Acc* y) {
  Acc xr[N];
  for (int j = 0; j < N; ++j) xr[j] = static_cast<Acc>(x[j]);
  for (std::int64_t i = 0; i < rows; ++i) {
    const T* row = a + i * N;
    Acc s{};
    for (int j = 0; j < N; ++j) s += static_cast<Acc>(load(row + j)) * xr[j];
    if constexpr (Overwrite)
      y[i] = s;
    else
      y[i] += s;
  }
}

// s[0:N] += Aᵀ·y over `rows` rows of N columns, the N sums in registers. The caller adds s
// to its result once all its rows are in, pieces or not, so the sums are the same either way.
template <int N, class T, class Acc>
void gemv_t_small(const T* a, std::int64_t rows, const Acc* y, Acc* sums) {
  Acc s[N];
  for (int j = 0; j < N; ++j) s[j] = sums[j];
  for (std::int64_t i = 0; i < rows; ++i) {
    const T* row = a + i * N;
    const Acc yi = y[i];
    for (int j = 0; j < N; ++j) s[j] += static_cast<Acc>(load(row + j)) * yi;
  }
  for (int j = 0; j < N; ++j) sums[j] = s[j];
}

// Calls f(std::integral_constant<int, N>) for N = cols in [1, kSmall].
template <class F>
void with_small_cols(std::int64_t cols, F&& f) {
  [&]<int... N>(std::integer_sequence<int, N...>) {
    static_cast<void>(((cols == N + 1 ? (f(std::integral_constant<int, N + 1>{}), true) : false) || ...));
  }
  (std::make_integer_sequence<int, kSmall>{});
}

// o[i] = sum_j p[i, j] (or of squares) for `rows` rows of N columns, unrolled: rows of a
// tall-skinny matrix are too short for the general vector loop.
template <int N, class T, class Out>
void row_sums_small(const T* p, std::int64_t rows, bool squares, Out* o) {
  for (std::int64_t i = 0; i < rows; ++i) {
    Out s{};
    for (int j = 0; j < N; ++j) {
      const Out v = static_cast<Out>(load(p + i * N + j));
      s += squares ? v * v : v;
    }
    o[i] = s;
  }
}

// Columns per thread above which a tile's columns may be split among the threads.
inline constexpr std::int64_t kSplitColumns = 2048;
// Rows per thread from which a tile's rows are split among the threads (each thread
// streams whole rows of its own, so the hardware prefetchers see long runs); fewer rows
// split the columns instead, or the threads' shares would be uneven (a 10-row block over
// 2 threads split by rows of four leaves one thread idle a third of the time).
inline constexpr std::int64_t kRowsPerThread = 16;
// Bytes of x a pass over the rows reads: 256 KiB stay in L2 for every other row, and runs
// this long keep the prefetchers busy (runs of 4096 elements, one 16 KiB run a row, made a
// 400 MB float32 product 15-25 % slower on an AMD EPYC, Zen 5).
inline constexpr std::int64_t kPieceBytes = 256 * 1024;
// Elements of gemv_t's `out` a pass over the rows updates (see gemv_t_part).
inline constexpr std::int64_t kOutPiece = 16384;

// Calls f(p, ld, q0, q1, p0, p1) over rows [r0, r1) × columns [c0, c1) of a tile of `cols`
// columns: p points at element (q0, p0), rows ld elements apart. In memory, once for the
// whole range. Staged (tile.hpp), piece by piece copied into thread t's buffer, each piece
// a multiple of four rows from r0 and of `unit` columns from c0 (but the last): the loops
// in f then meet the same groups of four rows and the same pieces of columns, in the same
// order for each result, as in memory, so the sums are identical whichever way it came.
template <class T, class F>
void for_each_piece(const Tile<T>& tile, std::int64_t cols, int t, std::int64_t r0, std::int64_t r1, std::int64_t c0,
                    std::int64_t c1, std::int64_t unit, F&& f) {
  if (r0 >= r1 || c0 >= c1) return;
  const auto capacity = tile.buffers ? static_cast<std::int64_t>(tile.buffers->bytes() / sizeof(T)) : 0;
  const std::int64_t width = c1 - c0;
  const std::int64_t rows_per = 4 * width <= capacity ? capacity / width / 4 * 4 : 4;
  const std::int64_t w = 4 * width <= capacity ? width : capacity / 4 / unit * unit;
  if (!tile.staged.map || w == 0) {
    f(tile.data + r0 * cols + c0, cols, r0, r1, c0, c1);
    return;
  }
  T* buffer = reinterpret_cast<T*>(tile.buffers->get(t));
  const auto at = [&](std::int64_t r, std::int64_t c) {
    return tile.staged.offset + static_cast<std::size_t>(r * cols + c) * sizeof(T);
  };
  for (std::int64_t q0 = r0; q0 < r1; q0 += rows_per) {
    const std::int64_t q1 = std::min(r1, q0 + rows_per);
    for (std::int64_t p0 = c0; p0 < c1; p0 += w) {
      const std::int64_t p1 = std::min(c1, p0 + w), n = p1 - p0;
      if (n == cols)
        tile.staged.map->copy(at(q0, 0), static_cast<std::size_t>((q1 - q0) * n) * sizeof(T),
                              reinterpret_cast<std::byte*>(buffer));
      else
        for (std::int64_t q = q0; q < q1; ++q)
          tile.staged.map->copy(at(q, p0), static_cast<std::size_t>(n) * sizeof(T),
                                reinterpret_cast<std::byte*>(buffer + (q - q0) * n));
      f(static_cast<const T*>(buffer), n, q0, q1, p0, p1);
    }
  }
}

// out[0:q1-q0] += rows q0..q1 × columns c0..c1 of A·x, p pointing at (q0, c0) with rows ld
// apart; the columns in pieces from c0, every row per piece: each piece of x is read from
// memory once a tile (a tile of one or two long rows would otherwise stream x, as large as
// the rows, once a row).
template <class T, class X, class Acc>
void gemv_rows(const T* p, std::int64_t ld, std::int64_t q0, std::int64_t q1, std::int64_t c0, std::int64_t c1,
               const X* x, Acc* out) {
  constexpr auto kPiece = static_cast<std::int64_t>(kPieceBytes / sizeof(X));
  for (std::int64_t p0 = c0; p0 < c1; p0 += kPiece) {
    const std::int64_t p1 = std::min(c1, p0 + kPiece);
    const T* a = p + (p0 - c0);
    std::int64_t i = q0;
    for (; i + 4 <= q1; i += 4) dot4(a + (i - q0) * ld, ld, p1 - p0, x + p0, out + (i - q0));
    for (; i < q1; ++i) out[i - q0] += dot<Acc>(a + (i - q0) * ld, p1 - p0, x + p0);
  }
}

// y[0:rows] += A·x for a rows×cols tile A (x: the tile's columns); y = A·x with
// `overwrite` (y's old values are not read: a tall-skinny matrix's y, as large as a fifth of
// A, is then neither zeroed first nor read back).
template <class T, class X, class Acc>
void gemv(const Tile<T>& a, std::int64_t rows, std::int64_t cols, const X* x, Acc* y, int threads,
          bool overwrite = false) {
  if (cols <= kSmall && cols > 0 && !is_complex_v<Acc>) {
    with_small_cols(cols, [&](auto n) {
      constexpr int kCols = decltype(n)::value;
      detail::parallel_parts(rows, threads, 4096, [&](int t, std::int64_t r0, std::int64_t r1) {
        for_each_piece(a, cols, t, r0, r1, 0, cols, 1,
                       [&](const T* p, std::int64_t, std::int64_t q0, std::int64_t q1, std::int64_t, std::int64_t) {
                         if (overwrite)
                           gemv_small<kCols, true>(p, q1 - q0, x, y + q0);
                         else
                           gemv_small<kCols, false>(p, q1 - q0, x, y + q0);
                       });
      });
    });
    return;
  }
  if (overwrite) std::fill(y, y + rows, Acc{});
  constexpr auto kPiece = static_cast<std::int64_t>(kPieceBytes / sizeof(X));
  if (cols < kSplitColumns * threads || rows >= kRowsPerThread * threads) {
    detail::parallel_parts(rows, threads, kRowsPerThread, [&](int t, std::int64_t r0, std::int64_t r1) {
      for_each_piece(a, cols, t, r0, r1, 0, cols, kPiece,
                     [&](const T* p, std::int64_t ld, std::int64_t q0, std::int64_t q1, std::int64_t p0,
                         std::int64_t p1) { gemv_rows(p, ld, q0, q1, p0, p1, x, y + q0); });
    });
    return;
  }
  std::vector<Acc> partial(static_cast<std::size_t>(threads * rows), Acc{});
  detail::parallel(threads, [&](int t, int nt) {
    Acc* mine = partial.data() + t * rows;
    for_each_piece(a, cols, t, 0, rows, cols * t / nt, cols * (t + 1) / nt, kPiece,
                   [&](const T* p, std::int64_t ld, std::int64_t q0, std::int64_t q1, std::int64_t p0,
                       std::int64_t p1) { gemv_rows(p, ld, q0, q1, p0, p1, x, mine + q0); });
  });
  for (int t = 0; t < threads; ++t)
    for (std::int64_t r = 0; r < rows; ++r) y[r] += partial[static_cast<std::size_t>(t * rows + r)];
}

template <class T, class X, class Acc>
void gemv(const T* a, std::int64_t rows, std::int64_t cols, const X* x, Acc* y, int threads, bool overwrite = false) {
  gemv(Tile<T>(a), rows, cols, x, y, threads, overwrite);
}

// out[c0:c1] += rows r0..r1 × columns c0..c1 of Aᵀ·y, p pointing at (r0, c0) with rows ld
// apart; four rows per pass over `out` (a quarter of the loads and stores of out), in
// pieces short enough that the piece of out stays in L2 (128 KiB of float64) and long
// enough that each row's run keeps the prefetchers busy (pieces of 2048, 8 KiB runs of
// float32, made a 400 MB product 25 % slower on Zen 5).
template <class T, class Acc>
void gemv_t_part(const T* p, std::int64_t ld, std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1,
                 const Acc* y, Acc* out) {
  for (std::int64_t p0 = c0; p0 < c1; p0 += kOutPiece) {
    const std::int64_t p1 = std::min(c1, p0 + kOutPiece), n = p1 - p0;
    const T* a = p + (p0 - c0);
    Acc* o = out + p0;
    std::int64_t i = r0;
    if constexpr (!is_complex_v<Acc>) {
      for (; i + 4 <= r1; i += 4) {
        const T *q0 = a + (i - r0) * ld, *q1 = q0 + ld, *q2 = q1 + ld, *q3 = q2 + ld;
        const Acc y0 = y[i], y1 = y[i + 1], y2 = y[i + 2], y3 = y[i + 3];
#pragma omp simd
        for (std::int64_t j = 0; j < n; ++j)
          o[j] += static_cast<Acc>(load(q0 + j)) * y0 + static_cast<Acc>(load(q1 + j)) * y1 +
                  static_cast<Acc>(load(q2 + j)) * y2 + static_cast<Acc>(load(q3 + j)) * y3;
      }
    }
    for (; i < r1; ++i) {
      const Acc yi = y[i];
      const T* row = a + (i - r0) * ld;
#pragma omp simd
      for (std::int64_t j = 0; j < n; ++j) o[j] += static_cast<Acc>(load(row + j)) * yi;
    }
  }
}

// out[0:cols] += Aᵀ·y for a rows×cols tile A (y: the tile's rows). Wide tiles: each thread
// owns a range of columns. Narrow ones: each thread sums its rows into its own copy of out.
template <class T, class Acc>
void gemv_t(const Tile<T>& a, std::int64_t rows, std::int64_t cols, const Acc* y, Acc* out, int threads) {
  if (cols >= kSplitColumns * threads || rows < 64 * threads) {
    detail::parallel_parts(cols, threads, kSplitColumns, [&](int t, std::int64_t c0, std::int64_t c1) {
      for_each_piece(a, cols, t, 0, rows, c0, c1, kOutPiece,
                     [&](const T* p, std::int64_t ld, std::int64_t q0, std::int64_t q1, std::int64_t p0,
                         std::int64_t p1) { gemv_t_part(p, ld, q0, q1, p0, p1, y, out); });
    });
    return;
  }
  std::vector<Acc> partial(static_cast<std::size_t>(threads * cols), Acc{});
  detail::parallel(threads, [&](int t, int nt) {
    const std::int64_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
    Acc* mine = partial.data() + t * cols;
    if (cols <= kSmall && !is_complex_v<Acc>) {
      with_small_cols(cols, [&](auto n) {
        constexpr int kCols = decltype(n)::value;
        Acc sums[kCols] = {};
        for_each_piece(a, cols, t, r0, r1, 0, cols, 1,
                       [&](const T* p, std::int64_t, std::int64_t q0, std::int64_t q1, std::int64_t, std::int64_t) {
                         gemv_t_small<kCols>(p, q1 - q0, y + q0, sums);
                       });
        for (int j = 0; j < kCols; ++j) mine[j] += sums[j];
      });
    } else {
      for_each_piece(a, cols, t, r0, r1, 0, cols, kOutPiece,
                     [&](const T* p, std::int64_t ld, std::int64_t q0, std::int64_t q1, std::int64_t p0,
                         std::int64_t p1) { gemv_t_part(p, ld, q0, q1, p0, p1, y, mine); });
    }
  });
  for (int t = 0; t < threads; ++t)
    for (std::int64_t j = 0; j < cols; ++j) out[j] += partial[static_cast<std::size_t>(t * cols + j)];
}

template <class T, class Acc>
void gemv_t(const T* a, std::int64_t rows, std::int64_t cols, const Acc* y, Acc* out, int threads) {
  gemv_t(Tile<T>(a), rows, cols, y, out, threads);
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

}  // namespace MAMMOTH_KERNELS_ISA
}  // namespace mammoth::ooc::kernels
