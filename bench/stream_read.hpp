// The memory bandwidth SpMV can hope for, read the way the SpMV kernel reads its matrix:
// one helper for bench/sparse_bench (BM_StreamRead) and bench/sparse_workloads (--op stream,
// which bench/peers.py prints beside SpMV and in its header), so both measure the same thing.
#pragma once

#include <omp.h>

#include <cstdint>
#include <span>

#include "mammoth/sparse/spmv.hpp"

namespace mammoth::bench {

// Bytes SpMV must read at least of a CSR float64/int32 matrix: values + column indices +
// row pointers.
inline std::size_t spmv_matrix_bytes(std::int64_t nnz, std::int64_t rows) {
  return static_cast<std::size_t>(nnz) * (sizeof(double) + sizeof(std::int32_t)) +
         static_cast<std::size_t>(rows + 1) * sizeof(std::int32_t);
}

// Sums `buf` on every thread, each a contiguous part as SpMV's threads take theirs.
// Integers: a vector add of them takes one cycle, so the memory, not a floating-point add's
// latency, sets the pace (a float64 sum measured less than SpMV itself). Software prefetch
// 2 KiB ahead, as the SpMV kernel asks for its values (sparse::kPrefetchAhead): this
// machine's hardware prefetcher stops at every 4 KiB page.
inline std::uint64_t stream_read(std::span<const std::uint64_t> buf) {
  std::uint64_t s = 0;
#pragma omp parallel reduction(+ : s)
  {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    const auto nt = static_cast<std::size_t>(omp_get_num_threads());
    const std::size_t i1 = buf.size() * (t + 1) / nt;
    std::size_t i = buf.size() * t / nt;
    std::uint64_t part = 0;
    for (; i + 8 <= i1; i += 8) {
      sparse::prefetch(buf.data(), static_cast<std::int64_t>(i) + sparse::kPrefetchAhead);
#pragma omp simd reduction(+ : part)
      for (std::size_t k = i; k < i + 8; ++k) part += buf[k];
    }
    for (; i < i1; ++i) part += buf[i];
    s += part;
  }
  return s;
}

}  // namespace mammoth::bench
