// y = A·x for CSR, CSC, BSR, COO and DIA, in parallel. CSR and BSR split rows by
// nonzeros; CSC and COO scatter into one private y per thread, summed at the end;
// DIA gives each thread a band of rows across every diagonal (contiguous, vectorisable).
#pragma once

#include <cstdint>
#include <span>

#include "mammoth/ndarray.hpp"
#include "mammoth/sparse/bsr.hpp"
#include "mammoth/sparse/coo.hpp"
#include "mammoth/sparse/csc.hpp"
#include "mammoth/sparse/csr.hpp"
#include "mammoth/sparse/dia.hpp"
#include "mammoth/sparse/parallel.hpp"

namespace mammoth::sparse {

template <class T>
void check_spmv(const char* format, std::int64_t rows, std::int64_t cols, std::size_t x, std::size_t y) {
  if (static_cast<std::int64_t>(x) != cols || static_cast<std::int64_t>(y) != rows)
    throw ShapeError(std::string("spmv: ") + format + " matrix of shape (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + ") needs x of length " + std::to_string(cols) + " and y of length " +
                     std::to_string(rows) + ", got " + std::to_string(x) + " and " + std::to_string(y));
}

// Asks for the cache line of element k; never faults, whatever k (the address is formed
// as an integer: k may lie past the array). Accessors that are not pointers overload it
// (stream.cpp).
inline void prefetch_bytes(const void* p, std::int64_t offset) {
  __builtin_prefetch(
      reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) + static_cast<std::uintptr_t>(offset)));
}
template <class T>
void prefetch(const T* p, std::int64_t k) {
  prefetch_bytes(p, k * static_cast<std::int64_t>(sizeof(T)));
}

// How far ahead the CSR kernel asks for indices and values: the hardware prefetcher
// stops at every 4 KiB page, and each row's loads of x stall the stream between pages
// (a 22M-entry product ran 1.3–1.5× faster with it; 128 to 1024 all help).
inline constexpr std::int64_t kPrefetchAhead = 256;

// The CSR kernel over rows [r0, r1): one dot product per row. `j` (indices) and `a`
// (values) are pointers, or anything indexed like them: the streamed product passes
// loaders for blocks viewed in place at any byte offset of a file (stream.cpp).
template <class T, class I, class J, class A>
void csr_rows_spmv(std::int64_t r0, std::int64_t r1, const I* p, J j, A a, const T* x, T* y) {
  // Four partial sums break the add latency chain, so the loop runs at memory speed.
  for (std::int64_t r = r0; r < r1; ++r) {
    T s0{}, s1{}, s2{}, s3{};
    I k = p[r];
    const I end = p[r + 1];
    for (; k + 4 <= end; k += 4) {
      prefetch(a, k + kPrefetchAhead);
      prefetch(j, k + kPrefetchAhead);
      s0 += a[k] * x[j[k]];
      s1 += a[k + 1] * x[j[k + 1]];
      s2 += a[k + 2] * x[j[k + 2]];
      s3 += a[k + 3] * x[j[k + 3]];
    }
    for (; k < end; ++k) s0 += a[k] * x[j[k]];
    y[r] = (s0 + s1) + (s2 + s3);
  }
}

template <Scalar T, Index I>
void spmv(const Csr<T, I>& A, std::span<const T> x, std::span<T> y) {
  check_spmv<T>("csr", A.rows, A.cols, x.size(), y.size());
  // Eight row ranges per thread of equal nonzeros, handed out dynamically: on a shared
  // machine a descheduled thread then delays only its own small part.
  const int threads = threads_for(A.nnz() + A.rows);
  const int parts = threads == 1 ? 1 : threads * 8;
  const auto bounds = split_by_nnz(A.indptr.data(), A.rows, parts);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int t = 0; t < parts; ++t)
    csr_rows_spmv(bounds[static_cast<std::size_t>(t)], bounds[static_cast<std::size_t>(t) + 1], A.indptr.data(),
                  A.indices.data(), A.data.data(), x.data(), y.data());
}

// Scatter kernels add into y (CSC: one column at a time; COO: one triplet at a time).
// `i` and `a` as csr_rows_spmv's `j` and `a`.
template <class T, class I, class J, class A>
void csc_cols_spmv(std::int64_t c0, std::int64_t c1, const I* p, J i, A a, const T* x, T* y) {
  for (std::int64_t c = c0; c < c1; ++c) {
    const T xc = x[c];
    for (I k = p[c]; k < p[c + 1]; ++k) y[i[k]] += a[k] * xc;
  }
}

// Runs scatter(part, y_private) on each thread and sums the private vectors into y.
template <class T, class F>
void scatter_reduce(int threads, std::int64_t rows, T* y, F&& scatter) {
  std::fill(y, y + rows, T{});
  if (threads == 1) {
    scatter(0, 1, y);
    return;
  }
  std::vector<T> partial(static_cast<std::size_t>(rows) * static_cast<std::size_t>(threads - 1), T{});
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    scatter(t, nt, t == 0 ? y : partial.data() + static_cast<std::size_t>(t - 1) * static_cast<std::size_t>(rows));
#pragma omp barrier
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r)
      for (int q = 0; q < nt - 1; ++q)
        y[r] += partial[static_cast<std::size_t>(q) * static_cast<std::size_t>(rows) + static_cast<std::size_t>(r)];
  }
}

template <Scalar T, Index I>
void spmv(const Csc<T, I>& A, std::span<const T> x, std::span<T> y) {
  check_spmv<T>("csc", A.rows, A.cols, x.size(), y.size());
  const int threads = threads_for(A.nnz() + A.cols);
  const auto bounds = split_by_nnz(A.indptr.data(), A.cols, threads);
  scatter_reduce(threads, A.rows, y.data(), [&](int t, int, T* out) {
    csc_cols_spmv(bounds[static_cast<std::size_t>(t)], bounds[static_cast<std::size_t>(t) + 1], A.indptr.data(),
                  A.indices.data(), A.data.data(), x.data(), out);
  });
}

template <Scalar T, Index I>
void spmv(const Coo<T, I>& A, std::span<const T> x, std::span<T> y) {
  check_spmv<T>("coo", A.rows, A.cols, x.size(), y.size());
  const int threads = threads_for(A.nnz());
  scatter_reduce(threads, A.rows, y.data(), [&](int t, int nt, T* out) {
    const std::int64_t k0 = A.nnz() * t / nt, k1 = A.nnz() * (t + 1) / nt;
    const I* r = A.row.data();
    const I* c = A.col.data();
    const T* a = A.data.data();
    for (std::int64_t k = k0; k < k1; ++k) out[r[k]] += a[k] * x[c[k]];
  });
}

template <Scalar T, Index I>
void spmv(const Bsr<T, I>& A, std::span<const T> x, std::span<T> y) {
  check_spmv<T>("bsr", A.rows, A.cols, x.size(), y.size());
  const std::int64_t R = A.block_rows, C = A.block_cols, nbr = A.block_row_count();
  const int threads = threads_for(A.nnz());
  const auto bounds = split_by_nnz(A.indptr.data(), nbr, threads);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int t = 0; t < threads; ++t)
    for (std::int64_t br = bounds[static_cast<std::size_t>(t)]; br < bounds[static_cast<std::size_t>(t) + 1]; ++br) {
      T* yb = y.data() + br * R;
      std::fill(yb, yb + R, T{});
      for (I q = A.indptr[br]; q < A.indptr[br + 1]; ++q) {
        const T* block = A.data.data() + q * R * C;
        const T* xb = x.data() + A.indices[q] * C;
        for (std::int64_t r = 0; r < R; ++r) {
          T sum{};
          for (std::int64_t c = 0; c < C; ++c) sum += block[r * C + c] * xb[c];
          yb[r] += sum;
        }
      }
    }
}

template <Scalar T, Index I>
void spmv(const Dia<T, I>& A, std::span<const T> x, std::span<T> y) {
  check_spmv<T>("dia", A.rows, A.cols, x.size(), y.size());
  std::fill(y.begin(), y.end(), T{});
  const int threads = threads_for(A.ndiag() * A.rows);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t i0 = A.rows * t / nt, i1 = A.rows * (t + 1) / nt;
    for (std::int64_t d = 0; d < A.ndiag(); ++d) {
      const std::int64_t off = A.offsets[static_cast<std::size_t>(d)];
      // Rows i with column j = i + off inside [0, min(length, cols)).
      const std::int64_t lo = std::max({i0, -off, std::int64_t{0}});
      const std::int64_t hi = std::min({i1, std::min(A.length, A.cols) - off});
      const T* diag = A.data.data() + d * A.length + off;
      const T* xs = x.data() + off;
      T* ys = y.data();
#pragma omp simd
      for (std::int64_t i = lo; i < hi; ++i) ys[i] += diag[i] * xs[i];
    }
  }
}

// Y = A·X for a dense X of shape (cols, k), C order; rows split by nonzeros.
template <Scalar T, Index I>
NdArray<T> spmm(const Csr<T, I>& A, const NdArray<T>& X0) {
  if (X0.ndim() != 2 || X0.shape(0) != A.cols)
    throw ShapeError("spmm: matrix of shape (" + std::to_string(A.rows) + ", " + std::to_string(A.cols) +
                     ") cannot multiply an array of shape " + shape_string(X0.shape()));
  const NdArray<T> X = X0.is_c_contiguous() ? X0 : X0.copy();
  const std::int64_t k = X.shape(1);
  NdArray<T> Y = NdArray<T>::full({A.rows, k}, T{});
  const T* xd = X.data();
  T* yd = Y.data();
  const int threads = threads_for((A.nnz() + A.rows) * k);
  const auto bounds = split_by_nnz(A.indptr.data(), A.rows, threads);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int t = 0; t < threads; ++t)
    for (std::int64_t r = bounds[static_cast<std::size_t>(t)]; r < bounds[static_cast<std::size_t>(t) + 1]; ++r) {
      T* yr = yd + r * k;
      for (I q = A.indptr[r]; q < A.indptr[r + 1]; ++q) {
        const T a = A.data[static_cast<std::size_t>(q)];
        const T* xr = xd + static_cast<std::int64_t>(A.indices[static_cast<std::size_t>(q)]) * k;
#pragma omp simd
        for (std::int64_t c = 0; c < k; ++c) yr[c] += a * xr[c];
      }
    }
  return Y;
}

}  // namespace mammoth::sparse
