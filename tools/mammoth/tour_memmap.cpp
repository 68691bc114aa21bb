// Tour section 2: the notebook's numpy.memmap walk-through, on a self-describing .npy.
#include <string>

#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"
#include "mammoth/npy.hpp"
#include "mammoth/random.hpp"
#include "tour.hpp"

namespace mammoth::cli {
namespace {

void run_memmap_section(TourContext& ctx) {
  const std::int64_t nrows = 100, ncols = ctx.small ? 10000 : 1000000;
  const std::string path = (ctx.dir / "memmapped.npy").string();
  const Shape shape{nrows, ncols};
  Memmap file;
  NdArray<float> last_row;

  ctx.step("create " + std::to_string(nrows) + " x " + std::to_string(ncols) + " float32 .npy (preallocated)", [&] {
    CreateOptions options;
    options.dtype = DType(ScalarType::Float32);
    options.shape = shape;
    file = create_npy(path, options);
  });
  ctx.step("fill row by row with uniform random numbers", [&] {
    const NdArray<float> a = file.as<float>();
    const RandomSpec spec;  // seed 0: the same numbers as `mammoth random --seed 0`
    for (std::int64_t i = 0; i < nrows; ++i) {
      fill_random(a.row(i), spec, i * ncols);
      file.release(Box::rows(shape, i, i + 1));  // written rows leave resident memory
    }
  });
  ctx.step("save the last row (a copy in memory)", [&] { last_row = file.as<float>().row(-1).copy(); });
  ctx.step("flush and close", [&] {
    file.flush();
    file.close();
  });
  ctx.step("reopen by path alone (dtype, shape from header)", [&] { file = open_memmap(path); });
  ctx.note("reopened: " + file.dtype().name() + " " + shape_string(file.shape()) + ", header " +
           std::to_string(file.offset()) + " bytes");
  bool same = false;
  ctx.step("read the last row and compare", [&] {
    file.advise(Access::Random);
    same = array_equal(file.as<float>().row(-1), last_row);
  });
  if (!same) throw Error(path + ": the last row differs after reopening");
  ctx.note("last row identical after reopening: yes");
  file.close();
}

const bool registered = register_tour_section({20, "2. NumPy's memory mappings", run_memmap_section});

}  // namespace
}  // namespace mammoth::cli
