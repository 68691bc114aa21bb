// The hot kernels (matvec, rmatvec, sum) for float32 and float64 tiles with float64
// accumulators, run in the best copy of kernels.hpp the CPU supports: AVX-512, AVX2+FMA or
// the baseline. numpy's and OpenBLAS's loops dispatch the same way; at the baseline (SSE2)
// widening float32 to float64 costs twice the instructions of the AVX-512 loop, which shows
// whenever the cores, not the memory, set the pace (a loaded machine, data in cache).
#pragma once

#include <cstdint>

#include "tile.hpp"

namespace mammoth::ooc::isa {

struct Kernels {
  const char* name;  // "avx512", "avx2" or "baseline"
  void (*gemv_f32)(const Tile<float>& a, std::int64_t rows, std::int64_t cols, const double* x, double* y, int threads,
                   bool overwrite);
  // x kept float32 for a float32 matrix: half the traffic of x, the same sums.
  void (*gemv_f32_x32)(const Tile<float>& a, std::int64_t rows, std::int64_t cols, const float* x, double* y,
                       int threads, bool overwrite);
  void (*gemv_f64)(const Tile<double>& a, std::int64_t rows, std::int64_t cols, const double* x, double* y, int threads,
                   bool overwrite);
  void (*gemv_t_f32)(const Tile<float>& a, std::int64_t rows, std::int64_t cols, const double* y, double* out,
                     int threads);
  void (*gemv_t_f64)(const Tile<double>& a, std::int64_t rows, std::int64_t cols, const double* y, double* out,
                     int threads);
  double (*sum_f32)(const float* p, std::int64_t n);
  double (*sum_f64)(const double* p, std::int64_t n);
};

// The copy chosen for this CPU (once); MAMMOTH_KERNELS=baseline|avx2|avx512 caps it, for
// tests and measurements.
const Kernels& best();

// The copies built into the library (null when the CPU cannot run them).
const Kernels* avx2();
const Kernels* avx512();
const Kernels& baseline();

// y[0:rows] += A·x, out[0:cols] += Aᵀ·y, sum p[0:n]: the best copy for float/double
// tiles, kernels.hpp's templates for every other type.
template <class T>
inline constexpr bool has_fast_kernels = false;
template <>
inline constexpr bool has_fast_kernels<float> = true;
template <>
inline constexpr bool has_fast_kernels<double> = true;

inline void gemv(const Tile<float>& a, std::int64_t rows, std::int64_t cols, const double* x, double* y, int threads,
                 bool overwrite = false) {
  best().gemv_f32(a, rows, cols, x, y, threads, overwrite);
}
inline void gemv(const Tile<float>& a, std::int64_t rows, std::int64_t cols, const float* x, double* y, int threads,
                 bool overwrite = false) {
  best().gemv_f32_x32(a, rows, cols, x, y, threads, overwrite);
}
inline void gemv(const Tile<double>& a, std::int64_t rows, std::int64_t cols, const double* x, double* y, int threads,
                 bool overwrite = false) {
  best().gemv_f64(a, rows, cols, x, y, threads, overwrite);
}
inline void gemv_t(const Tile<float>& a, std::int64_t rows, std::int64_t cols, const double* y, double* out,
                   int threads) {
  best().gemv_t_f32(a, rows, cols, y, out, threads);
}
inline void gemv_t(const Tile<double>& a, std::int64_t rows, std::int64_t cols, const double* y, double* out,
                   int threads) {
  best().gemv_t_f64(a, rows, cols, y, out, threads);
}
inline double sum(const float* p, std::int64_t n) { return best().sum_f32(p, n); }
inline double sum(const double* p, std::int64_t n) { return best().sum_f64(p, n); }

}  // namespace mammoth::ooc::isa
