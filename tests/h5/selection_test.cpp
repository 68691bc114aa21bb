#include <gtest/gtest.h>

#include <fstream>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

#include "h5_test_helpers.hpp"
#include "mammoth/h5.hpp"
#include "mammoth/mapping.hpp"
#include "test_support.hpp"

namespace mammoth::h5 {
namespace {

using mammoth::testing::TempDir;

using test::with_chunks;

NdArray<std::int32_t> iota(const Shape& shape) {
  NdArray<std::int32_t> a = NdArray<std::int32_t>::empty(shape);
  std::iota(a.data(), a.data() + a.size(), 0);
  return a;
}

std::string make_file(const TempDir& dir) {
  const std::string path = dir.file("sel.h5");
  File f(path, "w");
  f.create_dataset("contig", iota({50, 8}));
  f.create_dataset("chunked", iota({50, 8}), with_chunks({7, 3}));
  f.create_dataset("gz", iota({50, 8}), with_chunks({4, 8}, 1));
  f.create_dataset("flat", iota({1000}));
  return path;
}

const std::vector<std::int64_t> kRows{49, 3, 3, 17, 0, 16, 48, 22};

void expect_rows(const Dataset& d) {
  std::vector<double> out(kRows.size() * 8, -1);
  d.read_rows(kRows, out.data(), DType(ScalarType::Float64));
  for (std::size_t k = 0; k < kRows.size(); ++k)
    for (int j = 0; j < 8; ++j) ASSERT_EQ(out[k * 8 + j], kRows[k] * 8 + j) << d.name() << " row " << kRows[k];
}

TEST(H5Selection, RowsInCallerOrderEveryLayout) {
  TempDir dir;
  const std::string path = make_file(dir);
  for (const char* mode : {"r", "r+"}) {  // r maps contiguous data, r+ reads through libhdf5
    File f(path, mode);
    for (const char* name : {"contig", "chunked", "gz"}) expect_rows(f.dataset(name));
  }
}

TEST(H5Selection, PointsInCallerOrder) {
  TempDir dir;
  const std::string path = make_file(dir);
  for (const char* mode : {"r", "r+"}) {
    File f(path, mode);
    for (const char* name : {"contig", "chunked", "gz"}) {
      const std::vector<std::int64_t> points{49, 7, 0, 0, 13, 2, 13, 2, 25, 5, 1, 1};
      std::vector<std::int32_t> out(6);
      f.dataset(name).read_points(points, out.data(), DType(ScalarType::Int32));
      for (std::size_t p = 0; p < 6; ++p) EXPECT_EQ(out[p], points[2 * p] * 8 + points[2 * p + 1]) << name << mode;
    }
    std::mt19937 gen(7);
    std::vector<std::int64_t> idx(300);
    for (auto& i : idx) i = std::uniform_int_distribution<std::int64_t>(0, 999)(gen);
    std::vector<std::int64_t> out(idx.size());
    f.dataset("flat").read_points(idx, out.data(), DType(ScalarType::Int64));
    EXPECT_EQ(out, idx);
  }
}

TEST(H5Selection, PointsInUnwrittenChunksGiveTheFillValue) {
  TempDir dir;
  const std::string path = dir.file("fill.h5");
  {
    File f(path, "w");
    DatasetOptions o = with_chunks({4, 4});
    o.fill_value = -2;
    Dataset d = f.create_dataset("x", {8, 8}, DType(ScalarType::Int16), o);
    const std::vector<std::int16_t> ones(16, 1);
    d.write(Box{{0, 0}, {4, 4}}, ones.data(), DType(ScalarType::Int16));  // one chunk of four
  }
  File f(path, "r");
  const std::vector<std::int64_t> points{7, 7, 0, 0, 3, 3, 4, 0};
  std::vector<double> out(4);
  f.dataset("x").read_points(points, out.data(), DType(ScalarType::Float64));
  EXPECT_EQ(out, (std::vector<double>{-2, 1, 1, -2}));
}

TEST(H5Selection, OutOfRangeIndicesAreShapeErrors) {
  TempDir dir;
  File f(make_file(dir), "r");
  std::vector<double> out(16);
  const std::vector<std::int64_t> bad_rows{1, 50};
  EXPECT_THROW(f.dataset("contig").read_rows(bad_rows, out.data(), DType(ScalarType::Float64)), ShapeError);
  const std::vector<std::int64_t> negative{-1, 0};
  EXPECT_THROW(f.dataset("chunked").read_points(negative, out.data(), DType(ScalarType::Float64)), ShapeError);
  const std::vector<std::int64_t> odd{1, 2, 3};
  EXPECT_THROW(f.dataset("chunked").read_points(odd, out.data(), DType(ScalarType::Float64)), ShapeError);
}

TEST(H5Selection, MappedIsZeroCopyAndReadOnly) {
  TempDir dir;
  const std::string path = make_file(dir);
  {
    File f(path, "r+");
    EXPECT_FALSE(f.dataset("contig").mapped());  // writable files never map
  }
  File f(path, "r");
  auto m = f.dataset("contig").mapped();
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->storage()->is_mapped());
  EXPECT_FALSE(m->writable());
  EXPECT_EQ(m->shape(), (Shape{50, 8}));
  EXPECT_TRUE(array_equal(m->as<std::int32_t>(), iota({50, 8})));
  EXPECT_FALSE(f.dataset("chunked").mapped());
  EXPECT_FALSE(f.dataset("gz").mapped());
  // The mapping outlives the file object.
  AnyArray kept = *m;
  f.close();
  EXPECT_EQ(kept.as<std::int32_t>()(49, 7), 399);
}

double rss_file_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RssFile:", 0) == 0) return std::stod(line.substr(8)) / 1024.0;
  return -1;
}

TEST(H5Selection, ReleaseDropsMappedPagesAndDataStays) {
  TempDir dir;
  const std::string path = dir.file("big.h5");
  {
    File f(path, "w");
    f.create_dataset("x", NdArray<float>::full({2048, 2048}, 1.0f));  // 16 MiB
  }
  File f(path, "r");
  Dataset d = f.dataset("x");
  auto m = d.mapped();
  ASSERT_TRUE(m);
  double sum = 0;
  for (float v : m->as<float>()) sum += v;
  EXPECT_EQ(sum, 2048.0 * 2048.0);
  const double touched = rss_file_mib();
  d.release(Box::rows(d.shape(), 0, 2048));
  EXPECT_LT(rss_file_mib(), touched - 12.0);    // the 16 MiB left the resident set
  EXPECT_EQ(m->as<float>()(2047, 2047), 1.0f);  // and come back from the page cache
  EXPECT_THROW(d.release(Box::rows(d.shape(), 0, 4096)), ShapeError);
}

// A whole unfiltered chunk of a read-only file is viewed in place, at its address in the
// file; any other box, filtered data, an unwritten chunk or a writable file give none.
TEST(H5Selection, WholeUnfilteredChunksAreViewedInPlace) {
  TempDir dir;
  const std::string path = dir.file("chunks.h5");
  {
    File f(path, "w");
    f.create_dataset("x", iota({25, 10}), with_chunks({10, 4}));
    DatasetOptions gz = with_chunks({10, 4});
    gz.gzip_level = 4;
    f.create_dataset("gz", iota({25, 10}), gz);
    f.create_dataset("empty", Shape{25, 10}, DType(ScalarType::Int32), with_chunks({10, 4}));
    f.create_dataset("contig", iota({25, 10}));
    EXPECT_FALSE(f.dataset("x").chunk_view(Box{{0, 0}, {10, 4}}));  // writable
  }
  File f(path, "r");
  const Dataset d = f.dataset("x");
  const std::optional<AnyArray> v = d.chunk_view(Box{{10, 4}, {10, 4}});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->shape(), (Shape{10, 4}));
  EXPECT_TRUE(v->is_c_contiguous());
  EXPECT_TRUE(FileMap::of(v->storage()));
  for (std::int64_t i = 0; i < 10; ++i)
    for (std::int64_t j = 0; j < 4; ++j) EXPECT_EQ(v->as<std::int32_t>()(i, j), (10 + i) * 10 + 4 + j);
  EXPECT_FALSE(d.chunk_view(Box{{20, 0}, {5, 4}}));  // the edge: part of a chunk
  EXPECT_FALSE(d.chunk_view(Box{{0, 8}, {10, 2}}));  // likewise
  EXPECT_FALSE(d.chunk_view(Box{{5, 0}, {10, 4}}));  // across two chunks
  EXPECT_FALSE(d.chunk_view(Box{{0, 0}, {10, 8}}));  // two chunks
  EXPECT_FALSE(f.dataset("gz").chunk_view(Box{{0, 0}, {10, 4}}));
  EXPECT_FALSE(f.dataset("empty").chunk_view(Box{{0, 0}, {10, 4}}));
  EXPECT_FALSE(f.dataset("contig").chunk_view(Box{{0, 0}, {10, 4}}));
}

TEST(H5Selection, RandomPointsKeepResidentMemoryBounded) {
  TempDir dir;
  const std::string path = dir.file("points.h5");
  const std::int64_t n = 16 << 20;  // 64 MiB of float32
  {
    File f(path, "w");
    Dataset d = f.create_dataset("x", {n}, DType(ScalarType::Float32));
    std::vector<float> block(1 << 20);
    for (std::int64_t start = 0; start < n; start += 1 << 20) {
      for (std::size_t i = 0; i < block.size(); ++i)
        block[i] = static_cast<float>(start + static_cast<std::int64_t>(i));
      d.write(Box{{start}, {1 << 20}}, block.data(), DType(ScalarType::Float32));
    }
  }
  File f(path, "r");
  Dataset d = f.dataset("x");
  std::mt19937 gen(3);
  std::vector<std::int64_t> idx(20000);
  for (auto& i : idx) i = std::uniform_int_distribution<std::int64_t>(0, n - 1)(gen);
  std::vector<double> out(idx.size());
  // 20,000 faults × 16 pages around each would map all 64 MiB without the 8 MiB window.
  EXPECT_LT(testing::peak_increment_mib([&] { d.read_points(idx, out.data(), DType(ScalarType::Float64)); }), 24.0);
  for (std::size_t p = 0; p < idx.size(); p += 997) EXPECT_EQ(out[p], static_cast<double>(idx[p]));
}

// Bytes this process has read through read()/pread() so far.
std::int64_t bytes_read() {
  std::ifstream in("/proc/self/io");
  std::string key;
  std::int64_t value = 0;
  while (in >> key >> value)
    if (key == "rchar:") return value;
  return -1;
}

TEST(H5Selection, SizedChunkCacheReadsEachBigChunkOnce) {
  // h5py #2526: gzip chunks of 2 MiB do not fit libhdf5's 1 MiB default cache, so reading
  // the 8 rows of a chunk one at a time fetches (and inflates) it 8 times.
  TempDir dir;
  const std::string path = dir.file("wide.h5");
  const Shape shape{32, 65536};
  {
    File f(path, "w");
    DatasetOptions o = with_chunks({8, 65536}, 1);
    Dataset d = f.create_dataset("x", shape, DType(ScalarType::Float32), o);
    std::vector<float> row(65536);
    for (std::int64_t i = 0; i < 32; ++i) {
      for (std::size_t j = 0; j < row.size(); ++j) row[j] = static_cast<float>((i * 7919 + j * 104729) % 1000003);
      d.write(Box{{i, 0}, {1, 65536}}, row.data(), DType(ScalarType::Float32));
    }
  }
  const auto read_all_rows = [&](const std::optional<ChunkCache>& cache) {
    File f(path, "r");
    Dataset d = f.dataset("x", cache);
    std::vector<float> row(65536);
    const std::int64_t before = bytes_read();
    for (std::int64_t i = 0; i < 32; ++i) d.read(Box{{i, 0}, {1, 65536}}, row.data(), DType(ScalarType::Float32));
    EXPECT_EQ(row[5], static_cast<float>((31 * 7919 + 5 * 104729) % 1000003));
    return bytes_read() - before;
  };
  const std::int64_t sized = read_all_rows(std::nullopt);     // cache_for_chunks: 4 MiB
  const std::int64_t fallback = read_all_rows(ChunkCache{});  // libhdf5's 1 MiB
  EXPECT_GT(sized, 0);
  EXPECT_GT(fallback, 6 * sized) << "sized " << sized << " bytes, default " << fallback;
}

TEST(H5Selection, ReadOnlyUnfilteredBigChunksReadDirectlyWithoutACache) {
  TempDir dir;
  const std::string path = dir.file("direct.h5");
  const Shape shape{40, 40000};
  std::vector<float> values(static_cast<std::size_t>(shape[0] * shape[1]));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 9973);
  {
    File f(path, "w");
    // (10, 10000) float32 chunks: 400 KB each, unfiltered and gzip.
    Dataset plain = f.create_dataset("plain", shape, DType(ScalarType::Float32), with_chunks({10, 10000}));
    Dataset gz = f.create_dataset("gz", shape, DType(ScalarType::Float32), with_chunks({10, 10000}, 1));
    Dataset small = f.create_dataset("small", shape, DType(ScalarType::Float32), with_chunks({4, 1000}));
    for (Dataset* d : {&plain, &gz, &small}) d->write(Box::whole(shape), values.data(), DType(ScalarType::Float32));
    EXPECT_GT(plain.cache().bytes, 0u);  // written through a cache
  }
  File f(path, "r");
  Dataset plain = f.dataset("plain");
  EXPECT_EQ(plain.cache().bytes, 0u);
  EXPECT_GT(f.dataset("gz").cache().bytes, 0u);     // must inflate whole chunks
  EXPECT_GT(f.dataset("small").cache().bytes, 0u);  // 16 KB chunks: a cache saves tiny reads
  std::vector<float> block(20 * 15000);
  plain.read(Box{{10, 5000}, {20, 15000}}, block.data(), DType(ScalarType::Float32));
  for (std::int64_t r = 0; r < 20; ++r)
    for (std::int64_t c = 0; c < 15000; c += 997)
      ASSERT_EQ(block[static_cast<std::size_t>(r * 15000 + c)],
                values[static_cast<std::size_t>((r + 10) * shape[1] + c + 5000)]);
}

TEST(H5Selection, ConcurrentReadersShareTheLibraryLock) {
  TempDir dir;
  const std::string path = make_file(dir);
  File f(path, "r");
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      Dataset d = f.dataset(t % 2 ? "gz" : "chunked");
      for (int rep = 0; rep < 50; ++rep) {
        std::vector<std::int32_t> row(8);
        const std::int64_t r = (rep * 7 + t) % 50;
        d.read(Box{{r, 0}, {1, 8}}, row.data(), DType(ScalarType::Int32));
        if (row[3] != r * 8 + 3) ++failures[t];
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(H5Selection, ChunkCacheDefaultsAndOverrides) {
  // A band of rows of (100,100) chunks over 1000 columns: 10 chunks × 40 KB fits libhdf5's 1 MiB.
  EXPECT_EQ(cache_for_chunks({1000, 1000}, {100, 100}, 4).bytes, std::size_t{1} << 20);
  // One chunk of 4 MB is larger than libhdf5's 1 MiB default (h5py #2526): the cache grows
  // to the band's chunks plus one of slack.
  EXPECT_EQ(cache_for_chunks({100, 1000000}, {1, 1000000}, 4).bytes, std::size_t{8000000});
  // 100 chunks of 400 KB in a band (+1): 40.4 MB.
  EXPECT_EQ(cache_for_chunks({1000, 1000000}, {10, 10000}, 4).bytes, std::size_t{40400000});
  TempDir dir;
  const std::string path = dir.file("cache.h5");
  {
    File f(path, "w");
    Dataset d = f.create_dataset("x", {10, 100000}, DType(ScalarType::Float64), with_chunks({2, 100000}));
    EXPECT_EQ(d.cache().bytes, std::size_t{3200000});
    d.set_cache(ChunkCache{123456, 1009, 1.0});
    EXPECT_EQ(d.cache().bytes, 123456u);
    EXPECT_EQ(d.cache().slots, 1009u);
  }
  FileOptions o;
  o.cache = ChunkCache{3 << 20, 2003, 0.5};
  File f(path, Mode::Read, o);
  EXPECT_EQ(f.dataset("x").cache().bytes, std::size_t{3} << 20);
  EXPECT_EQ(f.dataset("x", ChunkCache{5 << 20, 4001, 0.25}).cache().bytes, std::size_t{5} << 20);
}

}  // namespace
}  // namespace mammoth::h5
