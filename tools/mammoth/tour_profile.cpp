// Tour section 0: the notebook's %memit cells, measured by mammoth's profiler.
#include <random>

#include "mammoth/memmap.hpp"
#include "mammoth/ndarray.hpp"
#include "mammoth/profile/footprint.hpp"
#include "mammoth/profile/memit.hpp"
#include "tour.hpp"

namespace mammoth::cli {
namespace {

void run_profile_section(TourContext& ctx) {
  ctx.step("%memit np.ones((100,100), dtype=np.float64)", [] {
    auto a = NdArray<double>::full({100, 100}, 1.0);
    (void)a;
  });
  ctx.note("notebook: peak memory: 50.78 MiB, increment: 0.54 MiB (a Python process; ours is a C++ one)");

  const std::int64_t nrows = 100, ncols = ctx.small ? 10000 : 1000000;
  const std::string shape = shape_string({nrows, ncols});
  // np.memmap(path, mode='w+'): a raw file of the array's size, mapped read-write.
  CreateOptions create;
  create.dtype = DType(ScalarType::Float32);
  create.shape = {nrows, ncols};
  Memmap f = Memmap::create_raw((ctx.dir / "memmapped.dat").string(), create);
  float* data = f.as<float>().data();
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  ctx.step("%%memit memmap fill " + shape + " f32, row by row", [&] {
    std::vector<float> tmp(static_cast<std::size_t>(ncols));
    for (std::int64_t i = 0; i < nrows; ++i) {
      for (float& v : tmp) v = uniform(rng);
      std::copy(tmp.begin(), tmp.end(), data + i * ncols);
    }
  });
  ctx.note("notebook: peak memory: 438.49 MiB, increment: 387.62 MiB");
  ctx.step("%%memit np.random.random(" + shape + ")", [&] {
    auto a = NdArray<double>::empty({nrows, ncols});
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (double& v : a) v = u(rng);
  });
  ctx.note("notebook: peak memory: 688.25 MiB, increment: 248.45 MiB (sampled: it missed most of the 763 MiB)");
  ctx.note("anon = memory the program owns (heap, stacks), file = pages of mapped files, which the kernel may drop");
  ctx.note("and reread at will: the fill's increment is file pages, not a leak; the random array's is anonymous.");
  f.close();

  const auto a = NdArray<double>::full({nrows, ncols / 10}, 1.0);
  ctx.note("footprint(a), a = " + shape_string(a.shape()) +
           " float64: " + profile::format_footprint(profile::footprint(a)));
  const auto view = a.slice({Slice::range(0, 10)});
  ctx.note("footprint(a[:10]) alone: " + profile::format_footprint(profile::footprint(view)));
  ctx.note("footprint(a, a[:10]) together: " + profile::format_footprint(profile::footprint(a, view)));
}

const bool registered = register_tour_section({0, "0. Memory profiling", run_profile_section});

}  // namespace
}  // namespace mammoth::cli
