// Conversions among the seven formats: direct kernels where they are cheaper
// (CSR↔CSC, CSR↔COO, CSR↔LIL/DOK/BSR/DIA), everything else through CSR.
// Also canonical form, eliminate_zeros, transpose and dense ↔ sparse.
#pragma once

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>
#include <vector>

#include "mammoth/ndarray.hpp"
#include "mammoth/sparse/bsr.hpp"
#include "mammoth/sparse/coo.hpp"
#include "mammoth/sparse/csc.hpp"
#include "mammoth/sparse/csr.hpp"
#include "mammoth/sparse/dia.hpp"
#include "mammoth/sparse/dok.hpp"
#include "mammoth/sparse/lil.hpp"
#include "mammoth/sparse/parallel.hpp"

namespace mammoth::sparse {

// ---- compressed kernels over plain arrays (CSR of A ≡ CSC of Aᵀ) ----

// True when every row's indices increase strictly (sorted, no duplicates).
template <class I>
bool rows_are_canonical(std::int64_t n, const I* p, const I* j) {
  bool ok = true;
#pragma omp parallel for reduction(&& : ok) schedule(static) if (threads_for(p[n]) > 1)
  for (std::int64_t i = 0; i < n; ++i)
    for (I k = p[i] + 1; k < p[i + 1]; ++k)
      if (j[k] <= j[k - 1]) ok = false;
  return ok;
}

// Compressed (n major × m minor) → compressed (m major × n minor): the transpose kernel.
// With sorted rows, each thread fills its own band of output columns, walking every
// row with a cursor, so writes stay inside one cache-sized slab of the output.
template <class T, class I>
void compress_transpose(std::int64_t n, std::int64_t m, const I* p, const I* j, const T* x, I* bp, I* bi, T* bx) {
  const std::int64_t nnz = p[n];
  const int threads = threads_for(nnz);
  std::fill(bp, bp + m + 1, I{0});
  if (threads == 1 || m > nnz) {
    for (std::int64_t k = 0; k < nnz; ++k) ++bp[j[k] + 1];
  } else {
    // Per-thread column counts over slices of the entries, then summed.
    std::vector<I> counts(static_cast<std::size_t>(m) * static_cast<std::size_t>(threads - 1), I{0});
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      I* mine = t == 0 ? bp + 1 : counts.data() + static_cast<std::size_t>(t - 1) * static_cast<std::size_t>(m);
      for (std::int64_t k = nnz * t / nt; k < nnz * (t + 1) / nt; ++k) ++mine[j[k]];
#pragma omp barrier
#pragma omp for schedule(static)
      for (std::int64_t c = 0; c < m; ++c)
        for (int q = 0; q < nt - 1; ++q)
          bp[c + 1] += counts[static_cast<std::size_t>(q) * static_cast<std::size_t>(m) + static_cast<std::size_t>(c)];
    }
  }
  for (std::int64_t c = 0; c < m; ++c) bp[c + 1] += bp[c];
  if (nnz == 0) return;
  if (threads == 1 || !rows_are_canonical(n, p, j)) {
    Vec<I> next(bp, bp + m);
    for (std::int64_t r = 0; r < n; ++r)
      for (I k = p[r]; k < p[r + 1]; ++k) {
        const I dst = next[j[k]]++;
        bi[dst] = static_cast<I>(r);
        bx[dst] = x[k];
      }
    return;
  }
  // Output column bands of ~2^17 entries, handed out dynamically (a busy core on a
  // shared machine then slows only its own bands); each row is entered by binary search.
  std::int64_t bands = std::max<std::int64_t>(threads * 4, nnz >> 17);
  bands = std::min<std::int64_t>({bands, m, std::max<std::int64_t>(threads, nnz / std::max<std::int64_t>(1, 4 * n))});
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::int64_t b = 0; b < bands; ++b) {
    const std::int64_t c0 = m * b / bands, c1 = m * (b + 1) / bands;
    std::vector<I> next(bp + c0, bp + c1);
    for (std::int64_t r = 0; r < n; ++r) {
      const I end = p[r + 1];
      I k = static_cast<I>(std::lower_bound(j + p[r], j + end, static_cast<I>(c0)) - j);
      for (; k < end && j[k] < c1; ++k) {
        const I dst = next[static_cast<std::size_t>(j[k] - c0)]++;
        bi[dst] = static_cast<I>(r);
        bx[dst] = x[k];
      }
    }
  }
}

// Sorts each row's indices and sums duplicates, in place; returns the new nnz.
template <class T, class I>
void compress_canonicalize(std::int64_t n, Vec<I>& p, Vec<I>& j, Vec<T>& x) {
  if (rows_are_canonical(n, p.data(), j.data())) return;
  Vec<I> count(static_cast<std::size_t>(n));
#pragma omp parallel
  {
    std::vector<std::pair<I, T>> row;
#pragma omp for schedule(dynamic, 64)
    for (std::int64_t r = 0; r < n; ++r) {
      row.clear();
      for (I k = p[r]; k < p[r + 1]; ++k) row.emplace_back(j[k], x[k]);
      std::stable_sort(row.begin(), row.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      I out = p[r];
      for (std::size_t k = 0; k < row.size(); ++k) {
        if (out > p[r] && j[out - 1] == row[k].first) {
          x[out - 1] = add_values(x[out - 1], row[k].second);
        } else {
          j[out] = row[k].first;
          x[out] = row[k].second;
          ++out;
        }
      }
      count[static_cast<std::size_t>(r)] = out - p[r];
    }
  }
  // Compact the rows left to right.
  I out = 0;
  for (std::int64_t r = 0; r < n; ++r) {
    const I start = p[r];
    for (I k = 0; k < count[static_cast<std::size_t>(r)]; ++k) {
      j[out + k] = j[start + k];
      x[out + k] = x[start + k];
    }
    p[r] = out;
    out += count[static_cast<std::size_t>(r)];
  }
  p[n] = out;
  j.resize(static_cast<std::size_t>(out));
  x.resize(static_cast<std::size_t>(out));
}

// Drops stored zeros, in place.
template <class T, class I>
void compress_eliminate_zeros(std::int64_t n, Vec<I>& p, Vec<I>& j, Vec<T>& x) {
  I out = 0;
  for (std::int64_t r = 0; r < n; ++r) {
    const I start = p[r], end = p[r + 1];
    p[r] = out;
    for (I k = start; k < end; ++k)
      if (!is_zero(x[k])) {
        j[out] = j[k];
        x[out] = x[k];
        ++out;
      }
  }
  p[n] = out;
  j.resize(static_cast<std::size_t>(out));
  x.resize(static_cast<std::size_t>(out));
}

template <Scalar T, Index I>
void sum_duplicates(Csr<T, I>& a) {
  compress_canonicalize(a.rows, a.indptr, a.indices, a.data);
}
template <Scalar T, Index I>
void sum_duplicates(Csc<T, I>& a) {
  compress_canonicalize(a.cols, a.indptr, a.indices, a.data);
}
template <Scalar T, Index I>
bool has_canonical_format(const Csr<T, I>& a) {
  return rows_are_canonical(a.rows, a.indptr.data(), a.indices.data());
}
template <Scalar T, Index I>
void eliminate_zeros(Csr<T, I>& a) {
  compress_eliminate_zeros(a.rows, a.indptr, a.indices, a.data);
}
template <Scalar T, Index I>
void eliminate_zeros(Csc<T, I>& a) {
  compress_eliminate_zeros(a.cols, a.indptr, a.indices, a.data);
}

// ---- CSR ↔ CSC, transpose ----

template <Scalar T, Index I>
Csc<T, I> to_csc(const Csr<T, I>& a) {
  Csc<T, I> b{a.rows, a.cols, Vec<I>(static_cast<std::size_t>(a.cols) + 1), Vec<I>(static_cast<std::size_t>(a.nnz())),
              Vec<T>(static_cast<std::size_t>(a.nnz()))};
  compress_transpose(a.rows, a.cols, a.indptr.data(), a.indices.data(), a.data.data(), b.indptr.data(),
                     b.indices.data(), b.data.data());
  return b;
}
template <Scalar T, Index I>
Csr<T, I> to_csr(const Csc<T, I>& a) {
  Csr<T, I> b{a.rows, a.cols, Vec<I>(static_cast<std::size_t>(a.rows) + 1), Vec<I>(static_cast<std::size_t>(a.nnz())),
              Vec<T>(static_cast<std::size_t>(a.nnz()))};
  compress_transpose(a.cols, a.rows, a.indptr.data(), a.indices.data(), a.data.data(), b.indptr.data(),
                     b.indices.data(), b.data.data());
  return b;
}
// Aᵀ as CSR (a CSR of A read as CSC is Aᵀ; converting that to CSR moves the data once).
template <Scalar T, Index I>
Csr<T, I> transpose(const Csr<T, I>& a) {
  Csc<T, I> t = to_csc(a);
  return Csr<T, I>{a.cols, a.rows, std::move(t.indptr), std::move(t.indices), std::move(t.data)};
}
template <Scalar T, Index I>
Csc<T, I> transpose(const Csc<T, I>& a) {
  Csr<T, I> t = to_csr(a);
  return Csc<T, I>{a.cols, a.rows, std::move(t.indptr), std::move(t.indices), std::move(t.data)};
}

// ---- CSR ↔ COO ----

template <class I>
void expand_indptr(std::int64_t n, const I* p, I* out) {
#pragma omp parallel for schedule(static) if (threads_for(p[n]) > 1)
  for (std::int64_t r = 0; r < n; ++r) std::fill(out + p[r], out + p[r + 1], static_cast<I>(r));
}
template <class V>
void parallel_copy(const V* src, std::size_t n, V* dst) {
  const std::int64_t chunks = std::max<std::int64_t>(1, threads_for(static_cast<std::int64_t>(n) / 4));
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::size_t b = n * static_cast<std::size_t>(c) / static_cast<std::size_t>(chunks);
    const std::size_t e = n * static_cast<std::size_t>(c + 1) / static_cast<std::size_t>(chunks);
    if (e > b) std::memcpy(dst + b, src + b, (e - b) * sizeof(V));
  }
}

template <Scalar T, Index I>
Coo<T, I> to_coo(const Csr<T, I>& a) {
  const auto nnz = static_cast<std::size_t>(a.nnz());
  Coo<T, I> b{a.rows, a.cols, Vec<I>(nnz), Vec<I>(nnz), Vec<T>(nnz)};
  expand_indptr(a.rows, a.indptr.data(), b.row.data());
  parallel_copy(a.indices.data(), nnz, b.col.data());
  parallel_copy(a.data.data(), nnz, b.data.data());
  return b;
}
// Takes over indices and data, as scipy's tocoo(copy=False) shares them.
template <Scalar T, Index I>
Coo<T, I> to_coo(Csr<T, I>&& a) {
  Coo<T, I> b{a.rows, a.cols, Vec<I>(a.indices.size()), std::move(a.indices), std::move(a.data)};
  expand_indptr(a.rows, a.indptr.data(), b.row.data());
  a.indptr.assign(static_cast<std::size_t>(a.rows) + 1, I{0});
  return b;
}
template <Scalar T, Index I>
Coo<T, I> to_coo(const Csc<T, I>& a) {
  const auto nnz = static_cast<std::size_t>(a.nnz());
  Coo<T, I> b{a.rows, a.cols, Vec<I>(nnz), Vec<I>(nnz), Vec<T>(nnz)};
  expand_indptr(a.cols, a.indptr.data(), b.col.data());
  parallel_copy(a.indices.data(), nnz, b.row.data());
  parallel_copy(a.data.data(), nnz, b.data.data());
  return b;
}

// Counting sort by `major` then canonicalize: COO → compressed (duplicates summed).
template <class T, class I>
void coo_compress(std::int64_t n, const Vec<I>& major, const Vec<I>& minor, const Vec<T>& x, Vec<I>& p, Vec<I>& j,
                  Vec<T>& v) {
  const std::size_t nnz = x.size();
  p.assign(static_cast<std::size_t>(n) + 1, I{0});
  j.resize(nnz);
  v.resize(nnz);
  for (std::size_t k = 0; k < nnz; ++k) ++p[static_cast<std::size_t>(major[k]) + 1];
  for (std::int64_t r = 0; r < n; ++r) p[static_cast<std::size_t>(r) + 1] += p[static_cast<std::size_t>(r)];
  Vec<I> next(p.begin(), p.end() - 1);
  for (std::size_t k = 0; k < nnz; ++k) {
    const I dst = next[static_cast<std::size_t>(major[k])]++;
    j[static_cast<std::size_t>(dst)] = minor[k];
    v[static_cast<std::size_t>(dst)] = x[k];
  }
  compress_canonicalize(n, p, j, v);
}
template <Scalar T, Index I>
Csr<T, I> to_csr(const Coo<T, I>& a) {
  Csr<T, I> b{a.rows, a.cols, {}, {}, {}};
  coo_compress(a.rows, a.row, a.col, a.data, b.indptr, b.indices, b.data);
  return b;
}
template <Scalar T, Index I>
Csc<T, I> to_csc(const Coo<T, I>& a) {
  Csc<T, I> b{a.rows, a.cols, {}, {}, {}};
  coo_compress(a.cols, a.col, a.row, a.data, b.indptr, b.indices, b.data);
  return b;
}

// ---- CSR ↔ LIL ----

template <Scalar T, Index I>
Lil<T, I> to_lil(const Csr<T, I>& a0) {
  const Csr<T, I>* a = &a0;
  Csr<T, I> sorted;
  if (!has_canonical_format(a0)) {
    sorted = a0;
    sum_duplicates(sorted);
    a = &sorted;
  }
  Lil<T, I> b{a->rows, a->cols, std::vector<Vec<I>>(static_cast<std::size_t>(a->rows)),
              std::vector<Vec<T>>(static_cast<std::size_t>(a->rows))};
#pragma omp parallel for schedule(dynamic, 16) if (threads_for(a->nnz()) > 1)
  for (std::int64_t r = 0; r < a->rows; ++r) {
    const auto s = static_cast<std::size_t>(r);
    b.indices[s].assign(a->indices.begin() + a->indptr[s], a->indices.begin() + a->indptr[s + 1]);
    b.data[s].assign(a->data.begin() + a->indptr[s], a->data.begin() + a->indptr[s + 1]);
  }
  return b;
}
template <Scalar T, Index I>
Csr<T, I> to_csr(const Lil<T, I>& a) {
  Csr<T, I> b{a.rows, a.cols, Vec<I>(static_cast<std::size_t>(a.rows) + 1, I{0}), {}, {}};
  for (std::int64_t r = 0; r < a.rows; ++r)
    b.indptr[static_cast<std::size_t>(r) + 1] =
        b.indptr[static_cast<std::size_t>(r)] + static_cast<I>(a.indices[static_cast<std::size_t>(r)].size());
  b.indices.resize(static_cast<std::size_t>(b.indptr.back()));
  b.data.resize(static_cast<std::size_t>(b.indptr.back()));
#pragma omp parallel for schedule(dynamic, 16) if (threads_for(b.indptr.back()) > 1)
  for (std::int64_t r = 0; r < a.rows; ++r) {
    const auto s = static_cast<std::size_t>(r);
    std::copy(a.indices[s].begin(), a.indices[s].end(), b.indices.begin() + b.indptr[s]);
    std::copy(a.data[s].begin(), a.data[s].end(), b.data.begin() + b.indptr[s]);
  }
  return b;
}

// ---- CSR ↔ DOK ----

template <Scalar T, Index I>
Dok<T, I> to_dok(const Csr<T, I>& a) {
  Dok<T, I> b(a.rows, a.cols, a.nnz());
  for (std::int64_t r = 0; r < a.rows; ++r)
    for (I k = a.indptr[r]; k < a.indptr[r + 1]; ++k) b.add(r, a.indices[k], a.data[k]);
  return b;
}
template <Scalar T, Index I>
Csr<T, I> to_csr(const Dok<T, I>& a) {
  Coo<T, I> c{a.rows, a.cols, {}, {}, {}};
  c.row.reserve(static_cast<std::size_t>(a.nnz()));
  c.col.reserve(static_cast<std::size_t>(a.nnz()));
  c.data.reserve(static_cast<std::size_t>(a.nnz()));
  a.for_each([&](std::int64_t i, std::int64_t j, T v) {
    c.row.push_back(static_cast<I>(i));
    c.col.push_back(static_cast<I>(j));
    c.data.push_back(v);
  });
  return to_csr(c);
}

// ---- CSR ↔ BSR ----

// Blocks of R×C: every block that holds an entry is stored whole (zeros filled in).
// A block row's block columns are found by sorting its entries' block columns, not
// through a slot table per block column: the workspace stays proportional to the input
// (scipy's table of n/C pointers costs 8 GiB for a (8, 2^31) matrix of two blocks).
template <Scalar T, Index I>
Bsr<T, I> to_bsr(const Csr<T, I>& a, std::int64_t R = 1, std::int64_t C = 1) {
  if (R <= 0 || C <= 0 || a.rows % R != 0 || a.cols % C != 0)
    invalid("bsr", a.rows, a.cols,
            "block shape (" + std::to_string(R) + ", " + std::to_string(C) + ") does not divide the matrix");
  const std::int64_t nbr = a.rows / R, bs = R * C;
  Bsr<T, I> b{a.rows, a.cols, R, C, Vec<I>(static_cast<std::size_t>(nbr) + 1, I{0}), {}, {}};
  for (std::int64_t br = 0; br < nbr; ++br) {
    const auto first = static_cast<std::ptrdiff_t>(b.indices.size());
    const I begin = a.indptr[br * R], end = a.indptr[(br + 1) * R];
    for (I k = begin; k < end; ++k) b.indices.push_back(static_cast<I>(a.indices[k] / C));
    std::sort(b.indices.begin() + first, b.indices.end());
    b.indices.erase(std::unique(b.indices.begin() + first, b.indices.end()), b.indices.end());
    b.data.resize(b.indices.size() * static_cast<std::size_t>(bs), T{});
    for (std::int64_t r = br * R; r < (br + 1) * R; ++r)
      for (I k = a.indptr[r]; k < a.indptr[r + 1]; ++k) {
        const auto q = std::lower_bound(b.indices.begin() + first, b.indices.end(), static_cast<I>(a.indices[k] / C)) -
                       b.indices.begin();
        T& dst = b.data[static_cast<std::size_t>(q * bs + (r - br * R) * C + a.indices[k] % C)];
        dst = add_values(dst, a.data[k]);
      }
    b.indptr[static_cast<std::size_t>(br) + 1] = static_cast<I>(b.indices.size());
  }
  return b;
}
template <Scalar T, Index I>
Csr<T, I> to_csr(const Bsr<T, I>& a) {
  const std::int64_t R = a.block_rows, C = a.block_cols, bs = R * C;
  Csr<T, I> b{a.rows, a.cols, Vec<I>(static_cast<std::size_t>(a.rows) + 1, I{0}), {}, {}};
  b.indices.resize(static_cast<std::size_t>(a.nnz()));
  b.data.resize(static_cast<std::size_t>(a.nnz()));
  for (std::int64_t br = 0; br < a.block_row_count(); ++br) {
    const std::int64_t blocks = a.indptr[br + 1] - a.indptr[br];
    for (std::int64_t r = 0; r < R; ++r) {
      const std::int64_t row = br * R + r;
      I out = b.indptr[row];
      for (I q = a.indptr[br]; q < a.indptr[br + 1]; ++q)
        for (std::int64_t c = 0; c < C; ++c) {
          b.indices[static_cast<std::size_t>(out)] = static_cast<I>(a.indices[q] * C + c);
          b.data[static_cast<std::size_t>(out)] = a.data[static_cast<std::size_t>(q * bs + r * C + c)];
          ++out;
        }
      b.indptr[row + 1] = static_cast<I>(b.indptr[row] + blocks * C);
    }
  }
  return b;
}

// ---- CSR ↔ DIA ----

template <Scalar T, Index I>
Dia<T, I> to_dia(const Csr<T, I>& a) {
  // Offsets present, in increasing order (scipy's todia does the same via np.unique).
  std::vector<char> seen(static_cast<std::size_t>(a.rows + a.cols + 1), 0);
  for (std::int64_t r = 0; r < a.rows; ++r)
    for (I k = a.indptr[r]; k < a.indptr[r + 1]; ++k) seen[static_cast<std::size_t>(a.indices[k] - r + a.rows)] = 1;
  Dia<T, I> b{a.rows, a.cols, 0, {}, {}};
  std::vector<std::int64_t> which(seen.size(), -1);
  for (std::size_t s = 0; s < seen.size(); ++s)
    if (seen[s]) {
      which[s] = static_cast<std::int64_t>(b.offsets.size());
      b.offsets.push_back(static_cast<I>(static_cast<std::int64_t>(s) - a.rows));
    }
  b.length = std::min(a.cols, a.rows + (b.offsets.empty() ? 0 : std::max<std::int64_t>(0, b.offsets.back())));
  b.data.assign(b.offsets.size() * static_cast<std::size_t>(b.length), T{});
  for (std::int64_t r = 0; r < a.rows; ++r)
    for (I k = a.indptr[r]; k < a.indptr[r + 1]; ++k) {
      const auto d = which[static_cast<std::size_t>(a.indices[k] - r + a.rows)];
      T& dst = b.data[static_cast<std::size_t>(d * b.length + a.indices[k])];
      dst = add_values(dst, a.data[k]);
    }
  return b;
}
template <Scalar T, Index I>
Csr<T, I> to_csr(const Dia<T, I>& a) {
  Coo<T, I> c{a.rows, a.cols, {}, {}, {}};
  for (std::int64_t d = 0; d < a.ndiag(); ++d) {
    const std::int64_t off = a.offsets[static_cast<std::size_t>(d)];
    const std::int64_t j0 = std::max<std::int64_t>(0, off),
                       j1 = std::min<std::int64_t>({a.length, a.cols, a.rows + off});
    for (std::int64_t j = j0; j < j1; ++j) {
      c.row.push_back(static_cast<I>(j - off));
      c.col.push_back(static_cast<I>(j));
      c.data.push_back(a.data[static_cast<std::size_t>(d * a.length + j)]);
    }
  }
  return to_csr(c);
}

// ---- the remaining pairs go through CSR (identity for CSR itself) ----

template <Scalar T, Index I>
const Csr<T, I>& to_csr(const Csr<T, I>& a) {
  return a;
}
template <class S>
auto to_csc(const S& a) {
  return to_csc(to_csr(a));
}
template <class S>
auto to_coo(const S& a) {
  return to_coo(to_csr(a));
}
template <class S>
auto to_lil(const S& a) {
  return to_lil(to_csr(a));
}
template <class S>
auto to_dok(const S& a) {
  return to_dok(to_csr(a));
}
template <class S>
auto to_bsr(const S& a, std::int64_t R = 1, std::int64_t C = 1) {
  return to_bsr(to_csr(a), R, C);
}
template <class S>
auto to_dia(const S& a) {
  return to_dia(to_csr(a));
}

// ---- dense ----

template <Scalar T, Index I>
NdArray<T> to_dense(const Csr<T, I>& a) {
  NdArray<T> out = NdArray<T>::full({a.rows, a.cols}, T{});
  T* d = out.data();
  for (std::int64_t r = 0; r < a.rows; ++r)
    for (I k = a.indptr[r]; k < a.indptr[r + 1]; ++k) {
      T& dst = d[r * a.cols + a.indices[k]];
      dst = add_values(dst, a.data[k]);
    }
  return out;
}
template <class S>
auto to_dense(const S& a) {
  return to_dense(to_csr(a));
}
// The nonzeros of a 2-d array (any strides) as CSR.
template <Index I = std::int32_t, Scalar T>
Csr<T, I> csr_from_dense(const NdArray<T>& a) {
  if (a.ndim() != 2) throw ShapeError("csr_from_dense needs a 2-d array, got shape " + shape_string(a.shape()));
  Csr<T, I> b{a.shape(0), a.shape(1), Vec<I>(static_cast<std::size_t>(a.shape(0)) + 1, I{0}), {}, {}};
  for (std::int64_t r = 0; r < b.rows; ++r) {
    for (std::int64_t c = 0; c < b.cols; ++c) {
      const T v = a(r, c);
      if (!is_zero(v)) {
        b.indices.push_back(static_cast<I>(c));
        b.data.push_back(v);
      }
    }
    b.indptr[static_cast<std::size_t>(r) + 1] = static_cast<I>(b.indices.size());
  }
  return b;
}

}  // namespace mammoth::sparse
