#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <thread>

#include "mammoth/h5.hpp"
#include "test_support.hpp"

namespace mammoth::h5 {
namespace {

using mammoth::testing::TempDir;

template <class T>
NdArray<T> ramp(const Shape& shape, std::int64_t step = 1) {
  NdArray<T> a = NdArray<T>::empty(shape);
  for (std::int64_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<T>(i * step % 1000 - 300);
  return a;
}

DatasetOptions gzip(Shape chunks, bool shuffle) {
  DatasetOptions o;
  o.chunks = std::move(chunks);
  o.gzip_level = 4;
  o.shuffle = shuffle;
  return o;
}

// The same box read from the gzip dataset (direct) and from an unfiltered copy (libhdf5).
void expect_same_box(const Dataset& direct, const Dataset& plain, const Box& box, DType as) {
  std::vector<std::byte> a(static_cast<std::size_t>(box.size()) * as.itemsize()),
      b(static_cast<std::size_t>(box.size()) * as.itemsize());
  direct.read(box, a.data(), as);
  plain.read(box, b.data(), as);
  EXPECT_EQ(a, b) << direct.spec() << " " << shape_string(box.offset) << "+" << shape_string(box.count) << " as "
                  << as.name();
}

TEST(H5DirectChunks, GzipAndShuffleChunksMatchLibhdf5sPipeline) {
  TempDir dir;
  const Shape shape{57, 43, 5};  // edge chunks on every axis
  const std::vector<DType> stored{DType(ScalarType::Float32), DType(ScalarType::Float64, ByteOrder::Big),
                                  DType(ScalarType::Int16), DType(ScalarType::Complex128)};
  {
    File f(dir.file("g.h5"), "w");
    for (const bool shuffle : {false, true})
      for (const DType type : stored) {
        const std::string name = type.descr() + (shuffle ? "_s" : "");
        const AnyArray data = AnyArray(ramp<double>(shape)).astype(type);
        EXPECT_FALSE(f.create_dataset(name, data, gzip({8, 10, 5}, shuffle)).direct_chunk_reads());  // writable
        f.create_dataset(name + "_plain", data);
      }
  }
  File f(dir.file("g.h5"), "r");
  // Boxes of whole chunk rows (the direct path), and others (libhdf5's cache).
  const std::vector<Box> boxes{Box::whole(shape), Box{{8, 7, 1}, {40, 30, 3}}, Box{{56, 0, 0}, {1, 43, 5}},
                               Box{{16, 42, 4}, {8, 1, 1}}, Box{{3, 7, 1}, {40, 30, 3}}};
  for (const bool shuffle : {false, true})
    for (const DType type : stored) {
      const std::string name = type.descr() + (shuffle ? "_s" : "");
      const Dataset direct = f.dataset(name), plain = f.dataset(name + "_plain");
      EXPECT_TRUE(direct.direct_chunk_reads()) << name;
      EXPECT_FALSE(plain.direct_chunk_reads());
      for (const Box& box : boxes)
        for (const DType as : {type, DType(ScalarType::Float64), DType(ScalarType::Int32)})
          expect_same_box(direct, plain, box, as);
    }
}

TEST(H5DirectChunks, ThreadsReadingOneDatasetAtOnceEachGetBuffers) {
  // The dataset keeps one set of batch buffers between calls; a second caller meanwhile
  // gets its own, so neither sees the other's chunks.
  TempDir dir;
  const Shape shape{64, 300};
  {
    File f(dir.file("g.h5"), "w");
    f.create_dataset("x", AnyArray(ramp<std::int32_t>(shape, 7)), gzip({8, 100}, true));
  }
  File f(dir.file("g.h5"), "r");
  const Dataset d = f.dataset("x");
  ASSERT_TRUE(d.direct_chunk_reads());
  const NdArray<std::int32_t> want = ramp<std::int32_t>(shape, 7);
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 40; ++rep) {
        const std::int64_t r0 = 8 * ((rep * 3 + t) % 6), rows = 8 * (1 + (rep + t) % 3);  // 1 to 3 chunk rows
        std::vector<std::int32_t> got(static_cast<std::size_t>(rows * 300));
        d.read(Box{{r0, 0}, {rows, 300}}, got.data(), DType(ScalarType::Int32));
        if (std::memcmp(got.data(), want.data() + r0 * 300, got.size() * sizeof(std::int32_t)) != 0) ++wrong[t];
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

TEST(H5DirectChunks, OtherPipelinesAndUnwrittenChunksGoThroughLibhdf5) {
  TempDir dir;
  const NdArray<float> top = ramp<float>({10, 20});
  {
    File f(dir.file("o.h5"), "w");
    DatasetOptions checked = gzip({10, 10}, true);
    checked.fletcher32 = true;
    f.create_dataset("fletcher", AnyArray(ramp<float>({20, 20})), checked);
    DatasetOptions lzf;
    lzf.compression = "lzf";
    lzf.chunks = {10, 10};
    f.create_dataset("lzf", AnyArray(ramp<float>({20, 20})), lzf);
    // Half written: the other chunks read as the fill value, which libhdf5 supplies.
    DatasetOptions filled = gzip({10, 10}, true);
    filled.fill_value = -7;
    Dataset half = f.create_dataset("half", {20, 20}, DType(ScalarType::Float32), filled);
    half.write(Box{{0, 0}, {10, 20}}, top.data(), DType(ScalarType::Float32));
  }
  File f(dir.file("o.h5"), "r");
  EXPECT_FALSE(f.dataset("fletcher").direct_chunk_reads());
  EXPECT_FALSE(f.dataset("lzf").direct_chunk_reads());
  const Dataset half = f.dataset("half");
  EXPECT_TRUE(half.direct_chunk_reads());
  const NdArray<float> all = half.read_all_as<float>();
  EXPECT_EQ(all(9, 19), top(9, 19));
  EXPECT_EQ(all(10, 0), -7.0f);
  EXPECT_EQ(all(19, 19), -7.0f);
  // The written chunk row alone goes direct and gives the same.
  std::vector<float> part(200);
  half.read(Box{{0, 0}, {10, 20}}, part.data(), DType(ScalarType::Float32));
  EXPECT_EQ(part[199], top(9, 19));
}

// Whole chunks written past libhdf5 (shuffled and deflated on all cores, H5Dwrite_chunk)
// read back as what libhdf5's own pipeline writes, through libhdf5 and through the direct
// reads; a direct write over chunks libhdf5 holds dirty in its cache wins over them.
TEST(H5DirectChunks, WholeChunkWritesReadBackAsLibhdf5Writes) {
  TempDir dir;
  const Shape shape{57, 43, 5};  // edge chunks on every axis
  const std::vector<DType> stored{DType(ScalarType::Float32), DType(ScalarType::Float64, ByteOrder::Big),
                                  DType(ScalarType::Int16), DType(ScalarType::UInt8), DType(ScalarType::Complex128)};
  const auto name_of = [](DType type, bool shuffle) { return type.descr() + (shuffle ? "_s" : ""); };
  const auto bytes_of = [](const Dataset& d, DType type) {
    std::vector<std::byte> out(static_cast<std::size_t>(d.size()) * type.itemsize());
    d.read(Box::whole(d.shape()), out.data(), type);
    return out;
  };
  std::map<std::string, std::vector<std::byte>> expected;
  {
    File f(dir.file("w.h5"), "w");
    for (const bool shuffle : {false, true})
      for (const DType type : stored) {
        const std::string name = name_of(type, shuffle);
        const AnyArray data = AnyArray(ramp<double>(shape)).astype(type);
        const AnyArray other = AnyArray(ramp<double>(shape, 7)).astype(type);
        Dataset direct = f.create_dataset(name, shape, type, gzip({8, 10, 5}, shuffle));
        Dataset plain = f.create_dataset(name + "_plain", shape, type, gzip({8, 10, 5}, shuffle));
        EXPECT_TRUE(direct.direct_chunk_writes()) << name;
        direct.write(Box::whole(shape), data.data(), type);
        // Three rows at a time: boxes that cut chunks, so libhdf5 writes them (its cache).
        const std::size_t row = static_cast<std::size_t>(shape[1] * shape[2]) * type.itemsize();
        for (std::int64_t r = 0; r < shape[0]; r += 3) {
          const std::int64_t n = std::min<std::int64_t>(3, shape[0] - r);
          plain.write(Box{{r, 0, 0}, {n, shape[1], shape[2]}}, data.data() + static_cast<std::size_t>(r) * row, type);
        }
        EXPECT_EQ(bytes_of(direct, type), bytes_of(plain, type)) << name;
        EXPECT_EQ(bytes_of(direct, type), std::vector<std::byte>(data.data(), data.data() + data.nbytes())) << name;
        // Rows [8, 24) again, whole chunks, over chunks libhdf5 may still hold dirty.
        plain.write(Box{{8, 0, 0}, {16, shape[1], shape[2]}}, other.data() + 8 * row, type);
        std::vector<std::byte> want(data.data(), data.data() + data.nbytes());
        std::memcpy(want.data() + 8 * row, other.data() + 8 * row, 16 * row);
        EXPECT_EQ(bytes_of(plain, type), want) << name;
        expected[name] = want;
      }
  }
  File f(dir.file("w.h5"), "r");
  for (const bool shuffle : {false, true})
    for (const DType type : stored) {
      const std::string name = name_of(type, shuffle);
      EXPECT_EQ(bytes_of(f.dataset(name + "_plain"), type), expected[name]) << name;
      EXPECT_FALSE(f.dataset(name).direct_chunk_writes());  // read-only
    }
}

}  // namespace
}  // namespace mammoth::h5
