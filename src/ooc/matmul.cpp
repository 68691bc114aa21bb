#include "mammoth/ooc/matmul.hpp"

#include <eigen3/Eigen/Core>

#include <algorithm>

#include "common.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "thread_pool.hpp"

namespace mammoth::ooc {
namespace {

template <class Acc>
using RowMatrix = Eigen::Matrix<Acc, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Streams A in blocks of whole rows (read as Acc by the I/O thread); for each block
// `rows(box, a_block)` computes and fills the block's part of C.
struct RowStream {
  BlockStore& a;
  DType acc;
  Output output;
  double output_per_element = 0;  // output elements per element of A
  std::size_t fixed = 0;          // bytes held all along (B or its panel, C in memory)
};

template <class Acc, class Rows>
void stream_rows(const RowStream& s, const Options& options, Progress& progress, Rows rows) {
  // Eigen's maps index elements as aligned C++ objects: a mapped file whose data is not
  // aligned to the element (a hand-written .npy header) is read into aligned buffers.
  const std::optional<AnyArray> view = s.a.mapped();
  const bool misaligned = view && reinterpret_cast<std::uintptr_t>(view->data()) % s.acc.itemsize() != 0;
  const Input input{&s.a, s.acc, misaligned};
  const std::size_t avail = block_budget(options, s.fixed, s.a.working_bytes(), s.a.name() + ": matmul");
  const std::size_t per_element = bytes_per_element({&input, 1}, s.output_per_element, s.acc.itemsize());
  const std::int64_t k = s.a.shape()[1];
  const std::int64_t row = std::max<std::int64_t>(k, 1);
  const auto by_budget = static_cast<std::int64_t>(avail / per_element) / row;
  if (by_budget < 1)
    throw Error(s.a.name() + ": matmul: one row of A (" + std::to_string(k) +
                " elements) does not fit in the memory "
                "budget of " +
                format_bytes(static_cast<double>(options.budget)) + "; raise --budget");
  const std::int64_t max_rows = std::max<std::int64_t>(
      1, std::min(by_budget, static_cast<std::int64_t>(options.block_bytes / s.acc.itemsize()) / row));
  const BlockGrid grid(s.a.shape(),
                       {std::min(max_rows, std::max<std::int64_t>(s.a.shape()[0], 1)), std::max<std::int64_t>(k, 1)});
  stream(grid, {&input, 1}, s.output, &progress, [&](const Block& b) {
    const Eigen::Map<const RowMatrix<Acc>> block(reinterpret_cast<const Acc*>(b.in[0]), b.box.count[0], k);
    rows(b, block);
  });
}

// Eigen runs single-threaded inside: the rows of a block are split over the engine's own
// (blocking) threads, as libgomp's spinning workers would starve the I/O thread.
class EigenSingleThreaded {
 public:
  EigenSingleThreaded() : previous_(Eigen::nbThreads()) { Eigen::setNbThreads(1); }
  ~EigenSingleThreaded() { Eigen::setNbThreads(previous_); }
  EigenSingleThreaded(const EigenSingleThreaded&) = delete;
  EigenSingleThreaded& operator=(const EigenSingleThreaded&) = delete;

 private:
  int previous_;
};

// c = a·b, the rows of a (and c) shared among `threads`.
template <class A, class B, class C>
void multiply(const A& a, const B& b, C& c, int threads) {
  detail::parallel_for(a.rows(), threads, 8, [&](std::int64_t r0, std::int64_t r1) {
    c.middleRows(r0, r1 - r0).noalias() = a.middleRows(r0, r1 - r0) * b;
  });
}

void check_inner(const BlockStore& a, const Shape& b_shape, const std::string& b_name) {
  detail::require_matrix(a, "matmul");
  if (b_shape.size() != 2 || b_shape[0] != a.shape()[1])
    throw ShapeError(a.name() + ": matmul of A " + shape_string(a.shape()) + " with " + b_name + " of shape " +
                     shape_string(b_shape) + ": expected B of shape (" + std::to_string(a.shape()[1]) + ", n)");
}

}  // namespace

AnyArray matmul(BlockStore& a, const AnyArray& b, const Options& options) {
  check_inner(a, b.shape(), "B");
  const DType acc = detail::accumulator_type(detail::is_complex(a.dtype()) || detail::is_complex(b.dtype()));
  const AnyArray bm = b.astype(acc);
  const std::int64_t m = a.shape()[0], n = b.shape()[1];
  AnyArray c = AnyArray::zeros(acc, {m, n});
  const EigenSingleThreaded single;
  const int threads = compute_threads(options);
  Progress progress(detail::label_or(options, "matmul"), detail::total_bytes(a), options.progress);
  detail::visit_accumulator(acc, [&](auto acc_t) {
    using Acc = typename decltype(acc_t)::type;
    const Eigen::Map<const RowMatrix<Acc>> bmap(reinterpret_cast<const Acc*>(bm.data()), b.shape()[0], n);
    Acc* cs = reinterpret_cast<Acc*>(c.data());
    stream_rows<Acc>(RowStream{a, acc, Output{}, 0, 0}, options, progress, [&](const Block& blk, const auto& ablock) {
      Eigen::Map<RowMatrix<Acc>> cblock(cs + blk.box.offset[0] * n, blk.box.count[0], n);
      multiply(ablock, bmap, cblock, threads);
    });
  });
  progress.finish();
  return c;
}

void matmul(BlockStore& a, BlockStore& b, BlockStore& c, const Options& options) {
  check_inner(a, b.shape(), b.name());
  const std::int64_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
  if (c.shape() != Shape{m, n})
    throw ShapeError(c.name() + ": matmul output has shape " + shape_string(c.shape()) + ", expected " +
                     shape_string({m, n}));
  const DType acc = detail::accumulator_type(detail::is_complex(a.dtype()) || detail::is_complex(b.dtype()));
  // Half the budget holds a panel of B's columns, the other half A's blocks and C's tiles.
  // (the 4 KiB are the least block_budget leaves A's stream)
  const std::size_t half =
      (block_budget(options, 4096, a.working_bytes() + b.working_bytes() + c.working_bytes(), b.name() + ": matmul") +
       4096) /
      2;
  const std::int64_t column_bytes = std::max<std::int64_t>(k, 1) * static_cast<std::int64_t>(acc.itemsize());
  const std::int64_t panel =
      std::min<std::int64_t>(std::max<std::int64_t>(n, 1), static_cast<std::int64_t>(half) / column_bytes);
  if (panel < 1)
    throw Error(b.name() + ": matmul: one column of B (" + std::to_string(k) +
                " elements) does not fit in half the "
                "memory budget of " +
                format_bytes(static_cast<double>(options.budget)) + "; raise --budget");
  const EigenSingleThreaded single;
  const int threads = compute_threads(options);
  const std::int64_t panels = (n + panel - 1) / panel;
  Progress progress(detail::label_or(options, "matmul"), detail::total_bytes(a) * static_cast<std::uint64_t>(panels),
                    options.progress);
  Options rest = options;
  rest.budget = options.budget - half - b.working_bytes() - c.working_bytes();
  detail::visit_accumulator(acc, [&](auto acc_t) {
    using Acc = typename decltype(acc_t)::type;
    RowMatrix<Acc> bpanel;
    for (std::int64_t c0 = 0; c0 < n; c0 += panel) {
      const std::int64_t width = std::min(panel, n - c0);
      bpanel.resize(k, width);
      b.read(Box{{0, c0}, {k, width}}, bpanel.data(), acc);
      b.release(Box{{0, c0}, {k, width}});
      Output out{&c, acc, [c0, width](const Box& box) { return Box{{box.offset[0], c0}, {box.count[0], width}}; }};
      const double ratio = static_cast<double>(width) / static_cast<double>(std::max<std::int64_t>(k, 1));
      stream_rows<Acc>(RowStream{a, acc, out, ratio, 0}, rest, progress, [&](const Block& blk, const auto& ablock) {
        Eigen::Map<RowMatrix<Acc>> ctile(reinterpret_cast<Acc*>(blk.out), blk.box.count[0], width);
        multiply(ablock, bpanel, ctile, threads);
      });
    }
  });
  c.flush();
  progress.finish();
}

}  // namespace mammoth::ooc
