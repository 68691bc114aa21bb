#include <gtest/gtest.h>

#include <complex>
#include <numeric>

#include "h5_test_helpers.hpp"
#include "mammoth/h5.hpp"
#include "test_support.hpp"

namespace mammoth::h5 {
namespace {

using mammoth::testing::TempDir;

using test::with_chunks;

NdArray<float> iota(const Shape& shape) {
  NdArray<float> a = NdArray<float>::empty(shape);
  std::iota(a.data(), a.data() + a.size(), 0.0f);
  return a;
}

TEST(H5Dataset, WholeAndRoundTrip) {
  TempDir dir;
  File f(dir.file("d.h5"), "w");
  Dataset d = f.create_dataset("x", iota({30, 40}));
  EXPECT_EQ(d.shape(), (Shape{30, 40}));
  EXPECT_EQ(d.dtype(), DType(ScalarType::Float32));
  EXPECT_TRUE(d.chunks().empty());
  const AnyArray back = d.read_all();
  EXPECT_TRUE(array_equal(back.as<float>(), iota({30, 40})));
  EXPECT_THROW(d.write_all(iota({3, 4})), ShapeError);
}

TEST(H5Dataset, HyperslabRowTileAndStride) {
  TempDir dir;
  File f(dir.file("h.h5"), "w");
  Dataset d = f.create_dataset("x", {20, 30}, DType(ScalarType::Float32), with_chunks({5, 10}));
  d.write_all(iota({20, 30}));
  std::vector<float> row(30);
  d.read<float>(Box{{7, 0}, {1, 30}}, std::span<float>(row));
  EXPECT_EQ(row[0], 210.0f);
  EXPECT_EQ(row[29], 239.0f);
  std::vector<float> tile(5 * 10);
  d.read(Box{{5, 10}, {5, 10}}, tile.data(), DType(ScalarType::Float32));
  EXPECT_EQ(tile[0], 160.0f);
  EXPECT_EQ(tile[49], 9 * 30 + 19.0f);
  // Every 3rd row, every 7th column: rows 1,4,7 × cols 2,9,16,23.
  std::vector<double> strided(12);
  d.read(Box{{1, 2}, {3, 4}}, strided.data(), DType(ScalarType::Float64), Shape{3, 7});
  EXPECT_EQ(strided[0], 32.0);
  EXPECT_EQ(strided[5], 4 * 30 + 9.0);
  EXPECT_EQ(strided[11], 7 * 30 + 23.0);
  // Writing a tile lands only there.
  std::vector<float> ones(50, -1.0f);
  d.write<float>(Box{{10, 20}, {5, 10}}, std::span<const float>(ones));
  NdArray<float> all = d.read_all_as<float>();
  EXPECT_EQ(all(10, 20), -1.0f);
  EXPECT_EQ(all(14, 29), -1.0f);
  EXPECT_EQ(all(9, 20), 290.0f);
  EXPECT_THROW(d.read(Box{{18, 0}, {3, 30}}, tile.data(), DType(ScalarType::Float32)), ShapeError);
  EXPECT_THROW(d.read(Box{{1, 2}, {3, 5}}, strided.data(), DType(ScalarType::Float64), Shape{3, 7}), ShapeError);
  EXPECT_THROW(d.read<float>(Box{{0, 0}, {1, 30}}, std::span<float>(tile)), ShapeError);
}

TEST(H5Dataset, EveryDtypeRoundTripsWithConversion) {
  TempDir dir;
  File f(dir.file("t.h5"), "w");
  for (ScalarType t : {ScalarType::Bool, ScalarType::Int8, ScalarType::Int16, ScalarType::Int32, ScalarType::Int64,
                       ScalarType::UInt8, ScalarType::UInt16, ScalarType::UInt32, ScalarType::UInt64,
                       ScalarType::Float32, ScalarType::Float64, ScalarType::Complex64, ScalarType::Complex128}) {
    for (ByteOrder order : {ByteOrder::Little, ByteOrder::Big}) {
      const DType dtype(t, order);
      if (dtype.itemsize() == 1 && order == ByteOrder::Big) continue;  // '|u1' has no byte order
      const std::string name = dtype.descr();
      Dataset d = f.create_dataset(name, {6}, dtype);
      EXPECT_EQ(d.dtype(), dtype) << name;
      const std::vector<double> values{0, 1, 0, 1, 1, 0};  // valid for every type, bool included
      d.write(Box::whole({6}), values.data(), DType(ScalarType::Float64));
      std::vector<double> back(6);
      d.read(Box::whole({6}), back.data(), DType(ScalarType::Float64));
      EXPECT_EQ(back, values) << name;
      const AnyArray native = d.read_all();
      EXPECT_TRUE(native.dtype().is_native()) << name;
      EXPECT_EQ(native.dtype().type(), t) << name;
    }
  }
  Dataset c = f.create_dataset("c", NdArray<std::complex<double>>::from({{1, 2}, {3, -4}}, {2}));
  EXPECT_EQ(c.read_all_as<std::complex<double>>()(1), std::complex<double>(3, -4));
  std::vector<float> real(2);
  c.read(Box::whole({2}), real.data(), DType(ScalarType::Float32));  // complex → real keeps the real part
  EXPECT_EQ(real[1], 3.0f);
  Dataset i = f.create_dataset("i", NdArray<std::int32_t>::from({-5, 7}, {2}));
  EXPECT_EQ(i.read_all_as<double>()(0), -5.0);
  EXPECT_TRUE(i.read_all_as<bool>()(1));
}

TEST(H5Dataset, LargeConversionsGoSlabBySlab) {
  // 20 MiB of int32 written from and read into doubles: the int32 scratch is capped at
  // 8 MiB, so both go in slabs of rows (strided rows too).
  TempDir dir;
  File f(dir.file("big.h5"), "w");
  const Shape shape{5000, 1024};
  NdArray<std::int32_t> a = NdArray<std::int32_t>::empty(shape);
  for (std::int64_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<std::int32_t>(i);
  Dataset d = f.create_dataset("x", shape, DType(ScalarType::Int32));
  NdArray<double> as_double = NdArray<double>::empty(shape);
  for (std::int64_t i = 0; i < a.size(); ++i) as_double.data()[i] = static_cast<double>(i);
  d.write(Box::whole(shape), as_double.data(), DType(ScalarType::Float64));
  NdArray<double> back = NdArray<double>::empty(shape);
  d.read(Box::whole(shape), back.data(), DType(ScalarType::Float64));
  EXPECT_TRUE(array_equal(back, as_double));
  std::vector<double> strided(2400 * 1024);  // slabs of 2048 rows: rows 1, 3, … 4095, then 4097 …
  d.read(Box{{1, 0}, {2400, 1024}}, strided.data(), DType(ScalarType::Float64), Shape{2, 1});
  for (std::int64_t k : {0, 2047, 2048, 2399})
    EXPECT_EQ(strided[static_cast<std::size_t>(k * 1024 + 5)], (1 + k * 2) * 1024.0 + 5) << k;
  EXPECT_TRUE(array_equal(d.read_all_as<std::int32_t>(), a));
}

TEST(H5Dataset, Float16AsH5pyWritesIt) {
  TempDir dir;
  File f(dir.file("h.h5"), "w");
  Dataset d = f.create_dataset("half", {3}, DType(ScalarType::Float16));
  const std::vector<float> values{0.5f, -2.0f, 65504.0f};
  d.write(Box::whole({3}), values.data(), DType(ScalarType::Float32));
  EXPECT_EQ(d.read_all().dtype(), DType(ScalarType::Float32));
  EXPECT_EQ(d.read_all_as<float>()(2), 65504.0f);
}

TEST(H5Dataset, AutoChunksFollowH5pyGuessChunk) {
  // Expected values printed by h5py._hl.filters.guess_chunk (Debian python3-h5py).
  EXPECT_EQ(guess_chunks({100, 1000000}, 4), (Shape{2, 15625}));
  EXPECT_EQ(guess_chunks({1000, 1000}, 4), (Shape{63, 125}));
  EXPECT_EQ(guess_chunks({10}, 8), (Shape{10}));
  EXPECT_EQ(guess_chunks({0, 5}, 4), (Shape{512, 5}));
  EXPECT_EQ(guess_chunks({1000, 100000}, 4), (Shape{16, 1563}));
  EXPECT_EQ(guess_chunks({7, 3, 2}, 1), (Shape{7, 3, 2}));
  EXPECT_EQ(guess_chunks({10000000}, 8), (Shape{9766}));
  TempDir dir;
  File f(dir.file("a.h5"), "w");
  EXPECT_EQ(f.create_dataset("gz", {1000, 1000}, DType(ScalarType::Float32), with_chunks({}, 4)).chunks(),
            (Shape{63, 125}));
  EXPECT_EQ(f.create_dataset("auto", {10}, DType(ScalarType::Float64),
                             [] {
                               DatasetOptions o;
                               o.auto_chunks = true;
                               return o;
                             }())
                .chunks(),
            (Shape{10}));
}

TEST(H5Dataset, FiltersFillValueAndProperties) {
  TempDir dir;
  File f(dir.file("p.h5"), "w");
  DatasetOptions o;
  o.chunks = {10, 10};
  o.gzip_level = 6;
  o.shuffle = true;
  o.fletcher32 = true;
  o.fill_value = 42.5;
  Dataset d = f.create_dataset("x", {40, 40}, DType(ScalarType::Float64), o);
  NdArray<double> tile = NdArray<double>::full({10, 10}, 1.0);
  d.write(Box{{0, 0}, {10, 10}}, tile.data(), tile.dtype());
  const DatasetProperties p = d.properties();
  EXPECT_EQ(p.layout, StorageLayout::Chunked);
  EXPECT_EQ(p.chunks, (Shape{10, 10}));
  EXPECT_EQ(p.filters, (std::vector<std::string>{"shuffle", "gzip(6)", "fletcher32"}));
  ASSERT_TRUE(p.fill_value);
  EXPECT_EQ(*p.fill_value, 42.5);
  EXPECT_GT(p.storage_bytes, 0u);
  EXPECT_LT(p.storage_bytes, 800u);  // one constant chunk compresses far below its 800 bytes
  NdArray<double> all = d.read_all_as<double>();
  EXPECT_EQ(all(0, 0), 1.0);
  EXPECT_EQ(all(39, 39), 42.5);  // never written: the fill value
  Dataset c = f.create_dataset("c", {4}, DType(ScalarType::Int16));
  const DatasetProperties cp = c.properties();
  EXPECT_EQ(cp.layout, StorageLayout::Contiguous);
  EXPECT_FALSE(cp.fill_value);
  EXPECT_FALSE(cp.offset);  // not allocated until written
  EXPECT_THROW(f.create_dataset("bad", {4}, DType(ScalarType::Int16), with_chunks({8})), ShapeError);
  EXPECT_THROW(f.create_dataset("bad2", {4, 4}, DType(ScalarType::Int16), with_chunks({2})), ShapeError);
}

TEST(H5Dataset, MaxshapeUnlimitedAndResize) {
  TempDir dir;
  const std::string path = dir.file("r.h5");
  {
    File f(path, "w");
    DatasetOptions o;
    o.maxshape = {kUnlimited, 3};
    Dataset d = f.create_dataset("log", {0, 3}, DType(ScalarType::Int64), o);
    EXPECT_FALSE(d.chunks().empty());
    for (int i = 0; i < 5; ++i) {
      d.resize({i + 1, 3});
      const std::int64_t row[3] = {i, i * 10, i * 100};
      d.write(Box{{i, 0}, {1, 3}}, row, DType(ScalarType::Int64));
    }
    EXPECT_THROW(d.resize({5, 4}), Error);  // beyond maxshape on axis 1
    EXPECT_EQ(d.properties().maxshape, (Shape{kUnlimited, 3}));
  }
  File f(path, "r");
  Dataset d = f.dataset("log");
  EXPECT_EQ(d.shape(), (Shape{5, 3}));
  EXPECT_EQ(d.read_all_as<std::int64_t>()(4, 2), 400);
  EXPECT_THROW(d.resize({6, 3}), Error);  // read-only
}

TEST(H5Dataset, ScalarDataset) {
  TempDir dir;
  File f(dir.file("s.h5"), "w");
  Dataset d = f.create_dataset("pi", NdArray<double>::scalar(3.25));
  EXPECT_EQ(d.shape(), Shape{});
  EXPECT_EQ(d.read_all_as<double>()(), 3.25);
}

TEST(H5Dataset, UnsupportedTypesGiveTypeErrorNamingDataset) {
  File f(std::string(MAMMOTH_SOURCE_DIR) + "/tests/h5/data/h5py_types.h5", "r");
  for (const char* name : {"records", "strings", "refs"}) {
    Dataset d = f.dataset(name);
    EXPECT_FALSE(d.supported());
    try {
      d.read_all();
      FAIL() << name;
    } catch (const TypeError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("h5py_types.h5:/") + name), std::string::npos) << e.what();
    }
  }
  EXPECT_NE(std::string(f.dataset("records").type_description()).find("compound {a, b}"), std::string::npos);
  // h5py's non-bool enums read as their integers, float16 widens to float32.
  EXPECT_EQ(f.dataset("colors").read_all_as<int>()(2), 2);
  EXPECT_EQ(f.dataset("half").read_all_as<float>()(0), 0.5f);
}

TEST(H5Dataset, PyTablesBitfieldBoolsReadAsBool) {
  File f(std::string(MAMMOTH_SOURCE_DIR) + "/tests/h5/data/bitfields.h5", "r");
  const Dataset bools = f.dataset("bools");  // PyTables' carray of numpy bools
  EXPECT_EQ(bools.dtype(), DType(ScalarType::Bool));
  EXPECT_EQ(bools.type_description(), "8-bit bitfield");
  const NdArray<bool> b = bools.read_all_as<bool>();
  EXPECT_EQ(std::vector<bool>(b.data(), b.data() + 4), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(bools.read_all_as<int>()(1), 0);
  // Bytes other than 0/1 are true, never an invalid bool; as numbers too.
  const Dataset bits8 = f.dataset("bits8");
  EXPECT_FALSE(bits8.mapped());
  const NdArray<std::uint8_t> raw = bits8.read_all_as<std::uint8_t>();
  EXPECT_EQ(std::vector<int>(raw.data(), raw.data() + 4), (std::vector<int>{0, 1, 1, 1}));
  std::vector<std::uint8_t> picked(2);
  const std::vector<std::int64_t> points{3, 0};
  bits8.read_points(points, picked.data(), DType(ScalarType::UInt8));
  EXPECT_EQ(picked, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_TRUE(f.attrs().read_scalar<bool>("flag"));
  // Any other bitfield stays a clear error naming the dataset and the type.
  const Dataset bits16 = f.dataset("bits16");
  EXPECT_FALSE(bits16.supported());
  try {
    bits16.read_all();
    FAIL();
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("bitfields.h5:/bits16: unsupported element type 16-bit bitfield"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mammoth::h5
