// Google Benchmark for the sparse kernels on the notebook's 1000 × 100,000 matrix at
// density 0.1: SpMV (ours, serial and parallel, against Eigen's SparseMatrix), the
// conversions, random, and a stream-copy bandwidth figure to judge SpMV against.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <vector>

#include "mammoth/sparse/convert.hpp"
#include "mammoth/sparse/npz.hpp"
#include "mammoth/sparse/random.hpp"
#include "mammoth/sparse/spmv.hpp"
#include "mammoth/sparse/stream.hpp"
#include "stream_read.hpp"

#ifdef MAMMOTH_HAVE_EIGEN
#include <Eigen/SparseCore>
#endif

using namespace mammoth::sparse;

namespace {

const Csr<double, std::int32_t>& matrix() {
  static const auto a = random_csr<double, std::int32_t>(1000, 100000, 0.1, 1);
  return a;
}
std::vector<double> vector_x() {
  std::vector<double> x(100000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i % 17) / 17.0;
  return x;
}

double spmv_bytes(const Csr<double, std::int32_t>& a) {
  return static_cast<double>(mammoth::bench::spmv_matrix_bytes(a.nnz(), a.rows));
}

void BM_StreamRead(benchmark::State& state) {
  // As many bytes as the SpMV matrix (120 MB), read as SpMV reads them (stream_read.hpp).
  Vec<std::uint64_t> buf(mammoth::bench::spmv_matrix_bytes(matrix().nnz(), matrix().rows) / sizeof(std::uint64_t));
  std::fill(buf.begin(), buf.end(), 1);
  for (auto _ : state) benchmark::DoNotOptimize(mammoth::bench::stream_read(buf));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * buf.size() * sizeof(std::uint64_t)));
}
BENCHMARK(BM_StreamRead)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SpmvCsr(benchmark::State& state) {
  const auto& a = matrix();
  const auto x = vector_x();
  std::vector<double> y(static_cast<std::size_t>(a.rows));
  for (auto _ : state) {
    spmv(a, std::span<const double>(x), std::span<double>(y));
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * spmv_bytes(a)));
}
BENCHMARK(BM_SpmvCsr)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SpmvCsrSerial(benchmark::State& state) {
  const auto& a = matrix();
  const auto x = vector_x();
  std::vector<double> y(static_cast<std::size_t>(a.rows));
  for (auto _ : state) {
    csr_rows_spmv(0, a.rows, a.indptr.data(), a.indices.data(), a.data.data(), x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * spmv_bytes(a)));
}
BENCHMARK(BM_SpmvCsrSerial)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same product with every column index folded into the first 1024 columns: x then
// lies in L1, where the real product finds each nonzero's x on a line of its own (density
// 0.1: columns ~10 apart, 80 bytes) in L2. The gap between the two is what the gather of
// x costs; this one is the bound of a kernel that reads the matrix the same way.
struct FoldedIndices {
  const std::int32_t* j;
  std::int32_t operator[](std::int64_t k) const { return j[k] & 1023; }
};
void prefetch(FoldedIndices f, std::int64_t k) { mammoth::sparse::prefetch(f.j, k); }

void BM_SpmvCsrXInL1(benchmark::State& state) {
  const auto& a = matrix();
  const auto x = vector_x();
  std::vector<double> y(static_cast<std::size_t>(a.rows));
  const int threads = threads_for(a.nnz() + a.rows);
  const int parts = threads == 1 ? 1 : threads * 8;
  const auto bounds = split_by_nnz(a.indptr.data(), a.rows, parts);
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int t = 0; t < parts; ++t)
      csr_rows_spmv(bounds[static_cast<std::size_t>(t)], bounds[static_cast<std::size_t>(t) + 1], a.indptr.data(),
                    FoldedIndices{a.indices.data()}, a.data.data(), x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * spmv_bytes(a)));
}
BENCHMARK(BM_SpmvCsrXInL1)->Unit(benchmark::kMillisecond)->UseRealTime();

template <class M>
void spmv_of(benchmark::State& state, const M& m) {
  const auto x = vector_x();
  std::vector<double> y(static_cast<std::size_t>(m.rows));
  for (auto _ : state) {
    spmv(m, std::span<const double>(x), std::span<double>(y));
    benchmark::DoNotOptimize(y.data());
  }
}
void BM_SpmvCsc(benchmark::State& state) { spmv_of(state, to_csc(matrix())); }
void BM_SpmvCoo(benchmark::State& state) { spmv_of(state, to_coo(matrix())); }
void BM_SpmvBsr(benchmark::State& state) { spmv_of(state, to_bsr(matrix(), 2, 2)); }
BENCHMARK(BM_SpmvCsc)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SpmvCoo)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SpmvBsr)->Unit(benchmark::kMillisecond)->UseRealTime();

#ifdef MAMMOTH_HAVE_EIGEN
void BM_SpmvEigen(benchmark::State& state) {
  const auto& a = matrix();
  Eigen::Map<const Eigen::SparseMatrix<double, Eigen::RowMajor, std::int32_t>> e(
      a.rows, a.cols, a.nnz(), a.indptr.data(), a.indices.data(), a.data.data());
  const auto xv = vector_x();
  Eigen::Map<const Eigen::VectorXd> x(xv.data(), static_cast<Eigen::Index>(xv.size()));
  Eigen::VectorXd y(a.rows);
  for (auto _ : state) {
    y.noalias() = e * x;
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * spmv_bytes(a)));
}
BENCHMARK(BM_SpmvEigen)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

// The streaming target: a 256 MiB CSR (indices + values, 4x a 64 MiB budget)
// multiplied warm from an uncompressed .npz by the out-of-core scheduler, against the
// in-memory kernel on the same matrix. Report the ratio of the two.
const Csr<double, std::int32_t>& big_matrix() {
  static const auto a = random_csr<double, std::int32_t>(20000, 1000000, 0.00112, 2);
  return a;
}
const std::string& big_npz() {
  static const std::string path = [] {
    const std::string p = (std::filesystem::temp_directory_path() / "mammoth_bench_stream.npz").string();
    save_npz(p, big_matrix(), false);
    return p;
  }();
  return path;
}

void BM_SpmvBigInMemory(benchmark::State& state) {
  const auto& a = big_matrix();
  std::vector<double> x(static_cast<std::size_t>(a.cols), 0.5), y(static_cast<std::size_t>(a.rows));
  for (auto _ : state) {
    spmv(a, std::span<const double>(x), std::span<double>(y));
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * spmv_bytes(a)));
}
BENCHMARK(BM_SpmvBigInMemory)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SpmvBigStreamed64MiB(benchmark::State& state) {
  const SparseSource src = open_sparse(big_npz());
  const mammoth::AnyArray x =
      mammoth::NdArray<double>::from(std::vector<double>(static_cast<std::size_t>(src.cols), 0.5), {src.cols});
  mammoth::ooc::Options options;
  options.budget = 64 * mammoth::kMiB;
  for (auto _ : state) benchmark::DoNotOptimize(spmv(src, x, options).data());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * spmv_bytes(big_matrix())));
}
BENCHMARK(BM_SpmvBigStreamed64MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Random(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(random_csr<double, std::int32_t>(1000, 100000, 0.1, 3).nnz());
}
BENCHMARK(BM_Random)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_ToCsc(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(to_csc(matrix()).nnz());
}
void BM_ToCoo(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(to_coo(matrix()).nnz());
}
void BM_ToLil(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(to_lil(matrix()).nnz());
}
void BM_ToDok(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(to_dok(matrix()).nnz());
}
BENCHMARK(BM_ToCsc)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_ToCoo)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_ToLil)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_ToDok)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
