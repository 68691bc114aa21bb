// The streamed product: CSR's A·x (and CSC's Aᵀ·x) gathers one dot product per row of
// the block; CSR's Aᵀ·x (and CSC's A·x) scatters into y.
#include "mammoth/sparse/stream.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <complex>
#include <limits>
#include <span>
#include <type_traits>

#include "../ooc/common.hpp"
#include "../ooc/kernels.hpp"
#include "../ooc/thread_pool.hpp"
#include "ghost_rows.hpp"
#include "loads.hpp"
#include "mammoth/allocation.hpp"
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/sparse/spmv.hpp"

namespace mammoth::sparse {
namespace {

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

// Column j of the file, read at min(j, cols): x carries a NaN at [cols] (padded_x), so a
// row holding an index outside [0, cols) (a negative one is huge as unsigned) sums to NaN
// and only such a row searches its indices for the culprit (check_nan_rows). One
// instruction an entry instead of a second pass over the indices: NaN survives any
// product and sum, so no bad index goes unseen; a row NaN for its own values is searched
// and found clean.
template <class J>
struct Clamped {
  J j;
  std::uint64_t cols;
  std::uint64_t operator[](std::int64_t k) const {
    return std::min(static_cast<std::uint64_t>(static_cast<std::int64_t>(j[k])), cols);
  }
};

template <class J>
void prefetch(Clamped<J> c, std::int64_t k) {
  prefetch(c.j, k);
}

template <class T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return std::isnan(v.real()) || std::isnan(v.imag());
}

// x as a gather reads it: in the accumulator type, with the NaN at [cols] that Clamped
// reads for a bad index. One copy, in memory made for reads at random (allocation.hpp).
template <class Acc>
HeapBuffer<Acc> padded_x(const AnyArray& x) {
  const auto cols = static_cast<std::size_t>(x.size());
  HeapBuffer<Acc> padded = allocate_gathered<Acc>(cols + 1);
  const AnyArray c = x.is_c_contiguous() ? x : x.astype(x.dtype());
  convert(c.data(), c.dtype(), padded.get(), dtype_of<Acc>(), cols);
  padded[cols] = Acc(std::numeric_limits<double>::quiet_NaN());
  return padded;
}

// Rows [b0, b1) of a block (pointers `local`, sums `y`): a NaN sum searches its indices.
template <class Acc, class I>
void check_nan_rows(const Acc* y, const I* local, std::int64_t b0, std::int64_t b1, Loads<I> j, std::int64_t k0,
                    std::int64_t cols, const std::string& name) {
  for (std::int64_t r = b0; r < b1; ++r)
    if (is_nan(y[r])) check_block_indices(j, local[r], local[r + 1], k0, cols, name);
}

// Column j of the file read at its place in a compact x (CompactColumns).
template <class J>
struct Placed {
  J j;
  const ColumnMap* map;
  std::int64_t operator[](std::int64_t k) const { return map->place(j[k]); }
};

template <class J>
void prefetch(Placed<J> c, std::int64_t k) {
  prefetch(c.j, k);
}

// Streams the row-aligned blocks of `a`'s nonzeros under the budget, `fixed` bytes held
// besides: indices as I, and data as Acc when `with_data`.
template <class Acc, class I, class F>
void stream_nonzeros(const SparseSource& a, const std::vector<I>& indptr, bool with_data, const ooc::Options& options,
                     std::size_t fixed, const std::string& what, F&& compute,
                     const std::function<void()>& meanwhile = {}) {
  BlockStore& indices = a.member("indices");
  BlockStore& data = a.data();
  const ooc::Input inputs[2] = {{&indices, dtype_of<I>()}, {&data, dtype_of<Acc>()}};
  const std::span<const ooc::Input> used(inputs, with_data ? 2 : 1);
  const std::size_t avail = ooc::block_budget(
      options, fixed, indices.working_bytes() + (with_data ? data.working_bytes() : 0), a.name + ": " + what);
  // Members read in place take the engine's larger cap for mapped inputs (budget.hpp).
  BlockStore& widest = with_data ? data : indices;
  const DType widest_type = with_data ? dtype_of<Acc>() : dtype_of<I>();
  const std::int64_t max_nnz = ooc::max_block_elements(ooc::detail::block_options(options, widest, widest_type), avail,
                                                       ooc::bytes_per_element(used), widest_type.itemsize());
  const std::int64_t nnz = indptr.back();
  const ooc::BlockGrid grid = ooc::BlockGrid::of_boxes({nnz}, nnz_blocks(indptr, max_nnz));
  ooc::Progress progress(options.label.empty() ? what : options.label,
                         static_cast<std::uint64_t>(nnz) * indices.dtype().itemsize(), options.progress);
  ooc::stream(grid, used, ooc::Output{}, &progress, compute, meanwhile);
  progress.finish();
}

// A compact x's ghost values, as the product of a rank's rows meets them (CompactColumns):
// until they arrive, rows go to the stash (ghost_rows.hpp); when they come (or the stash
// is full, and at the end) the kept rows are finished and the rest multiplied as usual.
template <class Acc>
class Ghosts {
 public:
  Ghosts(const CompactColumns* columns, std::size_t stash_bytes)
      : columns_(columns), stash_(stash_bytes), arrived_(!columns || !columns->ghosts_ready) {}

  // Asks MPI every few thousand entries: MPI moves a nonblocking exchange on only inside
  // its calls (OpenMPI has no progress thread), and a 4 MB exchange asked every 65536
  // entries had hardly moved when the rows waiting for it filled their room.
  bool check(std::int64_t entries, const Acc* x, Acc* y) {
    if (arrived_) return true;
    since_ += entries;
    if (since_ < kEntriesBetweenChecks) return false;
    since_ = 0;
    if (columns_->ghosts_arrived && columns_->ghosts_arrived()) settle(x, y, false);
    return arrived_;
  }
  void settle(const Acc* x, Acc* y, bool wait = true) {
    if (arrived_) return;
    if (wait) columns_->ghosts_ready();
    arrived_ = true;
    stash_.flush(x, y);
  }
  // Rows [r0, r1) of a block (pointers `p`, shifted to it) into the stash, one by one until
  // the ghosts arrive or the stash is full (then they are awaited); gives the first row not
  // kept, counted from r0. A block of one row may be a piece of it: kept to be added.
  template <class I, class J, class A>
  std::int64_t keep_rows(std::int64_t r0, std::int64_t r1, const I* p, J j, A a, const Acc* x, detail::OwnPlaces own,
                         Acc* y) {
    std::int64_t r = 0;
    for (; r < r1 - r0 && !check(p[r + 1] - p[r], x, y); ++r)
      if (!stash_.keep(r0 + r, r1 - r0 == 1, p[r], p[r + 1], j, a, x, own, y)) {
        settle(x, y);
        break;
      }
    return r;
  }

 private:
  static constexpr std::int64_t kEntriesBetweenChecks = 1 << 12;
  const CompactColumns* columns_;
  detail::GhostStash<Acc> stash_;
  bool arrived_;
  std::int64_t since_ = kEntriesBetweenChecks;  // the first block asks at once
};

// The places of a compact x that hold the rank's own columns.
detail::OwnPlaces own_places(const CompactColumns& c) {
  const std::int64_t begin = c.map->before(c.own_begin);
  return {static_cast<std::uint64_t>(begin), static_cast<std::uint64_t>(c.map->before(c.own_end) - begin)};
}

// Whether rows must wait for ghost values: x has ghosts and they are still on their way.
bool waits_for_ghosts(const CompactColumns* c) {
  return c && c->ghosts_ready && static_cast<std::int64_t>(own_places(*c).length) < c->map->size();
}

// `xs` as the product reads it: padded for a gather through the file's indices (padded_x),
// converted and padded while the first blocks are read.
template <class Acc, class I>
void product(const SparseSource& a, const std::vector<I>& indptr, const AnyArray& xs, bool pad, Acc* y, bool gather,
             std::int64_t minor, const ooc::Options& options, std::size_t fixed, std::size_t stash_bytes,
             StreamStats& stats, const CompactColumns* columns) {
  HeapBuffer<Acc> padded;
  const Acc* x = pad ? nullptr : reinterpret_cast<const Acc*>(xs.data());
  const int threads = ooc::compute_threads(options);
  const std::string& name = a.member("indices").name();
  std::vector<I> local;
  // Rows wait for ghosts in the stash while they travel.
  const bool waits = waits_for_ghosts(columns);
  const detail::OwnPlaces own = waits ? own_places(*columns) : detail::OwnPlaces{};
  Ghosts<Acc> ghosts(waits ? columns : nullptr, stash_bytes);
  std::int64_t zeroed = 0;  // rows of y before this one are set
  stream_nonzeros<Acc, I>(
      a, indptr, true, options, fixed, "spmv",
      [&](const ooc::Block& b) {
        const std::int64_t k0 = b.box.offset[0], n = b.box.count[0];
        const Loads<I> j{b.in[0]};
        const Loads<Acc> v{b.in[1]};
        ++stats.blocks;
        stats.max_block_nnz = std::max(stats.max_block_nnz, n);
        // The rows the block covers, and their pointers shifted to the block's first entry.
        const std::int64_t r0 = std::upper_bound(indptr.begin(), indptr.end(), static_cast<I>(k0)) - indptr.begin() - 1;
        const std::int64_t r1 =
            std::lower_bound(indptr.begin() + r0, indptr.end(), static_cast<I>(k0 + n)) - indptr.begin();
        if (gather) {
          // y starts uninitialised (a gather assigns each row it covers): rows no block holds
          // (a run of empty rows) are zero, and a row cut into pieces starts at zero.
          std::fill(y + std::min(zeroed, r0), y + r0, Acc{});
          if (r1 - r0 == 1 && r0 >= zeroed) y[r0] = Acc{};
          zeroed = std::max(zeroed, r1);
        }
        local.resize(static_cast<std::size_t>(r1 - r0) + 1);
        for (std::int64_t r = r0; r <= r1; ++r)
          local[static_cast<std::size_t>(r - r0)] =
              static_cast<I>(std::clamp<std::int64_t>(indptr[static_cast<std::size_t>(r)], k0, k0 + n) - k0);
        // Before the ghosts arrive, rows go to the stash one by one; those left once they come
        // (or the stash is full) are multiplied below.
        std::int64_t first = 0;
        if (waits && !ghosts.check(0, x, y)) {
          check_block_indices(j, 0, n, k0, minor, name);
          first = ghosts.keep_rows(r0, r1, local.data(), Placed<Loads<I>>{j, columns->map}, v, x, own, y);
          stats.entries_before_ghosts += local[static_cast<std::size_t>(first)];
          if (first == r1 - r0) return;
        }
        // `at` reads the indices x is read at: the file's, clamped and checked by their sums
        // (Clamped), or their places in a compact x, checked first (Placed looks them up).
        const auto multiply = [&](auto at) {
          constexpr bool clamped = std::is_same_v<decltype(at), Clamped<Loads<I>>>;
          if (!gather) {
            check_block_indices(j, 0, n, k0, minor, name);
            csc_cols_spmv(0, r1 - r0, local.data(), at, v, x + r0, y);
          } else if (r1 - r0 == 1) {  // one row, possibly a piece of it: add the partial sum
            if (!clamped) check_block_indices(j, 0, n, k0, minor, name);
            Acc part{};
            csr_rows_spmv(0, 1, local.data(), at, v, x, &part);
            if (clamped) check_nan_rows(&part, local.data(), 0, 1, j, k0, minor, name);
            y[r0] += part;
          } else if (first > 0) {  // the rest of the block the ghosts arrived in
            csr_rows_spmv(first, r1 - r0, local.data(), at, v, x, y + r0);
          } else {
            // On the engine's pool (its workers block between blocks, leaving the core to the
            // I/O thread), eight parts per thread taken as they finish, as the in-memory spmv:
            // a thread descheduled on a shared machine delays only its own small part. Each
            // part checks its indices just after multiplying, while they are in cache.
            const int t = std::min(threads, threads_for(n + (r1 - r0)));
            const int parts = t == 1 ? 1 : t * 8;
            const auto bounds = split_by_nnz(local.data(), r1 - r0, parts);
            std::atomic<int> next{0};
            ooc::detail::parallel(t, [&](int, int) {
              for (int p = next++; p < parts; p = next++) {
                const std::int64_t b0 = bounds[static_cast<std::size_t>(p)],
                                   b1 = bounds[static_cast<std::size_t>(p) + 1];
                if (!clamped)
                  check_block_indices(j, local[static_cast<std::size_t>(b0)], local[static_cast<std::size_t>(b1)], k0,
                                      minor, name);
                csr_rows_spmv(b0, b1, local.data(), at, v, x, y + r0);
                if (clamped) check_nan_rows(y + r0, local.data(), b0, b1, j, k0, minor, name);
              }
            });
          }
        };
        if (columns)
          multiply(Placed<Loads<I>>{j, columns->map});
        else if (gather)
          multiply(Clamped<Loads<I>>{j, static_cast<std::uint64_t>(minor)});
        else
          multiply(j);
      },
      [&] {
        if (!pad) return;
        padded = padded_x<Acc>(xs);
        x = padded.get();
      });
  ghosts.settle(x, y);
  if (gather)
    std::fill(y + zeroed, y + static_cast<std::int64_t>(indptr.size()) - 1, Acc{});  // rows past the last block
}

// Checks `a`'s members, reads its indptr (int32 when every index fits, else int64) and
// calls f(indptr).
template <class F>
void with_indptr(const SparseSource& a, F&& f) {
  const bool csr = a.format == Format::Csr;
  const std::int64_t major = csr ? a.rows : a.cols;
  BlockStore& ptr = a.member("indptr");
  if (ptr.shape() != Shape{major + 1})
    throw FormatError(ptr.name() + ": indptr has shape " + shape_string(ptr.shape()) + ", expected (" +
                      std::to_string(major + 1) + ",) for " + std::to_string(major) + (csr ? " rows" : " columns"));
  if (a.member("indices").shape() != a.data().shape() || a.data().shape().size() != 1)
    throw FormatError(a.name + ": indices " + shape_string(a.member("indices").shape()) + " and data " +
                      shape_string(a.data().shape()) + " must be 1-d of one length");
  const bool wide = a.member("indices").dtype().itemsize() > 4 || ptr.dtype().itemsize() > 4 ||
                    a.member("indices").dtype().kind() == Kind::UInt;
  const auto run = [&](auto index_tag) {
    using I = typename decltype(index_tag)::type;
    std::vector<I> indptr(static_cast<std::size_t>(major) + 1);
    ptr.read(Box::whole(ptr.shape()), indptr.data(), dtype_of<I>());
    try {
      check_indptr(csr ? "csr" : "csc", a.rows, a.cols, indptr.data(), major, a.nnz());
    } catch (const ShapeError& e) {
      throw FormatError(a.name + ": " + e.what());
    }
    f(indptr);
  };
  if (wide)
    run(std::type_identity<std::int64_t>{});
  else
    run(std::type_identity<std::int32_t>{});
}

}  // namespace

AnyArray spmv(const SparseSource& a, const AnyArray& x, const ooc::Options& options, bool transpose, StreamStats* stats,
              const CompactColumns* columns) {
  if (a.format != Format::Csr && a.format != Format::Csc)
    throw FormatError(a.name + ": streamed spmv needs a csr or csc matrix, found " + format_name(a.format));
  const bool csr = a.format == Format::Csr;
  const bool gather = csr != transpose;  // one dot product per stored row
  if (columns && !(csr && gather))
    throw Error(a.name + ": a compact x (CompactColumns) is for a csr matrix's A·x only");
  const std::int64_t minor = csr ? a.cols : a.rows;
  const std::int64_t in_len = columns     ? columns->map->size()
                              : transpose ? a.rows
                                          : a.cols,
                     out_len = transpose ? a.cols : a.rows;
  if (x.ndim() != 1 || x.shape()[0] != in_len)
    throw ShapeError(a.name + ": " + (transpose ? "Aᵀ·x" : "A·x") + " with A of shape (" + std::to_string(a.rows) +
                     ", " + std::to_string(a.cols) + ") needs a vector of shape (" + std::to_string(in_len) +
                     "), found " + shape_string(x.shape()));
  const DType acc = ooc::product_type(a.data().dtype(), x.dtype());
  // A gather pads x as it converts it (padded_x); other products read it as it is, or
  // converted.
  const bool pad = gather && !columns;
  const AnyArray xs = pad || (x.dtype() == acc && x.is_c_contiguous()) ? x : x.astype(acc);
  // A gather sets every row of y (product), a scatter adds into it.
  AnyArray y = gather ? AnyArray::empty(acc, {out_len}) : AnyArray::zeros(acc, {out_len});
  StreamStats local_stats;
  with_indptr(a, [&](const auto& indptr) {
    using I = typename std::remove_cvref_t<decltype(indptr)>::value_type;
    const std::size_t x_bytes =
        pad ? gathered_bytes(static_cast<std::size_t>(xs.size() + 1) * acc.itemsize()) : xs.nbytes();
    std::size_t fixed =
        x_bytes + y.nbytes() + indptr.size() * sizeof(I) + (columns ? columns->map->nbytes() + columns->held : 0);
    // Room for rows waiting on ghost values: an eighth of the budget, at most a quarter of
    // what the vectors leave.
    const std::size_t stash_bytes = waits_for_ghosts(columns) && options.budget > fixed
                                        ? std::min(options.budget / 8, (options.budget - fixed) / 4)
                                        : 0;
    fixed += stash_bytes;
    ooc::detail::visit_accumulator(acc, [&](auto acc_tag) {
      using Acc = typename decltype(acc_tag)::type;
      product<Acc, I>(a, indptr, xs, pad, reinterpret_cast<Acc*>(y.data()), gather, minor, options, fixed, stash_bytes,
                      local_stats, columns);
    });
  });
  if (stats) *stats = local_stats;
  return y;
}

void mark_columns(const SparseSource& a, ColumnMap& map, const ooc::Options& options) {
  if (a.format != Format::Csr)
    throw FormatError(a.name + ": marking columns needs a csr matrix, found " + format_name(a.format));
  if (map.cols() != a.cols)
    throw ShapeError(a.name + ": a map of " + std::to_string(map.cols()) + " columns for a matrix of " +
                     std::to_string(a.cols));
  with_indptr(a, [&](const auto& indptr) {
    using I = typename std::remove_cvref_t<decltype(indptr)>::value_type;
    const std::string& name = a.member("indices").name();
    const std::size_t fixed = indptr.size() * sizeof(I) + map.nbytes();
    ooc::Options marking = options;
    marking.label = (options.label.empty() ? "spmv" : options.label) + " columns";
    stream_nonzeros<double, I>(a, indptr, false, marking, fixed, "spmv columns", [&](const ooc::Block& b) {
      const std::int64_t k0 = b.box.offset[0], n = b.box.count[0];
      const Loads<I> j{b.in[0]};
      check_block_indices(j, 0, n, k0, a.cols, name);
      for (std::int64_t q = 0; q < n; ++q) map.mark(j[q]);
    });
  });
  map.count();
}

}  // namespace mammoth::sparse
