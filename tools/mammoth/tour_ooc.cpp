// Tour section 3.5: the notebook's practical example — c = A·b with A on disk — first as
// the notebook writes it (one row read and one dot product per iteration), then through
// the out-of-core engine, with times and memory side by side.
#include <cmath>
#include <string>
#include <vector>

#include "mammoth/error.hpp"
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/ooc/reduce.hpp"
#include "mammoth/random.hpp"
#include "mammoth/store.hpp"
#include "tour.hpp"

namespace mammoth::cli {
namespace {

// The notebook keeps A in HDF5: "test.h5", dataset "array".
std::unique_ptr<BlockStore> create_matrix(TourContext& ctx, const Shape& shape) {
  CreateOptions options;
  options.dtype = DType(ScalarType::Float32);
  options.shape = shape;
  return create_store((ctx.dir / "test.h5").string() + ":/array", options);
}

void run_ooc_section(TourContext& ctx) {
  const std::int64_t nrows = ctx.small ? 100 : 1000, ncols = ctx.small ? 10000 : 100000;
  const Shape shape{nrows, ncols};
  std::unique_ptr<BlockStore> a;
  ctx.step("create A: " + std::to_string(nrows) + " x " + std::to_string(ncols) + " float32 on disk",
           [&] { a = create_matrix(ctx, shape); });
  ctx.note("A is " + a->name() + ", " + std::to_string(nrows * ncols * 4 / (1 << 20)) + " MiB");
  std::vector<double> b(static_cast<std::size_t>(ncols));
  ctx.step("fill A row by row with random values (dset[i,:] = …)", [&] {
    const RandomSpec spec;  // uniform [0, 1), seed 0: the numbers of `mammoth random --seed 0`
    std::vector<float> row(static_cast<std::size_t>(ncols));
    for (std::int64_t i = 0; i < nrows; ++i) {
      fill_random(row.data(), DType(ScalarType::Float32), i * ncols, ncols, spec);
      a->write(Box::rows(shape, i, i + 1), row.data(), DType(ScalarType::Float32));
      a->release(Box::rows(shape, i, i + 1));
    }
    RandomSpec for_b;
    for_b.seed = 1;
    fill_random(b.data(), DType(ScalarType::Float64), 0, ncols, for_b);
    a->flush();
  });

  std::vector<double> c(static_cast<std::size_t>(nrows));
  ctx.step("notebook: c[i] = dot(A[i,:], b), one row per read", [&] {
    std::vector<float> row(static_cast<std::size_t>(ncols));
    for (std::int64_t i = 0; i < nrows; ++i) {
      a->read(Box::rows(shape, i, i + 1), row.data(), DType(ScalarType::Float32));
      double s = 0;
      for (std::int64_t j = 0; j < ncols; ++j)
        s += static_cast<double>(row[static_cast<std::size_t>(j)]) * b[static_cast<std::size_t>(j)];
      c[static_cast<std::size_t>(i)] = s;
      a->release(Box::rows(shape, i, i + 1));
    }
  });

  const NdArray<double> x = NdArray<double>::from(std::span<const double>(b), {ncols});
  ooc::Options options;
  options.budget = (ctx.small ? 4 : 64) * kMiB;
  AnyArray y;
  ctx.step("mammoth: ooc::matvec(A, b), budget " + format_bytes(static_cast<double>(options.budget)),
           [&] { y = ooc::matvec(*a, x, options); });
  double diff = 0;
  for (std::int64_t i = 0; i < nrows; ++i)
    diff = std::max(diff, std::abs(y.as<double>()(i) - c[static_cast<std::size_t>(i)]));
  ctx.note("largest |difference| between the two: " + std::to_string(diff));
  if (!(diff <= 1e-6 * static_cast<double>(ncols))) throw Error("tour: the engine and the row loop disagree");

  AnyArray norms;
  ctx.step("mammoth: row 2-norms, ooc::reduce(A, norm, axis 1)",
           [&] { norms = ooc::reduce(*a, ooc::ReduceOp::Norm, 1, options); });
  ctx.note(
      "the engine reads A in blocks of rows sized from the budget while the next block is read "
      "in the background; resident memory stays under the budget however big A is");
}

const bool registered = register_tour_section({35, "A practical example: huge matrix multiplication", run_ooc_section});

}  // namespace
}  // namespace mammoth::cli
