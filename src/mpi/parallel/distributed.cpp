#include "mammoth/mpi/distributed.hpp"

#include <algorithm>
#include <complex>
#include <cstring>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "mammoth/ooc/copy.hpp"
#include "mammoth/ooc/matmul.hpp"
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/sparse/stream.hpp"

namespace mammoth::mpi {
namespace {

std::function<void()> stop_check(const Communicator& comm) {
  return [&comm] { comm.check_stop(); };
}

// The shape of a reduction's result along `axis` (nullopt: all).
Shape reduced_shape(const Shape& shape, std::optional<int> axis) {
  Shape out;
  if (axis)
    for (std::size_t d = 0; d < shape.size(); ++d)
      if (static_cast<int>(d) != *axis) out.push_back(shape[d]);
  return out;
}

// `local` (this rank's rows of a result of `whole` shape, rows first) gathered on rank 0.
AnyArray gather_rows(const Communicator& comm, const AnyArray& local, DType type, const Shape& whole) {
  const AnyArray c = local.is_c_contiguous() ? local : local.astype(local.dtype());
  std::vector<std::byte> bytes = comm.gather(c.data(), c.nbytes());
  if (!comm.root()) return AnyArray::empty(type, {0});
  AnyArray out = AnyArray::empty(type, whole);
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), std::min(bytes.size(), out.nbytes()));
  return out;
}

// Divides float64 or complex128 values in place by `n` (a mean from a sum).
void divide(AnyArray& a, double n) {
  if (a.dtype().kind() == Kind::Complex) {
    auto* p = reinterpret_cast<std::complex<double>*>(a.data());
    for (std::int64_t i = 0; i < a.size(); ++i) p[i] /= n;
  } else {
    auto* p = reinterpret_cast<double*>(a.data());
    for (std::int64_t i = 0; i < a.size(); ++i) p[i] /= n;
  }
}

// Along axis 0 (or all): this rank's partial result, combined with the others' on rank 0.
AnyArray reduce_across(const Communicator& comm, BlockStore& a, ooc::ReduceOp op, std::optional<int> axis,
                       const ooc::Options& options) {
  const RowRange share = share_of(comm, a);
  const ooc::ReduceOp local_op = op == ooc::ReduceOp::Mean ? ooc::ReduceOp::Sum : op;
  const Shape part_shape = reduced_shape(a.shape(), axis);
  const DType type = ooc::reduce_type(a.dtype(), local_op);
  AnyArray part = AnyArray::empty(type, {0});
  comm.phase([&] {
    if (share.empty()) return;
    const auto mine = rows_of(a, share, stop_check(comm));
    part = ooc::reduce(*mine, local_op, axis, options);
  });
  const std::vector<std::byte> bytes = comm.gather(part.data(), share.empty() ? 0 : part.nbytes());
  AnyArray result = AnyArray::empty(ooc::reduce_type(a.dtype(), op), part_shape);
  comm.phase([&] {
    if (!comm.root()) return;
    const auto item = static_cast<std::int64_t>(type.itemsize()) * std::max<std::int64_t>(element_count(part_shape), 1);
    const std::int64_t parts = static_cast<std::int64_t>(bytes.size()) / item;
    if (parts == 0) {  // no rows anywhere: the one-process answer (an error for min/max)
      result = ooc::reduce(a, op, axis, options);
      return;
    }
    Shape stacked_shape{parts};
    stacked_shape.insert(stacked_shape.end(), part_shape.begin(), part_shape.end());
    AnyArray stacked = AnyArray::empty(type, stacked_shape);
    std::memcpy(stacked.data(), bytes.data(), bytes.size());
    ArrayStore store(stacked, a.name());
    const ooc::ReduceOp combine = op == ooc::ReduceOp::Mean ? ooc::ReduceOp::Sum : op;
    ooc::Options quiet = options;
    quiet.progress = false;
    result = ooc::reduce(store, combine, 0, quiet);
    if (op == ooc::ReduceOp::Mean)
      divide(result, static_cast<double>(axis ? a.shape()[static_cast<std::size_t>(*axis)] : element_count(a.shape())));
  });
  return result;
}

// `result` (whole, on rank 0) written by rank 0; the others join the collective rounds.
void write_from_root(const Communicator& comm, const AnyArray& result, ParallelOutput& out) {
  comm.phase(
      [&] {
        if (comm.root()) out.store().write(Box::whole(result.shape()), result.data(), result.dtype());
      },
      [&] { out.finish_writes(); });
}

bool reduces_rows(const BlockStore& a, std::optional<int> axis) { return axis && *axis == 1 && a.shape().size() == 2; }

// Frees a vector's memory (`v = {}` would keep its capacity).
template <class T>
void drop(std::vector<T>& v) {
  std::vector<T>().swap(v);
}

FormatError indptr_error(const sparse::SparseSource& a) {
  return FormatError(a.member("indptr").name() + ": indptr must rise from 0 to nnz = " + std::to_string(a.nnz()));
}

// The axis indptr runs along (a CSR matrix's rows, a CSC matrix's columns), and the other.
// A CSC matrix of shape (R, C) is, member for member, the CSR matrix of Aᵀ, shape (C, R):
// the ranks split and stream its columns as CSR rows.
std::int64_t major_of(const sparse::SparseSource& a) { return a.format == sparse::Format::Csc ? a.cols : a.rows; }
std::int64_t minor_of(const sparse::SparseSource& a) { return a.format == sparse::Format::Csc ? a.rows : a.cols; }

// Every rank's rows (CSC: columns) of a matrix, split by nonzeros: each rank finds the cut
// before its own share by a binary search in the indptr on disk (weighted_cut, a few dozen
// one-element reads; no rank reads indptr whole) and the ranks swap them: P searches in
// all, not P on every rank.
std::vector<RowRange> nonzero_shares(const Communicator& comm, const sparse::SparseSource& a) {
  BlockStore& ptr = a.member("indptr");
  const std::int64_t major = major_of(a);
  std::int64_t mine = 0;
  comm.phase([&] {
    if (ptr.shape() != Shape{major + 1})
      throw FormatError(ptr.name() + ": indptr has shape " + shape_string(ptr.shape()) + ", expected (" +
                        std::to_string(major + 1) + ",)");
    const auto at = [&](std::int64_t i) {
      std::int64_t v = 0;
      ptr.read(Box{{i}, {1}}, &v, DType(ScalarType::Int64));
      return v;
    };
    if (at(0) != 0 || at(major) != a.nnz()) throw indptr_error(a);
    mine = weighted_cut(major, at, comm.rank(), comm.size());
  });
  const std::vector<std::int64_t> cuts = comm.all(mine);
  std::vector<RowRange> rows(cuts.size());
  comm.phase([&] {
    for (std::size_t r = 0; r < cuts.size(); ++r) {
      rows[r] = RowRange{cuts[r], r + 1 < cuts.size() ? cuts[r + 1] : major};
      if (rows[r].end < rows[r].begin) throw indptr_error(a);  // a falling indptr gives falling cuts
    }
  });
  return rows;
}

// indptr[share.begin .. share.end] (share.size() + 1 entries), checked to rise: the
// shares' ends overlap by one entry, so every rank checking its own checks the whole.
std::vector<std::int64_t> indptr_rows(const sparse::SparseSource& a, RowRange share) {
  std::vector<std::int64_t> part(static_cast<std::size_t>(share.size()) + 1);
  a.member("indptr").read(Box{{share.begin}, {share.size() + 1}}, part.data(), DType(ScalarType::Int64));
  if (!std::is_sorted(part.begin(), part.end())) throw indptr_error(a);
  return part;
}

// The entries of x rank `rank` holds: a square matrix's x as its y (the rank's rows, so
// a diagonal block's columns are its own), else an even split of the columns.
RowRange x_share(const sparse::SparseSource& a, const std::vector<RowRange>& rows, int rank) {
  if (a.rows == a.cols) return rows[static_cast<std::size_t>(rank)];
  return rank_share(minor_of(a), rank, static_cast<int>(rows.size()));
}

// This rank's rows of `a` (CSC: columns, so rows of Aᵀ) as a CSR matrix of their own
// (`indptr`: indptr_rows): indptr shifted to start at 0, indices and data cut to the
// rows' nonzeros.
sparse::SparseSource rows_csr(const Communicator& comm, const sparse::SparseSource& a,
                              const std::vector<std::int64_t>& indptr, RowRange share) {
  const std::int64_t k0 = indptr.front(), k1 = indptr.back();
  // int32 when the rows' nonzeros allow it: the engine then reads int32 indices as int32.
  const bool narrow = k1 - k0 <= std::numeric_limits<std::int32_t>::max();
  AnyArray local = AnyArray::empty(DType(narrow ? ScalarType::Int32 : ScalarType::Int64), {share.size() + 1});
  for (std::int64_t r = 0; r <= share.size(); ++r) {
    const std::int64_t v = indptr[static_cast<std::size_t>(r)] - k0;
    if (narrow)
      reinterpret_cast<std::int32_t*>(local.data())[r] = static_cast<std::int32_t>(v);
    else
      reinterpret_cast<std::int64_t*>(local.data())[r] = v;
  }
  sparse::SparseSource mine;
  mine.name = a.name;
  mine.format = sparse::Format::Csr;
  mine.rows = share.size();
  mine.cols = minor_of(a);
  mine.members["indptr"] = std::make_unique<ArrayStore>(local, a.member("indptr").name());
  mine.members["indices"] = rows_of(a.member("indices"), RowRange{k0, k1}, stop_check(comm));
  mine.members["data"] = rows_of(a.data(), RowRange{k0, k1}, stop_check(comm));
  return mine;
}

// What a rank asks of the others: its ghost columns (touched, outside its own x) in
// column order, so those of each owner are consecutive, and how many of each owner.
struct GhostPlan {
  std::vector<std::int64_t> columns;
  std::vector<std::int64_t> counts;
};

GhostPlan ghost_plan(const sparse::ColumnMap& map, const std::vector<RowRange>& owners, int rank) {
  GhostPlan plan;
  plan.counts.resize(owners.size());
  for (std::size_t r = 0; r < owners.size(); ++r) {
    if (static_cast<int>(r) == rank) continue;
    plan.counts[r] = map.before(owners[r].end) - map.before(owners[r].begin);
    map.for_each(owners[r].begin, owners[r].end, [&](std::int64_t c) { plan.columns.push_back(c); });
  }
  return plan;
}

std::int64_t total(const std::vector<std::int64_t>& counts) {
  std::int64_t sum = 0;
  for (const std::int64_t c : counts) sum += c;
  return sum;
}

// MPI's counts and offsets are ints: refused here, in a phase, before any rank starts an
// exchange it could not finish.
void check_fits(const std::vector<std::int64_t>& counts, std::int64_t end, const std::string& what) {
  if (std::max(total(counts), end) > std::numeric_limits<int>::max())
    throw Error(what + ": " + std::to_string(std::max(total(counts), end)) +
                " entries of x to exchange, over MPI's 2^31 count; use more ranks");
}

// Where each rank's items start when they follow one another in rank order.
std::vector<std::int64_t> offsets(const std::vector<std::int64_t>& counts) {
  std::vector<std::int64_t> out(counts.size());
  for (std::size_t r = 1; r < counts.size(); ++r) out[r] = out[r - 1] + counts[r - 1];
  return out;
}

// This rank's range of x, read block by block, skipping blocks nobody needs: its touched
// entries go to their places in `compact`, the entries other ranks asked for to
// `answers` (each rank asks in column order: one cursor per rank).
void pick_own_x(const Communicator& comm, BlockStore& x, RowRange own, const sparse::ColumnMap& map,
                const std::vector<std::int64_t>& asked, const std::vector<std::int64_t>& asked_counts,
                const ooc::Options& options, AnyArray& compact, AnyArray& answers) {
  const DType type = compact.dtype();
  const std::size_t item = type.itemsize();
  std::vector<std::int64_t> next = offsets(asked_counts), end(next.size());
  for (std::size_t r = 0; r < next.size(); ++r) {
    end[r] = next[r] + asked_counts[r];
    for (std::int64_t i = next[r]; i < end[r]; ++i) {
      const std::int64_t c = asked[static_cast<std::size_t>(i)];
      if (c < own.begin || c >= own.end || (i > next[r] && c <= asked[static_cast<std::size_t>(i) - 1]))
        throw Error(x.name() + ": rank " + std::to_string(r) + " asked for entry " + std::to_string(c) +
                    ", not in this rank's [" + std::to_string(own.begin) + ", " + std::to_string(own.end) +
                    ") in order");
    }
  }
  const std::int64_t per_block = std::max<std::int64_t>(1, static_cast<std::int64_t>(options.block_bytes / item));
  std::vector<std::byte> buffer;
  for (std::int64_t b0 = own.begin; b0 < own.end; b0 += per_block) {
    const std::int64_t b1 = std::min(own.end, b0 + per_block);
    bool needed = map.before(b1) > map.before(b0);
    for (std::size_t r = 0; r < next.size() && !needed; ++r)
      needed = next[r] < end[r] && asked[static_cast<std::size_t>(next[r])] < b1;
    if (!needed) continue;
    comm.check_stop();
    if (ooc::cancel_requested()) throw ooc::Cancelled();
    const Box box{{b0}, {b1 - b0}};
    buffer.resize(static_cast<std::size_t>(b1 - b0) * item);
    x.read(box, buffer.data(), type);
    x.release(box);
    const auto value = [&](std::int64_t c) { return buffer.data() + static_cast<std::size_t>(c - b0) * item; };
    // A copy of a known size is a move of one or two words, not a call.
    const auto put = [item](std::byte* to, const std::byte* from) {
      if (item == 8)
        std::memcpy(to, from, 8);
      else
        std::memcpy(to, from, 16);
    };
    std::byte* to = compact.data() + static_cast<std::size_t>(map.before(b0)) * item;  // places run on from here
    map.for_each(b0, b1, [&](std::int64_t c) {
      put(to, value(c));
      to += item;
    });
    for (std::size_t r = 0; r < next.size(); ++r)
      for (; next[r] < end[r] && asked[static_cast<std::size_t>(next[r])] < b1; ++next[r])
        put(answers.data() + static_cast<std::size_t>(next[r]) * item, value(asked[static_cast<std::size_t>(next[r])]));
  }
}

// Runs f, whose errors count entries from the rank's first: they name that entry's place.
template <class F>
void in_rank_entries(std::int64_t first, F&& f) {
  try {
    f();
  } catch (const FormatError& e) {
    throw FormatError(std::string(e.what()) + " (entry " + std::to_string(first) +
                      " of the file is this rank's entry 0)");
  }
}

// CSR's Aᵀ·x and CSC's A·x: every row of the rank's share (CSC: column) adds its entries
// times its own x into all of y. Each rank reads its range of x, scatters into a y of
// its own under the budget (the one-process streamed product), and the ranks' y are
// summed on rank 0 (MPI_Reduce), which writes them: as the dense rmatvec.
void spmv_scatter(const Communicator& comm, const sparse::SparseSource& a, RowRange share, BlockStore& x, DType acc,
                  ParallelOutput& y, const ooc::Options& options) {
  AnyArray part = AnyArray::zeros(acc, {minor_of(a)});
  comm.phase([&] {
    if (share.empty()) return;
    const std::vector<std::int64_t> indptr = indptr_rows(a, share);
    const sparse::SparseSource mine = rows_csr(comm, a, indptr, share);
    AnyArray xs = AnyArray::empty(acc, {share.size()});
    x.read(Box{{share.begin}, {share.size()}}, xs.data(), acc);
    in_rank_entries(indptr.front(), [&] { part = sparse::spmv(mine, xs, options, true); });
  });
  comm.sum_to_root(reinterpret_cast<double*>(part.data()), part.nbytes() / sizeof(double));
  write_from_root(comm, part, y);
}

}  // namespace

ooc::Options rank_options(const Communicator& comm, ooc::Options options) {
  if (options.threads == 0)
    options.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / comm.local_size());
  options.progress = options.progress && comm.root();
  return options;
}

RowRange share_of(const Communicator& comm, const BlockStore& a, const BlockStore* aligned_to) {
  const Shape chunks = aligned_to && !aligned_to->chunk_shape().empty() ? aligned_to->chunk_shape() : a.chunk_shape();
  const std::int64_t rows = a.shape().empty() ? 0 : a.shape()[0];
  return rank_share(rows, comm.rank(), comm.size(), chunks.empty() ? 1 : chunks[0]);
}

void matvec(const Communicator& comm, BlockStore& a, BlockStore& x, ParallelOutput& y, bool transpose,
            const ooc::Options& options) {
  if (a.shape().size() != 2)
    throw ShapeError(a.name() + ": matvec needs a 2-d matrix, found shape " + shape_string(a.shape()));
  const RowRange share = share_of(comm, a);
  if (!transpose) {
    comm.phase(
        [&] {
          if (share.empty()) return;
          const auto mine = rows_of(a, share, stop_check(comm));
          const auto my_y = rows_of(y.store(), share, stop_check(comm));
          ooc::matvec(*mine, x, *my_y, false, options);
        },
        [&] { y.finish_writes(); });
    return;
  }
  const DType acc = ooc::product_type(a.dtype(), x.dtype());
  ArrayStore partial(AnyArray::zeros(acc, {a.shape()[1]}), "partial Aᵀ·x");
  comm.phase([&] {
    if (x.shape() != Shape{a.shape()[0]})
      throw ShapeError(a.name() + ": Aᵀ·y with A of shape " + shape_string(a.shape()) + " needs a vector of shape (" +
                       std::to_string(a.shape()[0]) + "), found " + shape_string(x.shape()) + " in " + x.name());
    if (share.empty()) return;
    const auto mine = rows_of(a, share, stop_check(comm));
    const auto my_x = rows_of(x, share, stop_check(comm));
    ooc::matvec(*mine, *my_x, partial, true, options);
  });
  AnyArray sum = partial.array();
  comm.sum_to_root(reinterpret_cast<double*>(sum.data()), sum.nbytes() / sizeof(double));
  write_from_root(comm, sum, y);
}

AnyArray matvec(const Communicator& comm, BlockStore& a, BlockStore& x, bool transpose, const ooc::Options& options) {
  if (a.shape().size() != 2)
    throw ShapeError(a.name() + ": matvec needs a 2-d matrix, found shape " + shape_string(a.shape()));
  const RowRange share = share_of(comm, a);
  const DType acc = ooc::product_type(a.dtype(), x.dtype());
  const std::int64_t out_len = a.shape()[transpose ? 1 : 0];
  AnyArray part = AnyArray::zeros(acc, {transpose ? out_len : share.size()});
  comm.phase([&] {
    if (share.empty()) return;
    const auto mine = rows_of(a, share, stop_check(comm));
    const auto my_x = transpose ? rows_of(x, share, stop_check(comm)) : nullptr;
    BlockStore& v = transpose ? *my_x : x;
    AnyArray vector = AnyArray::empty(compute_dtype(v.dtype()), v.shape());
    v.read(Box::whole(v.shape()), vector.data(), vector.dtype());
    part = transpose ? ooc::rmatvec(*mine, vector, options) : ooc::matvec(*mine, vector, options);
  });
  if (!transpose) return gather_rows(comm, part, acc, {out_len});
  comm.sum_to_root(reinterpret_cast<double*>(part.data()), part.nbytes() / sizeof(double));
  return comm.root() ? part : AnyArray::empty(acc, {0});
}

void matmul(const Communicator& comm, BlockStore& a, BlockStore& b, ParallelOutput& c, const ooc::Options& options) {
  const RowRange share = a.shape().size() == 2 ? share_of(comm, a) : RowRange{};
  comm.phase(
      [&] {
        if (a.shape().size() != 2)
          throw ShapeError(a.name() + ": matmul needs a 2-d matrix, found shape " + shape_string(a.shape()));
        if (share.empty()) return;
        const auto mine = rows_of(a, share, stop_check(comm));
        const auto my_c = rows_of(c.store(), share, stop_check(comm));
        ooc::matmul(*mine, b, *my_c, options);
      },
      [&] { c.finish_writes(); });
}

void spmv(const Communicator& comm, const sparse::SparseSource& a, BlockStore& x, ParallelOutput& y, bool transpose,
          const ooc::Options& options) {
  const bool csr = a.format == sparse::Format::Csr, gather = csr != transpose;
  std::vector<RowRange> rows, cols(static_cast<std::size_t>(comm.size()));
  comm.phase([&] {
    if (!csr && a.format != sparse::Format::Csc)
      throw FormatError(a.name + ": spmv across ranks needs a csr or csc matrix, found " +
                        sparse::format_name(a.format));
    const std::int64_t in_len = transpose ? a.rows : a.cols;
    if (x.shape() != Shape{in_len})
      throw ShapeError(a.name + ": " + (transpose ? "Aᵀ·x" : "A·x") + " with A of shape (" + std::to_string(a.rows) +
                       ", " + std::to_string(a.cols) + ") needs a vector of shape (" + std::to_string(in_len) +
                       "), found " + shape_string(x.shape()) + " in " + x.name());
  });
  rows = nonzero_shares(comm, a);
  for (int r = 0; r < comm.size(); ++r) cols[static_cast<std::size_t>(r)] = x_share(a, rows, r);
  const DType acc = ooc::product_type(a.data().dtype(), x.dtype());
  if (!gather) {
    spmv_scatter(comm, a, rows[static_cast<std::size_t>(comm.rank())], x, acc, y, options);
    return;
  }
  const RowRange share = rows[static_cast<std::size_t>(comm.rank())], own = cols[static_cast<std::size_t>(comm.rank())];
  std::optional<sparse::SparseSource> mine;
  sparse::ColumnMap map;
  GhostPlan plan;
  comm.phase([&] {
    std::int64_t first = 0;
    if (!share.empty()) {
      std::vector<std::int64_t> indptr = indptr_rows(a, share);
      first = indptr.front();
      mine.emplace(rows_csr(comm, a, indptr, share));
    }
    map = sparse::ColumnMap(minor_of(a));
    if (mine) {
      in_rank_entries(first, [&] { sparse::mark_columns(*mine, map, options); });
    } else {
      map.count();
    }
    plan = ghost_plan(map, cols, comm.rank());
    check_fits(plan.counts, map.size(), a.name);
  });
  // The ghosts' columns to their owners, then their values back into the compact x.
  const std::vector<std::int64_t> asked_counts = comm.exchange_counts(plan.counts);
  std::vector<std::int64_t> asked;
  comm.phase([&] {
    check_fits(asked_counts, 0, a.name);
    asked.resize(static_cast<std::size_t>(total(asked_counts)));
  });
  comm.exchange(plan.columns.data(), plan.counts, offsets(plan.counts), asked.data(), asked_counts,
                offsets(asked_counts), sizeof(std::int64_t))
      .wait();
  AnyArray answers, compact;
  comm.phase([&] {
    answers = AnyArray::empty(acc, {static_cast<std::int64_t>(asked.size())});
    compact = AnyArray::empty(acc, {map.size()});
    pick_own_x(comm, x, own, map, asked, asked_counts, options, compact, answers);
    drop(asked);
    drop(plan.columns);
  });
  std::vector<std::int64_t> ghost_offsets(cols.size());
  for (std::size_t r = 0; r < cols.size(); ++r) ghost_offsets[r] = map.before(cols[r].begin);
  Pending ghosts = comm.exchange(answers.data(), asked_counts, offsets(asked_counts), compact.data(), plan.counts,
                                 ghost_offsets, acc.itemsize());
  comm.phase(
      [&] {
        if (share.empty()) return;
        sparse::CompactColumns columns;
        columns.map = &map;
        columns.own_begin = own.begin;
        columns.own_end = own.end;
        // The ghosts travel while the rows are multiplied over their own columns (stream.hpp),
        // which calls MPI beside the I/O thread's stop checks: only when MPI allows it.
        if (comm.thread_multiple()) {
          columns.ghosts_arrived = [&] { return ghosts.test(); };
          columns.ghosts_ready = [&] { ghosts.wait(); };
        } else {
          ghosts.wait();
        }
        columns.held = answers.nbytes();
        const AnyArray part = sparse::spmv(*mine, compact, options, false, nullptr, &columns);
        y.store().write(Box{{share.begin}, {share.size()}}, part.data(), part.dtype());
      },
      [&] {
        ghosts.wait();
        y.finish_writes();
      });
}

AnyArray reduce(const Communicator& comm, BlockStore& a, ooc::ReduceOp op, std::optional<int> axis,
                const ooc::Options& options) {
  if (!reduces_rows(a, axis)) return reduce_across(comm, a, op, axis, options);
  const RowRange share = share_of(comm, a);
  const DType type = ooc::reduce_type(a.dtype(), op);
  AnyArray part = AnyArray::empty(type, {share.size()});
  comm.phase([&] {
    if (share.empty()) return;
    const auto mine = rows_of(a, share, stop_check(comm));
    part = ooc::reduce(*mine, op, 1, options);
  });
  return gather_rows(comm, part, type, {a.shape()[0]});
}

void reduce(const Communicator& comm, BlockStore& a, ooc::ReduceOp op, std::optional<int> axis, ParallelOutput& out,
            const ooc::Options& options) {
  if (!reduces_rows(a, axis)) {
    const AnyArray result = reduce_across(comm, a, op, axis, options);
    write_from_root(comm, result, out);
    return;
  }
  const RowRange share = share_of(comm, a);
  comm.phase(
      [&] {
        if (share.empty()) return;
        const auto mine = rows_of(a, share, stop_check(comm));
        const auto my_out = rows_of(out.store(), share, stop_check(comm));
        ooc::reduce(*mine, op, 1, *my_out, options);
      },
      [&] { out.finish_writes(); });
}

void copy(const Communicator& comm, BlockStore& src, ParallelOutput& dst, const ooc::Options& options) {
  const RowRange share = src.shape().empty() ? RowRange{} : share_of(comm, src, &dst.store());
  comm.phase(
      [&] {
        if (src.shape().empty()) {  // a 0-d array: one element, rank 0 copies it
          if (comm.root()) ooc::copy(src, dst.store(), options);
          return;
        }
        if (share.empty()) return;
        const auto mine = rows_of(src, share, stop_check(comm));
        const auto my_dst = rows_of(dst.store(), share, stop_check(comm));
        ooc::copy(*mine, *my_dst, options);
      },
      [&] { dst.finish_writes(); });
}

void fill_random(const Communicator& comm, ParallelOutput& dst, const RandomSpec& spec) {
  BlockStore& store = dst.store();
  const Shape& shape = store.shape();
  const DType dtype = store.dtype();
  comm.phase(
      [&] {
        if (shape.empty()) {  // a 0-d array: element 0 of the sequence, from rank 0
          if (!comm.root()) return;
          std::vector<std::byte> one(dtype.itemsize());
          mammoth::fill_random(one.data(), dtype, 0, 1, spec);
          store.write(Box::whole(shape), one.data(), dtype);
          return;
        }
        const RowRange share = share_of(comm, store);
        if (share.empty()) return;
        // Its rows are elements share.begin·row … of the whole's sequence: the one-process fill.
        const std::int64_t row = std::max<std::int64_t>(element_count(shape) / std::max<std::int64_t>(shape[0], 1), 1);
        mammoth::fill_random(*rows_of(store, share, stop_check(comm)), spec, std::size_t{8} << 20, share.begin * row);
      },
      [&] { dst.finish_writes(); });
}

}  // namespace mammoth::mpi
