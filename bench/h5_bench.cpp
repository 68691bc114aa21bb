// mammoth::h5 micro-benchmarks: row and tile I/O, fancy selections on contiguous
// (mapped) and chunked data, and the cost of the chunk cache sizing (h5py #2526).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "mammoth/h5.hpp"

namespace {

using namespace mammoth;

std::string scratch(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("mammoth-h5-bench-" + name)).string();
}

constexpr std::int64_t kRows = 256, kCols = 65536;  // 64 MiB of float32

const std::string& matrix_file() {
  static const std::string path = [] {
    const std::string p = scratch("matrix.h5");
    h5::File f(p, "w");
    h5::Dataset contiguous = f.create_dataset("contiguous", {kRows, kCols}, DType(ScalarType::Float32));
    h5::DatasetOptions o;
    o.chunks = {16, 4096};
    h5::Dataset chunked = f.create_dataset("chunked", {kRows, kCols}, DType(ScalarType::Float32), o);
    h5::DatasetOptions big;
    big.chunks = {8, kCols};  // 2 MiB chunks: larger than libhdf5's 1 MiB default cache
    big.gzip_level = 1;       // so each one must be read and inflated whole
    h5::Dataset wide = f.create_dataset("wide_chunks", {kRows, kCols}, DType(ScalarType::Float32), big);
    std::vector<float> row(kCols);
    std::iota(row.begin(), row.end(), 0.0f);
    for (std::int64_t i = 0; i < kRows; ++i)
      for (h5::Dataset* d : {&contiguous, &chunked, &wide})
        d->write(Box{{i, 0}, {1, kCols}}, row.data(), DType(ScalarType::Float32));
    return p;
  }();
  return path;
}

void BM_WriteRows(benchmark::State& state) {
  const std::string path = scratch("rows.h5");
  std::vector<float> row(kCols, 1.0f);
  for (auto _ : state) {
    h5::File f(path, "w");
    h5::Dataset d = f.create_dataset("x", {kRows, kCols}, DType(ScalarType::Float32));
    for (std::int64_t i = 0; i < kRows; ++i) d.write(Box{{i, 0}, {1, kCols}}, row.data(), DType(ScalarType::Float32));
  }
  state.SetBytesProcessed(state.iterations() * kRows * kCols * 4);
}
BENCHMARK(BM_WriteRows)->Unit(benchmark::kMillisecond);

void BM_ReadRows(benchmark::State& state, const char* name) {
  h5::File f(matrix_file(), "r");
  h5::Dataset d = f.dataset(name);
  std::vector<float> row(kCols);
  for (auto _ : state)
    for (std::int64_t i = 0; i < kRows; ++i) d.read(Box{{i, 0}, {1, kCols}}, row.data(), DType(ScalarType::Float32));
  state.SetBytesProcessed(state.iterations() * kRows * kCols * 4);
}
BENCHMARK_CAPTURE(BM_ReadRows, contiguous, "contiguous")->Unit(benchmark::kMillisecond);
void BM_ReadRowsBigCache(benchmark::State& state) {
  h5::File f(matrix_file(), "r");
  h5::Dataset d = f.dataset("chunked", h5::ChunkCache{64 << 20, 10007, 0.75});
  std::vector<float> row(kCols);
  for (auto _ : state)
    for (std::int64_t i = 0; i < kRows; ++i) d.read(Box{{i, 0}, {1, kCols}}, row.data(), DType(ScalarType::Float32));
  state.SetBytesProcessed(state.iterations() * kRows * kCols * 4);
}
BENCHMARK(BM_ReadRowsBigCache)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ReadRows, chunked, "chunked")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ReadRows, wide_chunks_sized_cache, "wide_chunks")->Unit(benchmark::kMillisecond);

// The same rows with libhdf5's 1 MiB default cache: every 2 MiB chunk is read (and
// decoded) once per row instead of once per 8 rows.
void BM_ReadRowsDefaultCache(benchmark::State& state) {
  h5::File f(matrix_file(), "r");
  h5::Dataset d = f.dataset("wide_chunks", h5::ChunkCache{});
  std::vector<float> row(kCols);
  for (auto _ : state)
    for (std::int64_t i = 0; i < kRows; ++i) d.read(Box{{i, 0}, {1, kCols}}, row.data(), DType(ScalarType::Float32));
  state.SetBytesProcessed(state.iterations() * kRows * kCols * 4);
}
BENCHMARK(BM_ReadRowsDefaultCache)->Unit(benchmark::kMillisecond);

void BM_WriteTiles(benchmark::State& state) {
  const std::string path = scratch("tiles.h5");
  std::vector<float> tile(100 * 100, 0.5f);
  for (auto _ : state) {
    h5::File f(path, "w");
    h5::DatasetOptions o;
    o.chunks = {100, 100};
    h5::Dataset d = f.create_dataset("chunked", {1000, 1000}, DType(ScalarType::Float32), o);
    for (std::int64_t i = 0; i < 1000; i += 100)
      for (std::int64_t j = 0; j < 1000; j += 100)
        d.write(Box{{i, j}, {100, 100}}, tile.data(), DType(ScalarType::Float32));
  }
}
BENCHMARK(BM_WriteTiles)->Unit(benchmark::kMillisecond);

void BM_ReadPoints(benchmark::State& state, const char* name, const char* mode) {
  h5::File f(matrix_file(), mode);
  h5::Dataset d = f.dataset(name);
  std::mt19937 gen(1);
  std::vector<std::int64_t> points;
  for (int p = 0; p < 10000; ++p) {
    points.push_back(std::uniform_int_distribution<std::int64_t>(0, kRows - 1)(gen));
    points.push_back(std::uniform_int_distribution<std::int64_t>(0, kCols - 1)(gen));
  }
  std::vector<float> out(10000);
  for (auto _ : state) d.read_points(points, out.data(), DType(ScalarType::Float32));
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK_CAPTURE(BM_ReadPoints, contiguous_mapped, "contiguous", "r")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ReadPoints, contiguous_hdf5, "contiguous", "r+")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ReadPoints, chunked, "chunked", "r")->Unit(benchmark::kMillisecond);

}  // namespace
