// The streamed product: CSR's A·x (and CSC's Aᵀ·x) gathers one dot product per row of
// the block; CSR's Aᵀ·x (and CSC's A·x) scatters into y.
#include "mammoth/sparse/stream.hpp"

#include <algorithm>
#include <atomic>
#include <complex>
#include <cstring>

#include "../ooc/common.hpp"
#include "../ooc/kernels.hpp"
#include "../ooc/thread_pool.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/sparse/spmv.hpp"

namespace mammoth::sparse {
namespace {

// An element of a block the scheduler hands over: a view in place in the file's mapping
// sits at any byte offset (numpy's zip writer aligns nothing), so elements are loaded by
// memcpy (ooc/kernels.hpp): one unaligned load, as fast as an aligned one.
template <class T>
struct Loads {
  const std::byte* p;
  T operator[](std::int64_t k) const { return ooc::kernels::load(reinterpret_cast<const T*>(p) + k); }
};

// Entries [k, end) of the block; `k0` is the block's first entry in the file.
template <class I>
void check_block_indices(Loads<I> j, std::int64_t k, std::int64_t end, std::int64_t k0, std::int64_t bound,
                         const std::string& name) {
  // A min/max pass vectorises; only a bad block pays for finding the entry.
  I lo = 0, hi = 0;
  for (std::int64_t q = k; q < end; ++q) {
    lo = std::min(lo, j[q]);
    hi = std::max(hi, j[q]);
  }
  if (lo >= 0 && hi < bound) return;
  for (std::int64_t q = k; q < end; ++q)
    if (j[q] < 0 || j[q] >= bound)
      throw FormatError(name + ": indices[" + std::to_string(k0 + q) + "] = " + std::to_string(j[q]) +
                        " is outside [0, " + std::to_string(bound) + ")");
}

template <class Acc, class I>
void product(const SparseSource& a, std::vector<I> indptr, const Acc* x, Acc* y, bool gather, std::int64_t minor,
             const ooc::Options& options, std::size_t fixed, StreamStats& stats) {
  BlockStore& indices = a.member("indices");
  BlockStore& data = a.data();
  const ooc::Input inputs[2] = {{&indices, dtype_of<I>()}, {&data, dtype_of<Acc>()}};
  const std::size_t avail =
      ooc::block_budget(options, fixed, member_overhead(indices) + member_overhead(data), a.name + ": spmv");
  // Members read in place take the engine's larger cap for mapped inputs (budget.hpp).
  const std::int64_t max_nnz = ooc::max_block_elements(ooc::detail::block_options(options, data, dtype_of<Acc>()),
                                                       avail, ooc::bytes_per_element(inputs), sizeof(Acc));
  const std::int64_t nnz = indptr.back();
  const ooc::BlockGrid grid = ooc::BlockGrid::of_boxes({nnz}, nnz_blocks(indptr, max_nnz));
  ooc::Progress progress(options.label.empty() ? "spmv" : options.label,
                         static_cast<std::uint64_t>(nnz) * indices.dtype().itemsize(), options.progress);
  const int threads = ooc::compute_threads(options);
  const std::string& name = indices.name();
  std::vector<I> local;
  ooc::stream(grid, inputs, ooc::Output{}, &progress, [&](const ooc::Block& b) {
    const std::int64_t k0 = b.box.offset[0], n = b.box.count[0];
    const Loads<I> j{b.in[0]};
    const Loads<Acc> v{b.in[1]};
    // The rows the block covers, and their pointers shifted to the block's first entry.
    const std::int64_t r0 = std::upper_bound(indptr.begin(), indptr.end(), static_cast<I>(k0)) - indptr.begin() - 1;
    const std::int64_t r1 =
        std::lower_bound(indptr.begin() + r0, indptr.end(), static_cast<I>(k0 + n)) - indptr.begin();
    local.resize(static_cast<std::size_t>(r1 - r0) + 1);
    for (std::int64_t r = r0; r <= r1; ++r)
      local[static_cast<std::size_t>(r - r0)] =
          static_cast<I>(std::clamp<std::int64_t>(indptr[static_cast<std::size_t>(r)], k0, k0 + n) - k0);
    if (!gather) {
      check_block_indices(j, 0, n, k0, minor, name);
      csc_cols_spmv(0, r1 - r0, local.data(), j, v, x + r0, y);
    } else if (r1 - r0 == 1) {  // one row, possibly a piece of it: add the partial sum
      check_block_indices(j, 0, n, k0, minor, name);
      Acc part{};
      csr_rows_spmv(0, 1, local.data(), j, v, x, &part);
      y[r0] += part;
    } else {
      // On the engine's pool (its workers block between blocks, leaving the core to the
      // I/O thread), eight parts per thread taken as they finish, as the in-memory spmv:
      // a thread descheduled on a shared machine delays only its own small part. Each
      // part checks its indices just before multiplying, while they are in cache.
      const int t = std::min(threads, threads_for(n + (r1 - r0)));
      const int parts = t == 1 ? 1 : t * 8;
      const auto bounds = split_by_nnz(local.data(), r1 - r0, parts);
      std::atomic<int> next{0};
      ooc::detail::parallel(t, [&](int, int) {
        for (int p = next++; p < parts; p = next++) {
          const std::int64_t b0 = bounds[static_cast<std::size_t>(p)], b1 = bounds[static_cast<std::size_t>(p) + 1];
          check_block_indices(j, local[static_cast<std::size_t>(b0)], local[static_cast<std::size_t>(b1)], k0, minor,
                              name);
          csr_rows_spmv(b0, b1, local.data(), j, v, x, y + r0);
        }
      });
    }
    ++stats.blocks;
    stats.max_block_nnz = std::max(stats.max_block_nnz, n);
  });
  progress.finish();
}

}  // namespace

AnyArray spmv(const SparseSource& a, const AnyArray& x, const ooc::Options& options, bool transpose,
              StreamStats* stats) {
  if (a.format != Format::Csr && a.format != Format::Csc)
    throw FormatError(a.name + ": streamed spmv needs a csr or csc matrix, found " + format_name(a.format));
  const bool csr = a.format == Format::Csr;
  const bool gather = csr != transpose;  // one dot product per stored row
  const std::int64_t major = csr ? a.rows : a.cols, minor = csr ? a.cols : a.rows;
  const std::int64_t in_len = transpose ? a.rows : a.cols, out_len = transpose ? a.cols : a.rows;
  if (x.ndim() != 1 || x.shape()[0] != in_len)
    throw ShapeError(a.name + ": " + (transpose ? "Aᵀ·x" : "A·x") + " with A of shape (" + std::to_string(a.rows) +
                     ", " + std::to_string(a.cols) + ") needs a vector of shape (" + std::to_string(in_len) +
                     "), found " + shape_string(x.shape()));
  const bool complex = a.data().dtype().kind() == Kind::Complex || x.dtype().kind() == Kind::Complex;
  const DType acc(complex ? ScalarType::Complex128 : ScalarType::Float64);
  const AnyArray xs = x.dtype() == acc && x.is_c_contiguous() ? x : x.astype(acc);
  AnyArray y = AnyArray::empty(acc, {out_len});
  std::memset(y.data(), 0, y.nbytes());
  BlockStore& ptr = a.member("indptr");
  if (ptr.shape() != Shape{major + 1})
    throw FormatError(ptr.name() + ": indptr has shape " + shape_string(ptr.shape()) + ", expected (" +
                      std::to_string(major + 1) + ",) for " + std::to_string(major) + (csr ? " rows" : " columns"));
  if (a.member("indices").shape() != a.data().shape() || a.data().shape().size() != 1)
    throw FormatError(a.name + ": indices " + shape_string(a.member("indices").shape()) + " and data " +
                      shape_string(a.data().shape()) + " must be 1-d of one length");
  const bool wide = a.member("indices").dtype().itemsize() > 4 || ptr.dtype().itemsize() > 4 ||
                    a.member("indices").dtype().kind() == Kind::UInt;
  StreamStats local_stats;
  const std::size_t fixed = xs.nbytes() + y.nbytes() + static_cast<std::size_t>(major + 1) * (wide ? 8 : 4);
  const auto run = [&](auto index_tag) {
    using I = typename decltype(index_tag)::type;
    std::vector<I> indptr(static_cast<std::size_t>(major) + 1);
    ptr.read(Box::whole(ptr.shape()), indptr.data(), dtype_of<I>());
    try {
      check_indptr(csr ? "csr" : "csc", a.rows, a.cols, indptr.data(), major, a.nnz());
    } catch (const ShapeError& e) {
      throw FormatError(a.name + ": " + e.what());
    }
    const auto go = [&](auto acc_tag) {
      using Acc = typename decltype(acc_tag)::type;
      product<Acc, I>(a, std::move(indptr), reinterpret_cast<const Acc*>(xs.data()), reinterpret_cast<Acc*>(y.data()),
                      gather, minor, options, fixed, local_stats);
    };
    if (complex)
      go(std::type_identity<std::complex<double>>{});
    else
      go(std::type_identity<double>{});
  };
  if (wide)
    run(std::type_identity<std::int64_t>{});
  else
    run(std::type_identity<std::int32_t>{});
  if (stats) *stats = local_stats;
  return y;
}

}  // namespace mammoth::sparse
