// The engine's kernels and scheduler on in-memory arrays (no disk): what a block costs
// once its bytes are here. The disk-bound comparisons with the Python peers are in
// peers_ooc.py.
#include <benchmark/benchmark.h>

#include <random>

#include "mammoth/ooc/copy.hpp"
#include "mammoth/ooc/matmul.hpp"
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/ooc/reduce.hpp"

namespace {

using namespace mammoth;

NdArray<float> matrix(std::int64_t rows, std::int64_t cols) {
  NdArray<float> a = NdArray<float>::empty({rows, cols});
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> u(0, 1);
  for (std::int64_t i = 0; i < a.size(); ++i) a.data()[i] = u(rng);
  return a;
}

// Hides mapped(), so every block is copied by the I/O thread as from a file.
class CopyingStore : public ArrayStore {
 public:
  using ArrayStore::ArrayStore;
  std::optional<AnyArray> mapped() override { return std::nullopt; }
};

void BM_MatvecMapped(benchmark::State& state) {
  const auto a = matrix(1000, 10000);
  ArrayStore store(a, "A");
  const auto x = NdArray<double>::full({10000}, 0.5);
  for (auto _ : state) benchmark::DoNotOptimize(ooc::matvec(store, x));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(a.size() * 4));
}
BENCHMARK(BM_MatvecMapped)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MatvecCopied(benchmark::State& state) {
  const auto a = matrix(1000, 10000);
  CopyingStore store(a, "A");
  const auto x = NdArray<double>::full({10000}, 0.5);
  ooc::Options options;
  options.budget = static_cast<std::size_t>(state.range(0)) << 20;
  for (auto _ : state) benchmark::DoNotOptimize(ooc::matvec(store, x, options));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(a.size() * 4));
}
BENCHMARK(BM_MatvecCopied)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Rmatvec(benchmark::State& state) {
  const auto a = matrix(1000, 10000);
  ArrayStore store(a, "A");
  const auto y = NdArray<double>::full({1000}, 0.5);
  for (auto _ : state) benchmark::DoNotOptimize(ooc::rmatvec(store, y));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(a.size() * 4));
}
BENCHMARK(BM_Rmatvec)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Reduce(benchmark::State& state) {
  const auto a = matrix(1000, 10000);
  ArrayStore store(a, "A");
  const auto axis = state.range(0) < 0 ? std::nullopt : std::optional<int>(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ooc::reduce(store, ooc::ReduceOp::Sum, axis));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(a.size() * 4));
}
BENCHMARK(BM_Reduce)->Arg(-1)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Matmul(benchmark::State& state) {
  const auto a = matrix(1000, 1000);
  ArrayStore store(a, "A");
  const auto b = NdArray<double>::full({1000, 64}, 0.5);
  for (auto _ : state) benchmark::DoNotOptimize(ooc::matmul(store, b));
  state.SetItemsProcessed(state.iterations() * 2 * 1000 * 1000 * 64);
}
BENCHMARK(BM_Matmul)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CopyConvert(benchmark::State& state) {
  const auto a = matrix(1000, 10000);
  CopyingStore src(a, "A");
  auto out = NdArray<double>::empty({1000, 10000});
  ArrayStore dst(out, "B");
  for (auto _ : state) ooc::copy(src, dst);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(a.size() * 4));
}
BENCHMARK(BM_CopyConvert)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
