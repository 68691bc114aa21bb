// Filling and reading memory-mapped .npy files: the seed notebook's workload (100 × 1e6
// float32), with resident-memory counters beside the times.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mammoth/memmap.hpp"
#include "mammoth/npy.hpp"
#include "mammoth/random.hpp"

namespace {

using namespace mammoth;

constexpr std::int64_t kRows = 100, kCols = 1000000;

std::string scratch(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("mammoth-bench-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

double status_mib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string k(key);
  while (std::getline(in, line))
    if (line.rfind(k, 0) == 0) return std::stod(line.substr(k.size())) / 1024.0;
  return 0;
}

CreateOptions float32(Shape shape) {
  CreateOptions o;
  o.dtype = DType(ScalarType::Float32);
  o.shape = std::move(shape);
  return o;
}

// `mammoth random` without the process: create, fill block by block, flush.
void BM_RandomIntoNpy(benchmark::State& state) {
  const std::string path = scratch("random.npy");
  double peak = 0;
  for (auto _ : state) {
    std::ofstream("/proc/self/clear_refs") << "5";
    const double before = status_mib("VmRSS:");
    auto store = create_store(path, float32({kRows, kCols}));
    fill_random(*store, RandomSpec{});
    store->flush();
    peak = std::max(peak, status_mib("VmHWM:") - before);
  }
  state.counters["peak_MiB"] = peak;
  state.SetBytesProcessed(state.iterations() * kRows * kCols * 4);
  std::filesystem::remove(path);
}
BENCHMARK(BM_RandomIntoNpy)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// The notebook's loop, row by row through the mapping, releasing each written row.
void BM_RowLoopThroughMapping(benchmark::State& state) {
  const std::string path = scratch("rows.npy");
  double peak = 0;
  for (auto _ : state) {
    std::ofstream("/proc/self/clear_refs") << "5";
    const double before = status_mib("VmRSS:");
    Memmap m = create_npy(path, float32({kRows, kCols}));
    const auto a = m.as<float>();
    for (std::int64_t i = 0; i < kRows; ++i) {
      fill_random(a.row(i), RandomSpec{}, i * kCols);
      if (state.range(0)) m.release(Box::rows(m.shape(), i, i + 1));
    }
    m.close();
    peak = std::max(peak, status_mib("VmHWM:") - before);
  }
  state.counters["peak_MiB"] = peak;
  std::filesystem::remove(path);
}
BENCHMARK(BM_RowLoopThroughMapping)
    ->Arg(0)
    ->Arg(1)
    ->ArgNames({"release"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// Reopen by path alone and read the last row, cold (pages dropped from the page cache):
// counts the pages that became resident.
void BM_ReadLastRowCold(benchmark::State& state) {
  const std::string path = scratch("last.npy");
  {
    auto store = create_store(path, float32({kRows, kCols}));
    fill_random(*store, RandomSpec{});
    store->flush();
  }
  double resident = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const int fd = ::open(path.c_str(), O_RDONLY);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    state.ResumeTiming();
    Memmap m = open_memmap(path);
    m.advise(Access::Random);
    double sum = 0;
    for (float v : m.as<float>().row(-1)) sum += v;
    benchmark::DoNotOptimize(sum);
    resident = static_cast<double>(m.resident_bytes(Box::whole(m.shape()))) / 1024.0;
  }
  state.counters["resident_KiB"] = resident;
  state.counters["row_KiB"] = kCols * 4 / 1024.0;
  std::filesystem::remove(path);
}
BENCHMARK(BM_ReadLastRowCold)->Unit(benchmark::kMillisecond)->Iterations(5);

// The generator alone, into memory: what the fill costs before any I/O.
void BM_FillRandomMemory(benchmark::State& state) {
  const auto dist = static_cast<Distribution>(state.range(0));
  RandomSpec spec;
  spec.dist = dist;
  spec.high = dist == Distribution::Integers ? 1000 : 1;
  std::vector<float> buffer(std::size_t{1} << 24);
  for (auto _ : state) {
    fill_random(buffer.data(), DType(ScalarType::Float32), 0, static_cast<std::int64_t>(buffer.size()), spec);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(buffer.size()));
}
BENCHMARK(BM_FillRandomMemory)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->ArgNames({"dist"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_ParseNpyHeader(benchmark::State& state) {
  const std::string header = format_npy_header(DType(ScalarType::Float32), {kRows, kCols}, Order::C);
  for (auto _ : state) benchmark::DoNotOptimize(parse_npy_header(header, 1LL << 40, "bench.npy"));
}
BENCHMARK(BM_ParseNpyHeader);

}  // namespace
