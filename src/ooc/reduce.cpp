#include "mammoth/ooc/reduce.hpp"

#include <cmath>
#include <limits>

#include "common.hpp"
#include "kernels.hpp"
#include "kernels_isa.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"

namespace mammoth::ooc {
namespace {

namespace k = kernels;

bool is_extreme(ReduceOp op) { return op == ReduceOp::Min || op == ReduceOp::Max; }

// Where min/max start: the identity of numpy's minimum/maximum.
template <class T>
T initial_extreme(ReduceOp op) {
  if constexpr (std::numeric_limits<T>::has_infinity)
    return op == ReduceOp::Min ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
  else
    return op == ReduceOp::Min ? std::numeric_limits<T>::max() : std::numeric_limits<T>::lowest();
}

template <class T, class Out>
Out fold_run(ReduceOp op, const T* p, std::int64_t n, Out acc) {
  if (is_extreme(op)) {
    if constexpr (std::is_same_v<Out, T> && !k::is_complex_v<T>)
      return op == ReduceOp::Min ? k::extreme<T, true>(p, n, acc) : k::extreme<T, false>(p, n, acc);
    else
      throw TypeError("min/max are computed in the array's own real type");
  }
  if (op == ReduceOp::Norm) return acc + static_cast<Out>(k::sum_squares(p, n));
  if constexpr (k::is_complex_v<T> && !k::is_complex_v<Out>)
    throw TypeError("complex values need a complex accumulator");
  else if constexpr (isa::has_fast_kernels<T> && std::is_same_v<Out, double>)
    return acc + isa::sum(p, n);  // the CPU's best copy (kernels_isa.hpp)
  else
    return acc + k::sum<T, Out>(p, n);
}

template <class Out>
Out combine(ReduceOp op, Out a, Out b) {
  if constexpr (k::is_complex_v<Out>) {
    return a + b;
  } else {
    if (op == ReduceOp::Min) return k::pick_min(a, b);
    if (op == ReduceOp::Max) return k::pick_max(a, b);
    return a + b;
  }
}

// o[j] ← o[j] ⊕ p[i, j] for every row i: each thread owns a range of columns and walks
// the rows in order, so memory is read in runs and the inner loops vectorise.
template <class T, class Out>
void fold_columns(ReduceOp op, const T* p, std::int64_t rows, std::int64_t cols, Out* o, int threads) {
  detail::parallel_for(cols, threads, 4096, [&](std::int64_t j0, std::int64_t j1) {
    for (std::int64_t i = 0; i < rows; ++i) {
      const T* row = p + i * cols;
      if (is_extreme(op)) {
        if constexpr (std::is_same_v<Out, T> && !k::is_complex_v<T>) {
          if (op == ReduceOp::Min)
            for (std::int64_t j = j0; j < j1; ++j) o[j] = k::pick_min(o[j], k::load(row + j));
          else
            for (std::int64_t j = j0; j < j1; ++j) o[j] = k::pick_max(o[j], k::load(row + j));
        }
      } else if (op == ReduceOp::Norm) {
        for (std::int64_t j = j0; j < j1; ++j) o[j] += static_cast<Out>(k::magnitude2(k::load(row + j)));
      } else if constexpr (!k::is_complex_v<T> || k::is_complex_v<Out>) {
#pragma omp simd
        for (std::int64_t j = j0; j < j1; ++j) o[j] += static_cast<Out>(k::load(row + j));
      }
    }
  });
}

// Runs the reduction with T the block type and Out the accumulator/result element type.
template <class T, class Out>
void reduce_stream(BlockStore& a, ReduceOp op, std::optional<int> axis, const Options& options, Out init, Out* out,
                   std::int64_t out_len) {
  const DType type = compute_dtype(a.dtype());
  Input input{&a, type};
  const int threads = compute_threads(options);
  const std::size_t fixed =
      static_cast<std::size_t>(out_len) * sizeof(Out) + static_cast<std::size_t>(threads) * sizeof(Out);
  const auto block_for = [&](std::size_t working) {
    const std::size_t avail = block_budget(options, fixed, working, a.name() + ": reduce");
    return block_shape(a.shape(),
                       max_block_elements(detail::block_options(options, a, type), avail,
                                          bytes_per_element({&input, 1}), type.itemsize()),
                       a.chunk_shape());
  };
  const std::optional<Shape> in_place =
      !axis || a.shape().size() == 2 ? detail::chunk_view_block(a, type, options, fixed) : std::nullopt;
  if (in_place) input.release_batch = detail::chunk_view_batch(a, type, options, fixed);
  const BlockGrid grid(a.shape(), in_place ? *in_place
                                           : detail::block_of_whole_chunks_or(a.shape(), a.chunk_shape(), options,
                                                                              fixed, a.whole_chunk_working_bytes(),
                                                                              a.working_bytes(), block_for));
  Progress progress(detail::label_or(options, "reduce"), detail::total_bytes(a), options.progress);
  for (std::int64_t i = 0; i < out_len; ++i) out[i] = init;
  const bool matrix = a.shape().size() == 2;
  stream(grid, {&input, 1}, Output{}, &progress, [&](const Block& b) {
    const T* p = reinterpret_cast<const T*>(b.in[0]);
    // A 0-d array (a scalar) is one block of one element with no axes: only !axis reaches it.
    const std::int64_t rows = b.box.count.empty() || b.box.size() == 0 ? 0 : b.box.count[0];
    const std::int64_t cols = matrix ? b.box.count[1] : 1;
    if (!axis) {
      out[0] = k::parallel_fold<Out>(
          b.box.size(), threads, out[0],
          [&](std::int64_t i0, std::int64_t i1) { return fold_run(op, p + i0, i1 - i0, init); },
          [&](Out x, Out y) { return combine(op, x, y); });
    } else if (*axis == 1) {
      Out* o = out + b.box.offset[0];
      // Whole short rows (tall-skinny): each o[i] is written once, by the unrolled kernel.
      const bool short_rows = cols > 0 && cols <= k::kSmall && cols == a.shape()[1] && !is_extreme(op);
      detail::parallel_for(rows, threads, std::max<std::int64_t>(1, 65536 / std::max<std::int64_t>(cols, 1)),
                           [&](std::int64_t i0, std::int64_t i1) {
                             if constexpr (!k::is_complex_v<T> && std::is_same_v<Out, double>) {
                               if (short_rows)
                                 return k::with_small_cols(cols, [&](auto c) {
                                   k::row_sums_small<decltype(c)::value>(p + i0 * cols, i1 - i0, op == ReduceOp::Norm,
                                                                         o + i0);
                                 });
                             }
                             for (std::int64_t i = i0; i < i1; ++i)
                               o[i] = combine(op, o[i], fold_run(op, p + i * cols, cols, init));
                           });
    } else {
      fold_columns(op, p, rows, cols, out + (matrix ? b.box.offset[1] : 0), threads);
    }
  });
  progress.finish();
}

// Reduces along axis 1 with the result (one element per row) written block by block to
// `out`: blocks are whole rows, each finished when computed. Mean and norm are finished
// per block too.
template <class T, class Out>
void reduce_rows_streamed(BlockStore& a, ReduceOp op, BlockStore& out, const Options& options, Out init) {
  const DType type = compute_dtype(a.dtype());
  Input input{&a, type};
  const int threads = compute_threads(options);
  const std::int64_t cols = std::max<std::int64_t>(a.shape()[1], 1);
  const std::size_t avail = block_budget(options, 0, a.working_bytes() + out.working_bytes(), a.name() + ": reduce");
  const std::size_t per_element = bytes_per_element({&input, 1}, 1.0 / static_cast<double>(cols), sizeof(Out));
  const std::int64_t max_elements =
      max_block_elements(detail::block_options(options, a, type), avail, per_element, type.itemsize());
  if (max_elements < cols)
    throw Error(a.name() + ": reduce: one row (" + std::to_string(cols) +
                " elements) does not fit in the memory budget " + format_bytes(static_cast<double>(options.budget)) +
                "; raise --budget");
  const BlockGrid grid(a.shape(), block_shape(a.shape(), max_elements));
  Progress progress(detail::label_or(options, "reduce"), detail::total_bytes(a), options.progress);
  const auto rows_of = [](const Box& box) { return Box{{box.offset[0]}, {box.count[0]}}; };
  stream(grid, {&input, 1}, Output{&out, dtype_of<Out>(), rows_of}, &progress, [&](const Block& b) {
    const T* p = reinterpret_cast<const T*>(b.in[0]);
    Out* o = reinterpret_cast<Out*>(b.out);
    const std::int64_t rows = b.box.count[0], n = b.box.count[1];
    detail::parallel_for(rows, threads, std::max<std::int64_t>(1, 65536 / n), [&](std::int64_t i0, std::int64_t i1) {
      if constexpr (!k::is_complex_v<T> && std::is_same_v<Out, double>) {
        if (n <= k::kSmall && !is_extreme(op))
          k::with_small_cols(n, [&](auto c) {
            k::row_sums_small<decltype(c)::value>(p + i0 * n, i1 - i0, op == ReduceOp::Norm, o + i0);
          });
      }
      const bool summed =
          !k::is_complex_v<T> && std::is_same_v<Out, double> && n > 0 && n <= k::kSmall && !is_extreme(op);
      for (std::int64_t i = i0; i < i1; ++i) {
        Out r = summed ? o[i] : fold_run(op, p + i * n, n, init);
        if constexpr (!k::is_complex_v<Out> && std::is_floating_point_v<Out>) {
          if (op == ReduceOp::Mean) r /= static_cast<double>(a.shape()[1]);
          if (op == ReduceOp::Norm) r = std::sqrt(r);
        } else if constexpr (k::is_complex_v<Out>) {
          if (op == ReduceOp::Mean) r /= static_cast<double>(a.shape()[1]);
        }
        o[i] = r;
      }
    });
  });
  out.flush();
  progress.finish();
}

}  // namespace

DType reduce_type(DType a, ReduceOp op) {
  const DType type = compute_dtype(a);
  if (is_extreme(op)) return type;
  return detail::accumulator_type(detail::is_complex(type) && op != ReduceOp::Norm);
}

void reduce(BlockStore& a, ReduceOp op, std::optional<int> axis, BlockStore& out, const Options& options) {
  const Shape& shape = a.shape();
  const DType result_type = reduce_type(a.dtype(), op);
  const bool long_rows_result = axis && *axis == 1 && shape.size() == 2 && shape[1] > 0 &&
                                static_cast<std::size_t>(shape[0]) * result_type.itemsize() > options.budget / 2;
  if (!long_rows_result) {
    const AnyArray r = reduce(a, op, axis, options);
    if (out.shape() != r.shape())
      throw ShapeError(out.name() + ": the result has shape " + shape_string(r.shape()) + ", the output " +
                       shape_string(out.shape()));
    out.write(Box::whole(out.shape()), r.data(), r.dtype());
    out.flush();
    return;
  }
  if (out.shape() != Shape{shape[0]} || !(out.dtype().native() == result_type))
    throw ShapeError(out.name() + ": the result is " + result_type.name() + " of shape (" + std::to_string(shape[0]) +
                     "), the output " + out.dtype().name() + " " + shape_string(out.shape()));
  if (is_extreme(op)) {
    if (detail::is_complex(result_type))
      throw TypeError(a.name() + ": " + (op == ReduceOp::Min ? "min" : "max") + " of complex values is not defined");
    if (shape[1] == 0)
      throw ShapeError(a.name() + ": " + (op == ReduceOp::Min ? "min" : "max") +
                       " of an empty selection has no value (numpy: zero-size array to reduction operation)");
  }
  visit_scalar(result_type.type(), [&](auto o) {
    using Out = typename decltype(o)::type;
    visit_scalar(compute_dtype(a.dtype()).type(), [&](auto t) {
      using T = typename decltype(t)::type;
      if constexpr (std::is_same_v<Out, T> && !k::is_complex_v<T>) {
        if (is_extreme(op)) return reduce_rows_streamed<T, Out>(a, op, out, options, initial_extreme<T>(op));
      }
      if constexpr (std::is_same_v<Out, double> || std::is_same_v<Out, std::complex<double>>) {
        if (!is_extreme(op)) {
          if constexpr (k::is_complex_v<T> && !k::is_complex_v<Out>) {
            if (op != ReduceOp::Norm) throw TypeError("complex values need a complex accumulator");
          }
          return reduce_rows_streamed<T, Out>(a, op, out, options, Out{});
        }
      }
    });
  });
}

ReduceOp parse_reduce_op(std::string_view text) {
  if (text == "sum") return ReduceOp::Sum;
  if (text == "mean") return ReduceOp::Mean;
  if (text == "min") return ReduceOp::Min;
  if (text == "max") return ReduceOp::Max;
  if (text == "norm") return ReduceOp::Norm;
  throw Error("reduction '" + std::string(text) + "': expected sum, mean, min, max or norm");
}

AnyArray reduce(BlockStore& a, ReduceOp op, std::optional<int> axis, const Options& options) {
  const Shape& shape = a.shape();
  if (axis && *axis == 0 && shape.size() == 1) axis.reset();  // a vector's only axis: all of it
  if (axis && (*axis < 0 || *axis >= static_cast<int>(shape.size()) || shape.size() > 2))
    throw ShapeError(a.name() + ": axis " + std::to_string(*axis) + " of an array of shape " + shape_string(shape) +
                     " (reductions along an axis take 1-d or 2-d arrays)");
  const DType type = compute_dtype(a.dtype());
  const std::int64_t count_all = element_count(shape);
  Shape out_shape;
  if (axis)
    for (std::size_t d = 0; d < shape.size(); ++d)
      if (static_cast<int>(d) != *axis) out_shape.push_back(shape[d]);
  const std::int64_t out_len = element_count(out_shape);
  const std::int64_t reduced = axis ? shape[static_cast<std::size_t>(*axis)] : count_all;

  if (is_extreme(op)) {
    if (detail::is_complex(type))
      throw TypeError(a.name() + ": " + (op == ReduceOp::Min ? "min" : "max") + " of complex values is not defined");
    if (reduced == 0 && out_len > 0)
      throw ShapeError(a.name() + ": " + (op == ReduceOp::Min ? "min" : "max") +
                       " of an empty selection has no value (numpy: zero-size array to reduction operation)");
    AnyArray result = AnyArray::empty(type, out_shape);
    visit_scalar(type.type(), [&](auto t) {
      using T = typename decltype(t)::type;
      if constexpr (!k::is_complex_v<T>) {
        const T init = initial_extreme<T>(op);
        reduce_stream<T, T>(a, op, axis, options, init, reinterpret_cast<T*>(result.data()), out_len);
      }
    });
    return result;
  }

  const bool complex_sum = detail::is_complex(type) && op != ReduceOp::Norm;
  AnyArray result = AnyArray::zeros(detail::accumulator_type(complex_sum), out_shape);
  visit_scalar(type.type(), [&](auto t) {
    using T = typename decltype(t)::type;
    detail::visit_accumulator(result.dtype(), [&](auto acc_t) {
      using Acc = typename decltype(acc_t)::type;
      Acc* out = reinterpret_cast<Acc*>(result.data());
      reduce_stream<T, Acc>(a, op, axis, options, Acc{}, out, out_len);
      for (std::int64_t i = 0; i < out_len; ++i) {
        if (op == ReduceOp::Mean) out[i] /= static_cast<double>(reduced);  // 0/0 = NaN for empty, as numpy
        if constexpr (!k::is_complex_v<Acc>)
          if (op == ReduceOp::Norm) out[i] = std::sqrt(out[i]);
      }
    });
  });
  return result;
}

}  // namespace mammoth::ooc
