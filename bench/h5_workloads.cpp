// `h5_workloads WORKLOAD FILE`: the notebook's HDF5 workloads, timed by bench/peers_h5.py
// against the same steps in h5py. mammoth has no "fill rows" command, so the loops h5py
// users write by hand live here, in the library's public API (a benchmark program, not a
// subcommand of the CLI).
#include <cmath>
#include <cstdint>
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>
#include <exception>
#include <memory>
#include <string>

#include "mammoth/h5.hpp"
#include "mammoth/random.hpp"

namespace mammoth {
namespace {

// Uniform [0, 1) values, as np.random.random. One thread, like numpy's generator: the
// OpenMP fill_random waits at its barriers when the machine is busy, and the benchmark
// measures HDF5 writes, not a parallel generator.
void fill_uniform(Xoshiro256pp& random, std::vector<float>& out) {
  for (float& v : out) v = random.uniform_float();
}

// The seed's first HDF5 step: a contiguous float32 dataset filled one row at a time.
void fill_rows(const std::string& path, std::int64_t rows, std::int64_t cols) {
  h5::File f(path, "w");
  h5::Dataset d = f.create_dataset("dataset", {rows, cols}, DType(ScalarType::Float32));
  std::vector<float> row(static_cast<std::size_t>(cols));
  Xoshiro256pp random(1);
  for (std::int64_t i = 0; i < rows; ++i) {
    fill_uniform(random, row);
    d.write(Box{{i, 0}, {1, cols}}, row.data(), DType(ScalarType::Float32));
  }
}

// Eight partial sums, so the loop vectorises without -ffast-math.
double dot(const float* x, const std::vector<double>& y) {
  double acc[8] = {};
  const std::size_t n = y.size(), body = n / 8 * 8;
  for (std::size_t j = 0; j < body; j += 8)
    for (std::size_t k = 0; k < 8; ++k) acc[k] += static_cast<double>(x[j + k]) * y[j + k];
  double c = 0;
  for (std::size_t j = body; j < n; ++j) c += static_cast<double>(x[j]) * y[j];
  for (double a : acc) c += a;
  return c;
}

// The seed's matvec row loop: c[i] = dot(A[i, :], b), one row read at a time.
double read_rows(const std::string& path, const std::string& name, bool allow_mapping) {
  h5::File f(path, "r");
  h5::Dataset d = f.dataset(name);
  if (d.ndim() != 2) throw ShapeError(d.spec() + ": expected a 2-d dataset");
  const std::int64_t rows = d.shape()[0], cols = d.shape()[1];
  std::vector<float> buffer(static_cast<std::size_t>(cols));
  std::vector<double> b(buffer.size(), 0.5);
  double total = 0;
  // Contiguous float32 data in a read-only file is read in place (no copy); pages of
  // rows already used are released so resident memory stays at one row's worth.
  const auto m = d.mapped();
  const bool in_place = allow_mapping && m && m->dtype() == DType(ScalarType::Float32);
  for (std::int64_t i = 0; i < rows; ++i) {
    const float* row = buffer.data();
    if (in_place) {
      row = reinterpret_cast<const float*>(m->data()) + i * cols;
    } else {
      d.read(Box{{i, 0}, {1, cols}}, buffer.data(), DType(ScalarType::Float32));
    }
    total += dot(row, b);
    if (in_place) d.release(Box{{i, 0}, {1, cols}});
  }
  return total;
}

// The seed's chunked example: (size × size) float32 in (tile × tile) chunks, written tile by tile.
void write_tiles(const std::string& path, std::int64_t size, std::int64_t tile) {
  h5::File f(path, "w");
  h5::DatasetOptions o;
  o.chunks = {tile, tile};
  h5::Dataset d = f.create_dataset("chunked", {size, size}, DType(ScalarType::Float32), o);
  std::vector<float> block(static_cast<std::size_t>(tile * tile));
  Xoshiro256pp random(2);
  for (std::int64_t i = 0; i < size; i += tile)
    for (std::int64_t j = 0; j < size; j += tile) {
      fill_uniform(random, block);
      d.write(Box{{i, j}, {tile, tile}}, block.data(), DType(ScalarType::Float32));
    }
}

// pynwb #1276: `count` random elements of a 1-d dataset (h5py: 14 s for 10,000 of 10 M).
double read_points(const std::string& path, const std::string& name, std::int64_t count) {
  h5::File f(path, "r");
  h5::Dataset d = f.dataset(name);
  if (d.ndim() != 1) throw ShapeError(d.spec() + ": expected a 1-d dataset");
  std::vector<std::int64_t> index(static_cast<std::size_t>(count));
  std::uint64_t state = 12345;
  for (auto& i : index) {  // splitmix64: the same indices every run
    state += 0x9e3779b97f4a7c15ull;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    i = static_cast<std::int64_t>((z ^ (z >> 31)) % static_cast<std::uint64_t>(d.shape()[0]));
  }
  std::vector<double> values(index.size());
  d.read_points(index, values.data(), DType(ScalarType::Float64));
  double total = 0;
  for (double v : values) total += v;
  return total;
}

}  // namespace
}  // namespace mammoth

int main(int argc, char** argv) {
  using namespace mammoth;
  CLI::App app("the notebook's HDF5 workloads, for bench/peers_h5.py", "h5_workloads");
  auto workload = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto dataset = std::make_shared<std::string>("array");
  auto rows = std::make_shared<std::int64_t>(100);
  auto cols = std::make_shared<std::int64_t>(1000000);
  auto size = std::make_shared<std::int64_t>(1000);
  auto tile = std::make_shared<std::int64_t>(100);
  auto repeat = std::make_shared<int>(1);
  auto copy = std::make_shared<bool>(false);
  auto count = std::make_shared<std::int64_t>(10000);
  app.add_option("workload", *workload, "fill-rows | read-rows | tiles | points")
      ->required()
      ->check(CLI::IsMember({"fill-rows", "read-rows", "tiles", "points"}));
  app.add_option("--count", *count, "points: how many random elements");
  app.add_option("file", *file, "HDF5 file")->required();
  app.add_option("--dataset", *dataset, "read-rows: dataset to read");
  app.add_option("--rows", *rows, "fill-rows: rows");
  app.add_option("--cols", *cols, "fill-rows: columns");
  app.add_option("--size", *size, "tiles: rows and columns");
  app.add_option("--tile", *tile, "tiles: tile and chunk edge");
  app.add_option("--repeat", *repeat, "run the workload this many times");
  app.add_flag("--copy", *copy, "read-rows: copy each row out even when the data can be read in place");
  CLI11_PARSE(app, argc, argv);
  try {
    for (int r = 0; r < *repeat; ++r) {
      if (*workload == "fill-rows") fill_rows(*file, *rows, *cols);
      if (*workload == "read-rows") std::cout << read_rows(*file, *dataset, !*copy) << "\n";
      if (*workload == "tiles") write_tiles(*file, *size, *tile);
      if (*workload == "points") std::cout << read_points(*file, *dataset, *count) << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "h5_workloads: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
