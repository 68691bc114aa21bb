#include "mammoth/ooc/matvec.hpp"

#include <algorithm>
#include <cmath>

#include "common.hpp"
#include "kernels.hpp"
#include "kernels_isa.hpp"
#include "mammoth/mapping.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "tile.hpp"

namespace mammoth::ooc {
namespace {

// kernels.hpp's gemv and gemv_t, through the CPU's best copy (kernels_isa.hpp) for
// float32/float64 tiles with float64 accumulators.
template <class T, class X, class Acc>
void gemv(const Tile<T>& a, std::int64_t rows, std::int64_t cols, const X* x, Acc* y, int threads,
          bool overwrite = false) {
  if constexpr (std::is_same_v<X, float> && !std::is_same_v<T, float>) {
    throw TypeError("a float32 x is only read beside a float32 matrix");  // product() rules it out
  } else if constexpr (isa::has_fast_kernels<T> && std::is_same_v<Acc, double>) {
    isa::gemv(a, rows, cols, x, y, threads, overwrite);
  } else {
    kernels::gemv(a, rows, cols, x, y, threads, overwrite);
  }
}

template <class T, class Acc>
void gemv_t(const Tile<T>& a, std::int64_t rows, std::int64_t cols, const Acc* y, Acc* out, int threads) {
  if constexpr (isa::has_fast_kernels<T> && std::is_same_v<Acc, double>)
    isa::gemv_t(a, rows, cols, y, out, threads);
  else
    kernels::gemv_t(a, rows, cols, y, out, threads);
}

// The rows of A's block `box` as a box of a vector of length m.
Box rows_of(const Box& box) { return Box{{box.offset[0]}, {box.count[0]}}; }

// Vectors of length m (one element per row of A) streamed beside A instead of held whole:
// the input of rmatvec, read block by block, and the result of matvec, written block by
// block (so its blocks are whole rows).
struct RowVectors {
  BlockStore* in = nullptr;
  BlockStore* out = nullptr;
  DType acc;
};

// Bytes of each compute thread's buffer for blocks copied from the page cache (Input::stage),
// or 0 when the budget has no room for them: an eighth of it at most, from 1 to 2 MiB a
// thread (a 400 MB float32 matvec on Zen 5: 20.1-20.4 ms with 1-2 MiB, 21.8 with 4, 24.4
// with 12: a piece that fits the core's L2 is read back from there).
std::size_t stage_bytes(const Options& options, int threads) {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  const std::size_t share = options.budget / 8 / static_cast<std::size_t>(std::max(threads, 1));
  return share < StageBuffers::kMinBytes ? 0 : std::min(share / kMiB * kMiB, 2 * kMiB);
}

// Whether the scheduler can ever hand out a block of `a` staged: only blocks read in place
// from a file mapping (the whole store's in `type`, or unfiltered chunk views) are. A store
// that is always read into buffers (gzip chunks, a conversion, a heap array) gets no stage
// buffers, and the budget they would take goes to its blocks.
bool may_stage(BlockStore& a, DType type) {
  const auto file_mapped = [&](const std::optional<AnyArray>& v) {
    return v && v->dtype() == type && v->is_c_contiguous() && FileMap::of(v->storage());
  };
  return file_mapped(a.mapped()) || file_mapped(detail::first_chunk_view(a));
}

// Streams A once: a (row block, column block) tile at a time; tile(Tile<T>, block) does
// the math, block.in[1] the rows' part of rv.in and block.out the rows' part of rv.out.
template <class Compute>
void stream_matrix(BlockStore& a, std::size_t fixed, const Options& options, const std::string& label,
                   const RowVectors& rv, Compute tile) {
  const DType type = compute_dtype(a.dtype());
  const int threads = compute_threads(options);
  const std::size_t stage = may_stage(a, type) ? stage_bytes(options, threads) : 0;
  StageBuffers buffers(threads, stage);
  fixed += stage * static_cast<std::size_t>(threads);
  std::vector<Input> inputs{Input{&a, type}};
  inputs[0].stage = stage > 0;
  if (rv.in) inputs.push_back(Input{rv.in, rv.acc, false, rows_of});
  const std::int64_t n = std::max<std::int64_t>(a.shape()[1], 1);
  const double vectors = (rv.in ? 1 : 0) + (rv.out ? 1 : 0);
  const auto per_element = static_cast<std::size_t>(
      std::ceil(2.0 * static_cast<double>(type.itemsize()) +
                vectors * 2.0 * static_cast<double>(rv.acc.itemsize()) / static_cast<double>(n)));
  const std::size_t vectors_working = (rv.in ? rv.in->working_bytes() : 0) + (rv.out ? rv.out->working_bytes() : 0);
  // Blocks of whole rows when y is written block by block; else of whole chunks if they fit.
  const Shape chunks = rv.out ? Shape{} : a.chunk_shape();
  const auto block_for = [&](std::size_t stores) {
    const std::size_t avail = block_budget(options, fixed, stores, a.name() + ": " + label);
    const std::int64_t max_elements =
        max_block_elements(detail::block_options(options, a, type), avail, per_element, type.itemsize());
    if (rv.out && max_elements < n)
      throw Error(a.name() + ": " + label + ": one row of A (" + std::to_string(n) +
                  " elements) and its result do not fit in the memory budget " +
                  format_bytes(static_cast<double>(options.budget)) + " beside the vectors held whole; raise --budget");
    return block_shape(a.shape(), max_elements, chunks);
  };
  // A streamed y takes whole rows, so no single chunks then.
  const std::optional<Shape> in_place =
      rv.out ? std::nullopt : detail::chunk_view_block(a, type, options, fixed + vectors_working);
  if (in_place) inputs[0].release_batch = detail::chunk_view_batch(a, type, options, fixed + vectors_working);
  const BlockGrid grid(a.shape(),
                       in_place ? *in_place
                                : detail::block_of_whole_chunks_or(a.shape(), chunks, options, fixed,
                                                                   a.whole_chunk_working_bytes() + vectors_working,
                                                                   a.working_bytes() + vectors_working, block_for));
  Progress progress(detail::label_or(options, label), detail::total_bytes(a), options.progress);
  const Output output = rv.out ? Output{rv.out, rv.acc, rows_of} : Output{};
  visit_scalar(type.type(), [&](auto t) {
    using T = typename decltype(t)::type;
    stream(grid, inputs, output, &progress,
           [&](const Block& b) { tile(Tile<T>(reinterpret_cast<const T*>(b.in[0]), b.staged[0], &buffers), b); });
  });
  if (rv.out) rv.out->flush();
  progress.finish();
}

AnyArray product(BlockStore& a, const AnyArray& v, bool transpose, const Options& options) {
  detail::require_matrix(a, transpose ? "rmatvec" : "matvec");
  const std::int64_t m = a.shape()[0], n = a.shape()[1];
  const std::int64_t in_len = transpose ? m : n, out_len = transpose ? n : m;
  if (v.ndim() != 1 || v.shape()[0] != in_len)
    throw ShapeError(a.name() + ": " + (transpose ? "Aᵀ·y" : "A·x") + " with A of shape " + shape_string(a.shape()) +
                     " needs a vector of shape (" + std::to_string(in_len) + "), found " + shape_string(v.shape()));
  const DType acc = product_type(a.dtype(), v.dtype());
  // A float32 matrix times a float32 x reads x as float32: half the traffic of a widened
  // copy (a short-fat A re-reads x for every block), and the same float64 sums.
  const DType f32(ScalarType::Float32);
  const bool narrow = !transpose && compute_dtype(a.dtype()) == f32 && v.dtype() == f32;
  const DType x_type = narrow ? f32 : acc;
  const AnyArray x = v.dtype() == x_type && v.is_c_contiguous() ? v : v.astype(x_type);
  AnyArray y = AnyArray::zeros(acc, {out_len});
  const int threads = compute_threads(options);
  const std::size_t fixed = (x.nbytes() + y.nbytes()) + static_cast<std::size_t>(threads) * 4 * acc.itemsize();
  detail::visit_accumulator(acc, [&](auto acc_t) {
    using Acc = typename decltype(acc_t)::type;
    const Acc* xs = reinterpret_cast<const Acc*>(x.data());
    const auto* x32 = reinterpret_cast<const float*>(x.data());
    Acc* ys = reinterpret_cast<Acc*>(y.data());
    stream_matrix(a, fixed, options, transpose ? "rmatvec" : "matvec", RowVectors{nullptr, nullptr, acc},
                  [&](const auto& tile, const Block& b) {
                    const Box& box = b.box;
                    using T = typename std::remove_cvref_t<decltype(tile)>::value_type;
                    if constexpr (kernels::is_complex_v<T> && !kernels::is_complex_v<Acc>) {
                      throw TypeError("complex matrix with a real accumulator");  // product_type rules it out
                    } else {
                      const std::int64_t r0 = box.offset[0], c0 = box.offset[1], rows = box.count[0],
                                         cols = box.count[1];
                      if (transpose)
                        gemv_t(tile, rows, cols, xs + r0, ys + c0, threads);
                      else if (narrow)
                        gemv(tile, rows, cols, x32 + c0, ys + r0, threads);
                      else
                        gemv(tile, rows, cols, xs + c0, ys + r0, threads);
                    }
                  });
  });
  return y;
}

}  // namespace

DType product_type(DType a, DType x) {
  return detail::accumulator_type(detail::is_complex(a) || detail::is_complex(x));
}

AnyArray matvec(BlockStore& a, const AnyArray& x, const Options& options) { return product(a, x, false, options); }

AnyArray rmatvec(BlockStore& a, const AnyArray& y, const Options& options) { return product(a, y, true, options); }

namespace {

// Aᵀ·v or A·x with the length-m vector (rmatvec's input v, matvec's result y) streamed
// beside A block by block and the length-n one held whole.
void product_streamed(BlockStore& a, BlockStore& x, BlockStore& y, bool transpose, const Options& options) {
  const std::int64_t n = a.shape()[1];
  const DType acc = product_type(a.dtype(), x.dtype());
  const std::size_t held = static_cast<std::size_t>(n) * acc.itemsize();
  if (held > options.budget / 2)
    throw Error(a.name() + ": " + (transpose ? "rmatvec" : "matvec") + " of a " + shape_string(a.shape()) +
                " matrix: the vector of length " + std::to_string(n) + " (" + format_bytes(static_cast<double>(held)) +
                ") does not fit in half the memory budget " + format_bytes(static_cast<double>(options.budget)) +
                " (only the vector along the rows streams; raise --budget)");
  const int threads = compute_threads(options);
  // Per-thread partial sums of the kernels: a row's worth per thread at most.
  const std::size_t fixed = held + static_cast<std::size_t>(threads) * (held + 4 * acc.itemsize());
  AnyArray whole = AnyArray::zeros(acc, {n});  // x of matvec, read; the result of rmatvec, accumulated
  if (!transpose) x.read(Box::whole(x.shape()), whole.data(), acc);
  detail::visit_accumulator(acc, [&](auto acc_t) {
    using Acc = typename decltype(acc_t)::type;
    Acc* w = reinterpret_cast<Acc*>(whole.data());
    const RowVectors rv{transpose ? &x : nullptr, transpose ? nullptr : &y, acc};
    stream_matrix(a, fixed, options, transpose ? "rmatvec" : "matvec", rv, [&](const auto& tile, const Block& b) {
      using T = typename std::remove_cvref_t<decltype(tile)>::value_type;
      if constexpr (kernels::is_complex_v<T> && !kernels::is_complex_v<Acc>) {
        throw TypeError("complex matrix with a real accumulator");
      } else {
        const std::int64_t c0 = b.box.offset[1], rows = b.box.count[0], cols = b.box.count[1];
        if (transpose) {
          gemv_t(tile, rows, cols, reinterpret_cast<const Acc*>(b.in[1]), w + c0, threads);
        } else {
          // Blocks of whole rows (a streamed y): each block's rows of y are set, not summed.
          gemv(tile, rows, cols, w, reinterpret_cast<Acc*>(b.out), threads, true);
        }
      }
    });
  });
  if (transpose) {
    y.write(Box::whole(y.shape()), whole.data(), whole.dtype());
    y.flush();
  }
}

}  // namespace

void matvec(BlockStore& a, BlockStore& x, BlockStore& y, bool transpose, const Options& options) {
  detail::require_matrix(a, transpose ? "rmatvec" : "matvec");
  if (x.shape().size() != 1)
    throw ShapeError(x.name() + ": the vector must be 1-d, found shape " + shape_string(x.shape()));
  const std::int64_t m = a.shape()[0], n = a.shape()[1];
  const std::int64_t in_len = transpose ? m : n, out_len = transpose ? n : m;
  if (x.shape()[0] != in_len)
    throw ShapeError(a.name() + ": " + (transpose ? "Aᵀ·y" : "A·x") + " with A of shape " + shape_string(a.shape()) +
                     " needs a vector of shape (" + std::to_string(in_len) + "), found " + shape_string(x.shape()) +
                     " in " + x.name());
  if (y.shape() != Shape{out_len})
    throw ShapeError(y.name() + ": the result has shape (" + std::to_string(out_len) + "), the output " +
                     shape_string(y.shape()));
  const DType acc = product_type(a.dtype(), x.dtype());
  // Both vectors in memory when they take at most half the budget; else the one along
  // the rows (length m: y of a tall matrix's matvec, the input of its rmatvec) streams.
  if (static_cast<std::size_t>(m + n) * acc.itemsize() > options.budget / 2)
    return product_streamed(a, x, y, transpose, options);
  const DType type = compute_dtype(x.dtype());
  AnyArray v = AnyArray::empty(type, x.shape());
  x.read(Box::whole(x.shape()), v.data(), type);
  Options rest = options;
  rest.budget -= v.nbytes();
  const AnyArray result = product(a, v, transpose, rest);
  y.write(Box::whole(y.shape()), result.data(), result.dtype());
  y.flush();
}

}  // namespace mammoth::ooc
