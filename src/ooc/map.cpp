#include "mammoth/ooc/map.hpp"

#include <algorithm>
#include <cmath>
#include <complex>

#include "common.hpp"
#include "kernels.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "thread_pool.hpp"

namespace mammoth::ooc {
namespace {

void require_same_shape(const BlockStore& a, const BlockStore& b, const std::string& what) {
  if (a.shape() != b.shape())
    throw ShapeError(b.name() + ": " + what + " needs the shape of " + a.name() + ", " + shape_string(a.shape()) +
                     ", found " + shape_string(b.shape()));
}

void require_writable(const BlockStore& s) {
  if (!s.writable()) throw Error(s.name() + ": opened read-only; cannot write the result");
}

// The grid for streaming `inputs` over `shape`, blocks aligned to the output's chunks.
BlockGrid element_grid(const Shape& shape, std::span<const Input> inputs, const BlockStore& out, std::size_t avail,
                       const Options& options) {
  std::size_t widest = 1;
  for (const Input& in : inputs) widest = std::max(widest, in.type.itemsize());
  const std::int64_t max_elements = max_block_elements(options, avail, bytes_per_element(inputs), widest);
  Shape chunks = out.chunk_shape();
  if (chunks.empty()) chunks = inputs[0].store->chunk_shape();
  return BlockGrid(shape, block_shape(shape, max_elements, chunks));
}

}  // namespace

void map(BlockStore& src, BlockStore& dst, const std::function<void(std::span<double>)>& f, const Options& options) {
  require_same_shape(src, dst, "map");
  require_writable(dst);
  if (detail::is_complex(src.dtype()))
    throw TypeError(src.name() + ": map works on real arrays, found " + src.dtype().name());
  const DType f64(ScalarType::Float64);
  const Input input{&src, f64, true};
  const std::size_t avail = block_budget(options, 0, src.working_bytes() + dst.working_bytes(), src.name() + ": map");
  const BlockGrid grid = element_grid(src.shape(), {&input, 1}, dst, avail, options);
  const int threads = compute_threads(options);
  Progress progress(detail::label_or(options, "map"), detail::total_bytes(src), options.progress);
  Output out{&dst, f64, {}, 0};
  stream(grid, {&input, 1}, out, &progress, [&](const Block& b) {
    double* p = reinterpret_cast<double*>(b.out);
    const std::int64_t n = b.box.size();
    detail::parallel_for(n, threads, 65536, [&](std::int64_t i0, std::int64_t i1) {
      f(std::span<double>(p + i0, static_cast<std::size_t>(i1 - i0)));
    });
  });
  dst.flush();
  progress.finish();
}

void axpy(double alpha, BlockStore& x, BlockStore& y, const Options& options) {
  require_same_shape(x, y, "axpy");
  require_writable(y);
  const DType acc = detail::accumulator_type(detail::is_complex(x.dtype()) || detail::is_complex(y.dtype()));
  const Input inputs[2] = {{&x, acc, false}, {&y, acc, true}};
  const std::size_t avail = block_budget(options, 0, x.working_bytes() + y.working_bytes(), y.name() + ": axpy");
  const BlockGrid grid = element_grid(x.shape(), inputs, y, avail, options);
  const int threads = compute_threads(options);
  Progress progress(detail::label_or(options, "axpy"), detail::total_bytes(x), options.progress);
  detail::visit_accumulator(acc, [&](auto acc_t) {
    using Acc = typename decltype(acc_t)::type;
    stream(grid, inputs, Output{&y, acc, {}, 1}, &progress, [&](const Block& b) {
      const Acc* xs = reinterpret_cast<const Acc*>(b.in[0]);
      Acc* ys = reinterpret_cast<Acc*>(b.out);
      const std::int64_t n = b.box.size();
      detail::parallel_for(n, threads, 65536, [&](std::int64_t i0, std::int64_t i1) {
#pragma omp simd
        for (std::int64_t i = i0; i < i1; ++i) ys[i] += alpha * kernels::load(xs + i);
      });
    });
  });
  y.flush();
  progress.finish();
}

void transpose(BlockStore& src, BlockStore& dst, const Options& options) {
  detail::require_matrix(src, "transpose");
  const std::int64_t m = src.shape()[0], n = src.shape()[1];
  if (dst.shape() != Shape{n, m})
    throw ShapeError(dst.name() + ": the transpose of " + src.name() + " " + shape_string(src.shape()) + " has shape " +
                     shape_string({n, m}) + ", found " + shape_string(dst.shape()));
  require_writable(dst);
  const DType type = compute_dtype(src.dtype());
  const Input input{&src, type};
  const std::size_t avail =
      block_budget(options, 0, src.working_bytes() + dst.working_bytes(), src.name() + ": transpose");
  // Square tiles: rows of both the source and the destination tile are runs of that length.
  const std::int64_t tile_elements =
      max_block_elements(options, avail, bytes_per_element({&input, 1}, 1, type.itemsize()), type.itemsize());
  std::int64_t side =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(std::sqrt(static_cast<double>(tile_elements))));
  const std::int64_t tr = std::clamp<std::int64_t>(side, 1, std::max<std::int64_t>(m, 1));
  const std::int64_t tc = std::clamp<std::int64_t>(tile_elements / tr, 1, std::max<std::int64_t>(n, 1));
  const BlockGrid grid(src.shape(), {tr, tc});
  const int threads = compute_threads(options);
  Progress progress(detail::label_or(options, "transpose"), detail::total_bytes(src), options.progress);
  const auto flipped = [](const Box& box) { return Box{{box.offset[1], box.offset[0]}, {box.count[1], box.count[0]}}; };
  visit_scalar(type.type(), [&](auto t) {
    using T = typename decltype(t)::type;
    stream(grid, {&input, 1}, Output{&dst, type, flipped}, &progress, [&](const Block& b) {
      const T* in = reinterpret_cast<const T*>(b.in[0]);
      T* out = reinterpret_cast<T*>(b.out);
      const std::int64_t rows = b.box.count[0], cols = b.box.count[1];
      detail::parallel_for(cols, threads, 64, [&](std::int64_t j0, std::int64_t j1) {
        for (std::int64_t j = j0; j < j1; ++j)
          for (std::int64_t i = 0; i < rows; ++i) out[j * rows + i] = kernels::load(in + i * cols + j);
      });
    });
  });
  dst.flush();
  progress.finish();
}

}  // namespace mammoth::ooc
