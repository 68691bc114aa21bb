// Tour section 0: the notebook's %memit cells, measured by mammoth's profiler.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <random>

#include "mammoth/error.hpp"
#include "mammoth/ndarray.hpp"
#include "mammoth/profile/footprint.hpp"
#include "mammoth/profile/memit.hpp"
#include "tour.hpp"

namespace mammoth::cli {
namespace {

// A writable shared mapping of a new file, like np.memmap(path, mode='w+'); kept
// here so the section does not depend on the memmap module.
class ScratchMapping {
 public:
  ScratchMapping(const std::string& path, std::size_t bytes) : size_(bytes) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_io_error(path, "cannot create the tour's mapped file", errno);
    if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) throw_io_error(path, "cannot size the mapped file", errno);
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) throw_io_error(path, "cannot map the file", errno);
    data_ = static_cast<float*>(p);
  }
  ~ScratchMapping() {
    if (data_) ::munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
  }
  ScratchMapping(const ScratchMapping&) = delete;
  ScratchMapping& operator=(const ScratchMapping&) = delete;
  float* data() const { return data_; }

 private:
  int fd_ = -1;
  float* data_ = nullptr;
  std::size_t size_;
};

void run_profile_section(TourContext& ctx) {
  ctx.step("%memit np.ones((100,100), dtype=np.float64)", [] {
    auto a = NdArray<double>::full({100, 100}, 1.0);
    (void)a;
  });
  ctx.note("notebook: peak memory: 50.78 MiB, increment: 0.54 MiB (a Python process; ours is a C++ one)");

  const std::int64_t nrows = 100, ncols = ctx.small ? 10000 : 1000000;
  const std::string shape = shape_string({nrows, ncols});
  auto f = std::make_unique<ScratchMapping>((ctx.dir / "memmapped.dat").string(),
                                            static_cast<std::size_t>(nrows * ncols) * sizeof(float));
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  ctx.step("%%memit memmap fill " + shape + " f32, row by row", [&] {
    std::vector<float> tmp(static_cast<std::size_t>(ncols));
    for (std::int64_t i = 0; i < nrows; ++i) {
      for (float& v : tmp) v = uniform(rng);
      std::copy(tmp.begin(), tmp.end(), f->data() + i * ncols);
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
  f.reset();

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
