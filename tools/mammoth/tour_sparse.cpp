// Tour section 4: the notebook's sparse matrices — a 20×20 random matrix and its
// picture, then the 1000 × 100,000 example: sizes and A·b sparse vs dense.
#include <chrono>
#include <cstdio>
#include <span>

#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/ops.hpp"
#include "mammoth/sparse/random.hpp"
#include "mammoth/sparse/spmv.hpp"
#include "mammoth/sparse/spy.hpp"
#include "tour.hpp"

namespace mammoth::cli {
namespace {

using namespace mammoth::sparse;

std::string mib(std::int64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// Best of `reps` wall times of fn, in seconds (the notebook's %timeit, shortened).
template <class F>
double best_of(int reps, F&& fn) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

void run_sparse(TourContext& ctx) {
  // A = sp.sparse.random(20, 20, density=0.1, format='csr'); plt.matshow(A.toarray())
  Csr<double, std::int32_t> small;
  ctx.step("random 20 x 20, density 0.1 (csr)", [&] { small = random_csr<double, std::int32_t>(20, 20, 0.1, 42); });
  const std::string npz = (ctx.dir / "sparse_20x20.npz").string(), png = (ctx.dir / "sparse_20x20.png").string();
  save_npz(npz, small);
  ctx.step("spy -> sparse_20x20.png (the notebook's matshow)", [&] { spy(small, png, 400); });
  ctx.note("stored entries: " + std::to_string(small.nnz()) + " of 400; picture: " + png);
  ctx.note("formats: csr, csc, coo, bsr, lil, dok, dia (mammoth::sparse, all 42 conversions)");

  // The practical example: 1000 × 100,000 at density 0.1 (small scale: 100 × 10,000).
  const std::int64_t rows = ctx.small ? 100 : 1000, cols = ctx.small ? 10000 : 100000;
  Csr<double, std::int32_t> A;
  ctx.step("random " + std::to_string(rows) + " x " + std::to_string(cols) + ", density 0.1 (csr)",
           [&] { A = random_csr<double, std::int32_t>(rows, cols, 0.1, 7); });
  NdArray<double> B;
  ctx.step("B = A.toarray() (dense)", [&] { B = to_dense(A); });
  ctx.note("size of A (CSR): " + mib(footprint(A)) + "; size of B (dense): " + mib(dense_bytes<double>(rows, cols)));
  std::vector<double> b(static_cast<std::size_t>(cols)), y(static_cast<std::size_t>(rows));
  Xoshiro256pp rng(1);
  for (double& v : b) v = rng.uniform();
  const int reps = ctx.small ? 3 : 10;
  double sparse_s = 0, dense_s = 0;
  ctx.step("A.dot(b): parallel CSR SpMV, best of " + std::to_string(reps),
           [&] { sparse_s = best_of(reps, [&] { spmv(A, std::span<const double>(b), std::span<double>(y)); }); });
  const double check = y[0];
  ctx.step("B.dot(b): dense matrix-vector, best of " + std::to_string(reps), [&] {
    dense_s = best_of(reps, [&] {
      const double* d = B.data();
#pragma omp parallel for schedule(static)
      for (std::int64_t r = 0; r < rows; ++r) {
        double s = 0;
        for (std::int64_t c = 0; c < cols; ++c) s += d[r * cols + c] * b[static_cast<std::size_t>(c)];
        y[static_cast<std::size_t>(r)] = s;
      }
    });
  });
  char line[160];
  std::snprintf(line, sizeof line, "A.dot(b) %.2f ms vs B.dot(b) %.2f ms: sparse is %.1fx faster (y[0] agrees to %.1e)",
                sparse_s * 1e3, dense_s * 1e3, dense_s / sparse_s, std::abs(check - y[0]));
  ctx.note(line);
}

const bool registered = register_tour_section({40, "4. Sparse matrices", run_sparse});

}  // namespace
}  // namespace mammoth::cli
