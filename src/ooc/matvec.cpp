#include "mammoth/ooc/matvec.hpp"

#include "common.hpp"
#include "kernels.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"

namespace mammoth::ooc {
namespace {

using detail::compute_type;

// Streams A once: a (row block, column block) tile at a time, tile(T*, box) does the math.
template <class Tile>
void stream_matrix(BlockStore& a, std::size_t fixed, const Options& options, const std::string& label, Tile tile) {
  const DType type = compute_type(a.dtype());
  const Input input{&a, type};
  const std::size_t avail = block_budget(options, fixed, a.cache_bytes(), a.name() + ": " + label);
  const std::int64_t max_elements = max_block_elements(detail::block_options(options, a, type), avail,
                                                       bytes_per_element({&input, 1}), type.itemsize());
  const BlockGrid grid(a.shape(), block_shape(a.shape(), max_elements, a.chunk_shape()));
  Progress progress(detail::label_or(options, label), detail::total_bytes(a), options.progress);
  visit_scalar(type.type(), [&](auto t) {
    using T = typename decltype(t)::type;
    stream(grid, {&input, 1}, Output{}, &progress,
           [&](const Block& b) { tile(reinterpret_cast<const T*>(b.in[0]), b.box); });
  });
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
  const AnyArray x = v.dtype() == acc && v.is_c_contiguous() ? v : v.astype(acc);
  AnyArray y = AnyArray::empty(acc, {out_len});  // zero-filled
  const int threads = compute_threads(options);
  const std::size_t fixed = (x.nbytes() + y.nbytes()) + static_cast<std::size_t>(threads) * 4 * acc.itemsize();
  detail::visit_accumulator(acc, [&](auto acc_t) {
    using Acc = typename decltype(acc_t)::type;
    const Acc* xs = reinterpret_cast<const Acc*>(x.data());
    Acc* ys = reinterpret_cast<Acc*>(y.data());
    stream_matrix(a, fixed, options, transpose ? "rmatvec" : "matvec", [&](const auto* tile, const Box& box) {
      using T = std::remove_cvref_t<decltype(*tile)>;
      if constexpr (kernels::is_complex_v<T> && !kernels::is_complex_v<Acc>) {
        throw TypeError("complex matrix with a real accumulator");  // product_type rules it out
      } else {
        const std::int64_t r0 = box.offset[0], c0 = box.offset[1], rows = box.count[0], cols = box.count[1];
        if (transpose)
          kernels::gemv_t(tile, rows, cols, xs + r0, ys + c0, threads);
        else
          kernels::gemv(tile, rows, cols, xs + c0, ys + r0, threads);
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

void matvec(BlockStore& a, BlockStore& x, BlockStore& y, bool transpose, const Options& options) {
  if (x.shape().size() != 1)
    throw ShapeError(x.name() + ": the vector must be 1-d, found shape " + shape_string(x.shape()));
  const DType type = detail::compute_type(x.dtype());
  AnyArray v = AnyArray::empty(type, x.shape());
  if (v.nbytes() > options.budget / 2)
    throw Error(x.name() + ": the vector (" + format_bytes(static_cast<double>(v.nbytes())) +
                ") does not fit in half the memory budget " + format_bytes(static_cast<double>(options.budget)));
  x.read(Box::whole(x.shape()), v.data(), type);
  Options rest = options;
  rest.budget -= v.nbytes();
  const AnyArray result = product(a, v, transpose, rest);
  if (y.shape() != result.shape())
    throw ShapeError(y.name() + ": the result has shape " + shape_string(result.shape()) + ", the output " +
                     shape_string(y.shape()));
  y.write(Box::whole(y.shape()), result.data(), result.dtype());
  y.flush();
}

}  // namespace mammoth::ooc
