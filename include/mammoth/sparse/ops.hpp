// Arithmetic on CSR (other formats convert first, as scipy does): scale, add,
// subtract, element-wise multiply, sparse × sparse, slicing, sums, diagonal, footprint.
#pragma once

#include <functional>

#include "mammoth/sparse/convert.hpp"
#include "mammoth/sparse/csr.hpp"

namespace mammoth::sparse {

template <Scalar T, Index I>
Csr<T, I> scale(Csr<T, I> a, T alpha) {
  for (T& v : a.data) v = mul_values(v, alpha);
  return a;
}

inline void check_same_shape(const char* op, std::int64_t r1, std::int64_t c1, std::int64_t r2, std::int64_t c2) {
  if (r1 != r2 || c1 != c2)
    throw ShapeError(std::string(op) + ": shapes (" + std::to_string(r1) + ", " + std::to_string(c1) + ") and (" +
                     std::to_string(r2) + ", " + std::to_string(c2) + ") differ");
}

// Merges two canonical rows with `f(a, b)`; `keep_union` false keeps only the intersection.
template <class T, class I, class F>
Csr<T, I> merge_rows(const Csr<T, I>& a0, const Csr<T, I>& b0, F f, bool keep_union, const char* op) {
  check_same_shape(op, a0.rows, a0.cols, b0.rows, b0.cols);
  Csr<T, I> ca, cb;
  const Csr<T, I>& a = has_canonical_format(a0) ? a0 : (ca = a0, sum_duplicates(ca), ca);
  const Csr<T, I>& b = has_canonical_format(b0) ? b0 : (cb = b0, sum_duplicates(cb), cb);
  Csr<T, I> c{a.rows, a.cols, Vec<I>(static_cast<std::size_t>(a.rows) + 1, I{0}), {}, {}};
  for (std::int64_t r = 0; r < a.rows; ++r) {
    I p = a.indptr[r], q = b.indptr[r];
    const I pe = a.indptr[r + 1], qe = b.indptr[r + 1];
    auto emit = [&](I col, T v) {
      if (is_zero(v)) return;  // scipy drops the zeros an operation produces
      c.indices.push_back(col);
      c.data.push_back(v);
    };
    while (p < pe || q < qe) {
      if (q >= qe || (p < pe && a.indices[p] < b.indices[q])) {
        if (keep_union) emit(a.indices[p], f(a.data[p], T{}));
        ++p;
      } else if (p >= pe || b.indices[q] < a.indices[p]) {
        if (keep_union) emit(b.indices[q], f(T{}, b.data[q]));
        ++q;
      } else {
        emit(a.indices[p], f(a.data[p], b.data[q]));
        ++p;
        ++q;
      }
    }
    c.indptr[static_cast<std::size_t>(r) + 1] = static_cast<I>(c.indices.size());
  }
  return c;
}

template <Scalar T, Index I>
Csr<T, I> add(const Csr<T, I>& a, const Csr<T, I>& b) {
  return merge_rows(
      a, b, [](T x, T y) { return add_values(x, y); }, true, "add");
}
template <Scalar T, Index I>
Csr<T, I> subtract(const Csr<T, I>& a, const Csr<T, I>& b) {
  return merge_rows(
      a, b, [](T x, T y) { return static_cast<T>(x - y); }, true, "subtract");
}
// Element-wise (Hadamard) product, scipy's A.multiply(B).
template <Scalar T, Index I>
Csr<T, I> multiply(const Csr<T, I>& a, const Csr<T, I>& b) {
  return merge_rows(
      a, b, [](T x, T y) { return mul_values(x, y); }, false, "multiply");
}

// A·B (Gustavson: one dense accumulator row per thread, rows in parallel).
template <Scalar T, Index I>
Csr<T, I> matmul(const Csr<T, I>& a, const Csr<T, I>& b) {
  if (a.cols != b.rows)
    throw ShapeError("matmul: shapes (" + std::to_string(a.rows) + ", " + std::to_string(a.cols) + ") and (" +
                     std::to_string(b.rows) + ", " + std::to_string(b.cols) + ") do not align");
  std::vector<Vec<I>> row_idx(static_cast<std::size_t>(a.rows));
  std::vector<Vec<T>> row_val(static_cast<std::size_t>(a.rows));
#pragma omp parallel if (threads_for(a.nnz() + b.nnz()) > 1)
  {
    Vec<T> acc(static_cast<std::size_t>(b.cols), T{});
    std::vector<char> used(static_cast<std::size_t>(b.cols), 0);
    Vec<I> cols;
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t r = 0; r < a.rows; ++r) {
      cols.clear();
      for (I p = a.indptr[r]; p < a.indptr[r + 1]; ++p)
        for (I q = b.indptr[a.indices[p]]; q < b.indptr[a.indices[p] + 1]; ++q) {
          const auto c = static_cast<std::size_t>(b.indices[q]);
          if (!used[c]) {
            used[c] = 1;
            cols.push_back(b.indices[q]);
          }
          acc[c] = add_values(acc[c], mul_values(a.data[p], b.data[q]));
        }
      std::sort(cols.begin(), cols.end());
      auto& ri = row_idx[static_cast<std::size_t>(r)];
      auto& rv = row_val[static_cast<std::size_t>(r)];
      for (I c : cols) {
        ri.push_back(c);
        rv.push_back(acc[static_cast<std::size_t>(c)]);
        acc[static_cast<std::size_t>(c)] = T{};
        used[static_cast<std::size_t>(c)] = 0;
      }
    }
  }
  Lil<T, I> l{a.rows, b.cols, std::move(row_idx), std::move(row_val)};
  return to_csr(l);
}

// Rows [r0, r1) and columns [c0, c1), as A[r0:r1, c0:c1].
template <Scalar T, Index I>
Csr<T, I> slice(const Csr<T, I>& a, std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1) {
  if (r0 < 0 || r1 < r0 || r1 > a.rows || c0 < 0 || c1 < c0 || c1 > a.cols)
    throw ShapeError("slice [" + std::to_string(r0) + ":" + std::to_string(r1) + ", " + std::to_string(c0) + ":" +
                     std::to_string(c1) + "] is outside shape (" + std::to_string(a.rows) + ", " +
                     std::to_string(a.cols) + ")");
  Csr<T, I> s{r1 - r0, c1 - c0, Vec<I>(static_cast<std::size_t>(r1 - r0) + 1, I{0}), {}, {}};
  for (std::int64_t r = r0; r < r1; ++r) {
    for (I k = a.indptr[r]; k < a.indptr[r + 1]; ++k)
      if (a.indices[k] >= c0 && a.indices[k] < c1) {
        s.indices.push_back(static_cast<I>(a.indices[k] - c0));
        s.data.push_back(a.data[k]);
      }
    s.indptr[static_cast<std::size_t>(r - r0) + 1] = static_cast<I>(s.indices.size());
  }
  return s;
}
template <Scalar T, Index I>
Csr<T, I> row_slice(const Csr<T, I>& a, std::int64_t r0, std::int64_t r1) {
  return slice(a, r0, r1, 0, a.cols);
}
template <Scalar T, Index I>
Csr<T, I> col_slice(const Csr<T, I>& a, std::int64_t c0, std::int64_t c1) {
  return slice(a, 0, a.rows, c0, c1);
}

// Accumulator type of sums, as numpy: bool sums count, small ints widen to int64.
template <class T>
using sum_t = std::conditional_t<std::is_same_v<T, bool> || (std::is_integral_v<T> && std::is_signed_v<T>),
                                 std::int64_t, std::conditional_t<std::is_integral_v<T>, std::uint64_t, T>>;
template <class T>
using mean_t = std::conditional_t<is_complex_v<T>, T, std::conditional_t<std::is_same_v<T, float>, float, double>>;

// axis 0: one sum per column; axis 1: one per row; axis -1 (None): one total.
template <Scalar T, Index I>
std::vector<sum_t<T>> sum(const Csr<T, I>& a, int axis = -1) {
  using S = sum_t<T>;
  if (axis == 0) {
    std::vector<S> out(static_cast<std::size_t>(a.cols), S{});
    for (std::int64_t k = 0; k < a.nnz(); ++k)
      out[static_cast<std::size_t>(a.indices[static_cast<std::size_t>(k)])] +=
          static_cast<S>(a.data[static_cast<std::size_t>(k)]);
    return out;
  }
  if (axis == 1) {
    std::vector<S> out(static_cast<std::size_t>(a.rows), S{});
    for (std::int64_t r = 0; r < a.rows; ++r)
      for (I k = a.indptr[r]; k < a.indptr[r + 1]; ++k) out[static_cast<std::size_t>(r)] += static_cast<S>(a.data[k]);
    return out;
  }
  if (axis != -1) throw ShapeError("sum: axis must be 0, 1 or -1 (all), got " + std::to_string(axis));
  S total{};
  for (const T& v : a.data) total += static_cast<S>(v);
  return {total};
}
template <Scalar T, Index I>
std::vector<mean_t<T>> mean(const Csr<T, I>& a, int axis = -1) {
  const auto s = sum(a, axis);
  const double n = axis == 0   ? static_cast<double>(a.rows)
                   : axis == 1 ? static_cast<double>(a.cols)
                               : static_cast<double>(a.rows) * static_cast<double>(a.cols);
  std::vector<mean_t<T>> out(s.size());
  for (std::size_t k = 0; k < s.size(); ++k) out[k] = static_cast<mean_t<T>>(s[k]) / static_cast<mean_t<T>>(n);
  return out;
}

// The k-th diagonal (k > 0 above the main one), as A.diagonal(k).
template <Scalar T, Index I>
Vec<T> diagonal(const Csr<T, I>& a, std::int64_t k = 0) {
  const std::int64_t r0 = std::max<std::int64_t>(0, -k), c0 = std::max<std::int64_t>(0, k);
  const std::int64_t len = std::max<std::int64_t>(0, std::min(a.rows - r0, a.cols - c0));
  Vec<T> d(static_cast<std::size_t>(len), T{});
  for (std::int64_t i = 0; i < len; ++i)
    for (I q = a.indptr[r0 + i]; q < a.indptr[r0 + i + 1]; ++q)
      if (a.indices[q] == c0 + i)
        d[static_cast<std::size_t>(i)] = add_values(d[static_cast<std::size_t>(i)], a.data[q]);
  return d;
}

// Bytes held by the three CSR arrays (scipy: data.nbytes + indices.nbytes + indptr.nbytes).
template <Scalar T, Index I>
std::int64_t footprint(const Csr<T, I>& a) {
  return static_cast<std::int64_t>(a.data.size() * sizeof(T) + (a.indices.size() + a.indptr.size()) * sizeof(I));
}
template <Scalar T>
std::int64_t dense_bytes(std::int64_t rows, std::int64_t cols) {
  return rows * cols * static_cast<std::int64_t>(sizeof(T));
}

// eye(n, m, k) and diags(values, offsets): the constructors scipy builds from diagonals.
template <Scalar T, Index I = std::int32_t>
Csr<T, I> eye(std::int64_t n, std::int64_t m = -1, std::int64_t k = 0) {
  if (m < 0) m = n;
  Coo<T, I> c{n, m, {}, {}, {}};
  for (std::int64_t i = std::max<std::int64_t>(0, -k); i < n && i + k < m; ++i) {
    c.row.push_back(static_cast<I>(i));
    c.col.push_back(static_cast<I>(i + k));
    c.data.push_back(T(1));
  }
  return to_csr(c);
}
template <Scalar T, Index I = std::int32_t>
Csr<T, I> diags(const std::vector<Vec<T>>& diagonals, const std::vector<std::int64_t>& offsets, std::int64_t n,
                std::int64_t m) {
  if (diagonals.size() != offsets.size()) throw ShapeError("diags: one offset per diagonal needed");
  Coo<T, I> c{n, m, {}, {}, {}};
  for (std::size_t d = 0; d < offsets.size(); ++d) {
    const std::int64_t k = offsets[d], r0 = std::max<std::int64_t>(0, -k);
    const std::int64_t len = std::max<std::int64_t>(0, std::min(n - r0, m - std::max<std::int64_t>(0, k)));
    if (static_cast<std::int64_t>(diagonals[d].size()) != len && diagonals[d].size() != 1)
      throw ShapeError("diags: diagonal " + std::to_string(k) + " has " + std::to_string(diagonals[d].size()) +
                       " values, expected " + std::to_string(len));
    for (std::int64_t i = 0; i < len; ++i) {
      c.row.push_back(static_cast<I>(r0 + i));
      c.col.push_back(static_cast<I>(r0 + i + k));
      c.data.push_back(diagonals[d].size() == 1 ? diagonals[d][0] : diagonals[d][static_cast<std::size_t>(i)]);
    }
  }
  return to_csr(c);
}

}  // namespace mammoth::sparse
