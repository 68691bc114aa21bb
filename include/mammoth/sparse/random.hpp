// random(m, n, density): exactly round(density·m·n) distinct positions, uniform over
// all such sets, in O(nnz) time and memory — never a bitmap of m·n.
//
// How: every position is kept independently with probability `density` by jumping
// geometric gaps (one log per kept entry, in parallel over fixed row chunks, so the
// result depends on the seed only). That gives a binomial count k'; the surplus is
// dropped uniformly, or the shortfall added uniformly among absent positions. A
// Bernoulli set conditioned on its size is uniform, so the result is too.
#pragma once

#include <cmath>
#include <limits>
#include <unordered_set>

#include "mammoth/random.hpp"
#include "mammoth/sparse/convert.hpp"
#include "mammoth/sparse/csr.hpp"

namespace mammoth::sparse {

// The sparsity pattern only (sorted CSR structure, no values).
template <Index I>
void random_pattern(std::int64_t m, std::int64_t n, double density, std::uint64_t seed, Vec<I>& indptr,
                    Vec<I>& indices) {
  if (m < 0 || n < 0) throw ShapeError("random: negative shape");
  if (!(density >= 0.0 && density <= 1.0))
    throw Error("random: density must be in [0, 1], got " + std::to_string(density));
  const double total = static_cast<double>(m) * static_cast<double>(n);
  const auto k = static_cast<std::int64_t>(std::llround(density * total));
  if (static_cast<double>(k) > static_cast<double>(std::numeric_limits<I>::max()) ||
      (n > std::numeric_limits<I>::max()) || m > std::numeric_limits<I>::max())
    throw ShapeError("random: " + std::to_string(k) + " entries do not fit the index type");
  indptr.assign(static_cast<std::size_t>(m) + 1, I{0});
  indices.clear();
  if (k == 0) return;
  // Sample a little above the target so trimming (cheap) is more likely than topping up.
  const double p = std::min(1.0, density * (1.0 + 3.0 / std::sqrt(static_cast<double>(k))));
  const double log_q = std::log1p(-p);
  constexpr std::int64_t kChunks = 64;
  std::vector<Vec<I>> chunk_cols(kChunks);
#pragma omp parallel for schedule(dynamic, 1) if (k > (1 << 16))
  for (std::int64_t c = 0; c < kChunks; ++c) {
    const std::int64_t r0 = m * c / kChunks, r1 = m * (c + 1) / kChunks;
    auto rng = Xoshiro256pp::stream(seed, static_cast<std::uint64_t>(c));
    auto& out = chunk_cols[static_cast<std::size_t>(c)];
    out.reserve(static_cast<std::size_t>(p * static_cast<double>((r1 - r0) * n) * 1.01 + 64));
    std::int64_t row = r0, row_end = (r0 + 1) * n;
    const std::int64_t end = r1 * n;
    std::int64_t pos = r0 * n - 1;
    for (;;) {
      if (p >= 1.0) {
        ++pos;
      } else {
        const double gap = std::floor(std::log(1.0 - rng.uniform()) / log_q);
        if (gap >= static_cast<double>(end - pos)) break;
        pos += 1 + static_cast<std::int64_t>(gap);
      }
      if (pos >= end) break;
      while (pos >= row_end) {
        ++row;
        row_end += n;
      }
      out.push_back(static_cast<I>(pos - (row_end - n)));
      ++indptr[static_cast<std::size_t>(row) + 1];
    }
  }
  for (std::int64_t r = 0; r < m; ++r) indptr[static_cast<std::size_t>(r) + 1] += indptr[static_cast<std::size_t>(r)];
  const std::int64_t got = indptr.back();
  auto fix = Xoshiro256pp::stream(seed, ~std::uint64_t{0});
  // Surplus: drop got − k entries chosen uniformly (Floyd's algorithm), sorted.
  std::vector<std::int64_t> drop;
  if (got > k) {
    std::unordered_set<std::int64_t> chosen;
    for (std::int64_t j = k; j < got; ++j) {
      const auto t = static_cast<std::int64_t>(fix.below(static_cast<std::uint64_t>(j + 1)));
      if (!chosen.insert(t).second) chosen.insert(j);
    }
    drop.assign(chosen.begin(), chosen.end());
    std::sort(drop.begin(), drop.end());
  }
  // Each chunk lands at its global start less the drops before it, in parallel.
  std::vector<std::int64_t> start(kChunks + 1, 0);
  for (std::int64_t c = 0; c < kChunks; ++c)
    start[static_cast<std::size_t>(c) + 1] =
        start[static_cast<std::size_t>(c)] + static_cast<std::int64_t>(chunk_cols[static_cast<std::size_t>(c)].size());
  indices.resize(static_cast<std::size_t>(std::min(got, k)));
#pragma omp parallel for schedule(dynamic, 1) if (k > (1 << 16))
  for (std::int64_t c = 0; c < kChunks; ++c) {
    auto& chunk = chunk_cols[static_cast<std::size_t>(c)];
    std::int64_t src = start[static_cast<std::size_t>(c)];
    auto d = std::lower_bound(drop.begin(), drop.end(), src);
    std::int64_t dst = src - (d - drop.begin());
    for (I col : chunk) {
      if (d != drop.end() && *d == src)
        ++d;
      else
        indices[static_cast<std::size_t>(dst++)] = col;
      ++src;
    }
    Vec<I>().swap(chunk);
  }
  if (!drop.empty()) {
    std::size_t d = 0;
    std::int64_t removed = 0;
    for (std::int64_t r = 0; r < m; ++r) {
      const std::int64_t end = indptr[static_cast<std::size_t>(r) + 1];
      while (d < drop.size() && drop[d] < end) {
        ++d;
        ++removed;
      }
      indptr[static_cast<std::size_t>(r) + 1] = static_cast<I>(end - removed);
    }
    return;
  }
  if (got == k) return;
  // Top up with k − got absent positions, uniformly (rejection; the matrix is mostly empty
  // or the shortfall tiny, since p was raised above the density).
  std::unordered_set<std::int64_t> extra;
  const auto mn = static_cast<std::uint64_t>(m) * static_cast<std::uint64_t>(n);
  while (static_cast<std::int64_t>(extra.size()) < k - got) {
    const auto pos = static_cast<std::int64_t>(fix.below(mn));
    const std::int64_t r = pos / n, c = pos % n;
    const auto b = indices.begin() + indptr[static_cast<std::size_t>(r)],
               e = indices.begin() + indptr[static_cast<std::size_t>(r) + 1];
    if (!std::binary_search(b, e, static_cast<I>(c))) extra.insert(pos);
  }
  std::vector<std::int64_t> add(extra.begin(), extra.end());
  std::sort(add.begin(), add.end());
  Vec<I> merged(static_cast<std::size_t>(k));
  Vec<I> new_ptr(indptr.size(), I{0});
  std::size_t a = 0, out = 0;
  for (std::int64_t r = 0; r < m; ++r) {
    for (I q = indptr[static_cast<std::size_t>(r)]; q < indptr[static_cast<std::size_t>(r) + 1]; ++q) {
      while (a < add.size() && add[a] < r * n + indices[static_cast<std::size_t>(q)])
        merged[out++] = static_cast<I>(add[a++] - r * n);
      merged[out++] = indices[static_cast<std::size_t>(q)];
    }
    while (a < add.size() && add[a] < (r + 1) * n) merged[out++] = static_cast<I>(add[a++] - r * n);
    new_ptr[static_cast<std::size_t>(r) + 1] = static_cast<I>(out);
  }
  indices.swap(merged);
  indptr.swap(new_ptr);
}

// Values as scipy draws them: uniform [0, 1) for floats (and each part of a complex),
// the type's full range for integers, true for bool.
template <Scalar T>
void random_values(std::uint64_t seed, T* out, std::int64_t n) {
  constexpr std::int64_t kChunk = 1 << 16;
  const std::int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
    auto rng = Xoshiro256pp::stream(seed ^ 0x5bd1e995ULL, static_cast<std::uint64_t>(c));
    const std::int64_t end = std::min(n, (c + 1) * kChunk);
    for (std::int64_t k = c * kChunk; k < end; ++k) {
      if constexpr (std::is_same_v<T, bool>)
        out[k] = true;
      else if constexpr (is_complex_v<T>)
        out[k] =
            T(static_cast<typename T::value_type>(rng.uniform()), static_cast<typename T::value_type>(rng.uniform()));
      else if constexpr (std::is_floating_point_v<T>)
        out[k] = static_cast<T>(rng.uniform());
      else
        out[k] = static_cast<T>(rng());
    }
  }
}

template <Scalar T, Index I = std::int32_t>
Csr<T, I> random_csr(std::int64_t m, std::int64_t n, double density, std::uint64_t seed = 0) {
  Csr<T, I> a{m, n, {}, {}, {}};
  random_pattern(m, n, density, seed, a.indptr, a.indices);
  a.data.resize(a.indices.size());
  random_values(seed, a.data.data(), a.nnz());
  return a;
}

}  // namespace mammoth::sparse
