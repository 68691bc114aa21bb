// Seeded random arrays: the generator itself, the distributions, and independence from
// thread count and block size.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"
#include "mammoth/npy.hpp"
#include "mammoth/random.hpp"
#include "test_support.hpp"

namespace mammoth {
namespace {

using testing::TempDir;

TEST(Xoshiro, MatchesTheReferenceSequence) {
  // xoshiro256++ from state {1, 2, 3, 4}, computed with an independent Python transcription
  // of the authors' C code.
  Xoshiro256pp g(1, 2, 3, 4);
  EXPECT_EQ(g(), 41943041ULL);
  EXPECT_EQ(g(), 58720359ULL);
  EXPECT_EQ(g(), 3588806011781223ULL);
}

TEST(Xoshiro, JumpGivesADifferentDeterministicStream) {
  Xoshiro256pp a(7), b(7), c(7);
  b.jump();
  c.jump();
  EXPECT_EQ(b(), c());
  EXPECT_NE(a(), b());
  c.jump();
  EXPECT_NE(b(), c());
}

TEST(Xoshiro, BelowStaysInRangeAndCoversIt) {
  Xoshiro256pp g(3);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto v = g.below(7);
    ASSERT_LT(v, 7U);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7U);
}

std::vector<float> draw(const RandomSpec& spec, std::int64_t n) {
  std::vector<float> v(static_cast<std::size_t>(n));
  fill_random(v.data(), DType(ScalarType::Float32), 0, n, spec);
  return v;
}

TEST(Random, SameSeedSameArrayWhateverThreadsAndBlocks) {
  constexpr std::int64_t n = 70 * kRandomBlock + 123;  // enough blocks to run in parallel
  for (Distribution dist : {Distribution::Uniform, Distribution::Normal, Distribution::Integers}) {
    RandomSpec spec;
    spec.dist = dist;
    spec.seed = 42;
    spec.high = dist == Distribution::Integers ? 1000 : 1;
    omp_set_num_threads(1);
    const std::vector<float> one = draw(spec, n);
    omp_set_num_threads(2);
    EXPECT_EQ(draw(spec, n), one);
    // Odd pieces that start mid-block and mid-pair.
    std::vector<float> pieces(static_cast<std::size_t>(n));
    for (std::int64_t first = 0, k = 1; first < n; first += k, k = k * 3 + 7) {
      const std::int64_t count = std::min(k, n - first);
      fill_random(pieces.data() + first, DType(ScalarType::Float32), first, count, spec);
    }
    EXPECT_EQ(pieces, one);
    spec.seed = 43;
    EXPECT_NE(draw(spec, n), one);
  }
}

TEST(Random, UniformIsInRangeWithTheRightMean) {
  RandomSpec spec;
  const auto v = draw(spec, 1 << 20);
  EXPECT_GE(*std::min_element(v.begin(), v.end()), 0.0f);
  EXPECT_LT(*std::max_element(v.begin(), v.end()), 1.0f);
  double sum = 0;
  for (float x : v) sum += x;
  EXPECT_NEAR(sum / static_cast<double>(v.size()), 0.5, 0.005);
  spec.low = -3;
  spec.high = -1;
  std::vector<double> d(10000);
  fill_random(d.data(), DType(ScalarType::Float64), 0, 10000, spec);
  EXPECT_GE(*std::min_element(d.begin(), d.end()), -3.0);
  EXPECT_LT(*std::max_element(d.begin(), d.end()), -1.0);
}

TEST(Random, NormalHasMeanAndStddev) {
  RandomSpec spec;
  spec.dist = Distribution::Normal;
  spec.mean = 5;
  spec.stddev = 2;
  std::vector<double> v(1 << 20);
  fill_random(v.data(), DType(ScalarType::Float64), 0, static_cast<std::int64_t>(v.size()), spec);
  double sum = 0, sq = 0;
  for (double x : v) sum += x, sq += x * x;
  const double mean = sum / static_cast<double>(v.size());
  EXPECT_NEAR(mean, 5.0, 0.01);
  EXPECT_NEAR(std::sqrt(sq / static_cast<double>(v.size()) - mean * mean), 2.0, 0.01);
}

TEST(Random, IntegersCoverTheRangeInAnyDtype) {
  RandomSpec spec;
  spec.dist = Distribution::Integers;
  spec.low = -2;
  spec.high = 3;
  std::vector<std::int8_t> v(10000);
  fill_random(v.data(), DType(ScalarType::Int8), 0, 10000, spec);
  EXPECT_EQ(std::set<std::int8_t>(v.begin(), v.end()), (std::set<std::int8_t>{-2, -1, 0, 1, 2}));
  spec.low = 0;
  spec.high = 2;
  std::vector<char> b(1000);
  fill_random(b.data(), DType(ScalarType::Bool), 0, 1000, spec);
  EXPECT_EQ(std::set<char>(b.begin(), b.end()), (std::set<char>{0, 1}));
}

TEST(Random, ComplexAndByteOrder) {
  RandomSpec spec;
  std::vector<std::complex<float>> c(100);
  fill_random(c.data(), DType(ScalarType::Complex64), 0, 100, spec);
  const auto reals = draw(spec, 200);  // complex element i is reals 2i and 2i + 1
  EXPECT_EQ(c[10].real(), reals[20]);
  EXPECT_EQ(c[10].imag(), reals[21]);
  std::vector<float> big(200);
  fill_random(big.data(), DType::from_descr(">f4"), 0, 200, spec);
  byteswap(big.data(), 200, DType::from_descr(">f4"));
  EXPECT_EQ(big, reals);
}

TEST(Random, RefusesWhatItCannotMake) {
  RandomSpec spec;
  std::vector<std::int32_t> v(4);
  EXPECT_THROW(fill_random(v.data(), DType(ScalarType::Int32), 0, 4, spec), TypeError);
  spec.dist = Distribution::Integers;
  spec.low = 5;
  spec.high = 5;
  EXPECT_THROW(fill_random(v.data(), DType(ScalarType::Int32), 0, 4, spec), Error);
  spec.low = -1e30;
  EXPECT_THROW(fill_random(v.data(), DType(ScalarType::Int32), 0, 4, spec), Error);
  spec.dist = Distribution::Uniform;
  spec.low = 0;
  spec.high = std::nan("");
  EXPECT_THROW(fill_random(v.data(), DType(ScalarType::Float32), 0, 4, spec), Error);
  EXPECT_THROW(RandomSpec::parse_distribution("poisson"), Error);
}

TEST(Random, StoresAndArraysGetTheSameNumbers) {
  TempDir dir;
  RandomSpec spec;
  spec.seed = 9;
  const Shape shape{7, 3001};
  const auto expected = draw(spec, element_count(shape));
  CreateOptions o;
  o.dtype = DType(ScalarType::Float32);
  o.shape = shape;
  for (Order order : {Order::C, Order::Fortran}) {
    o.order = order;
    auto store = create_store(dir.file("r.npy"), o);
    fill_random(*store, spec, 4000);  // blocks of 1000 elements: pieces of rows
    store->flush();
    std::vector<float> back(expected.size());
    store->read(Box::whole(shape), back.data(), DType(ScalarType::Float32));
    EXPECT_EQ(back, expected);
  }
  ArrayStore in_memory(AnyArray::empty(DType(ScalarType::Float32), shape), "heap");  // the generic path
  fill_random(in_memory, spec, 4000);
  EXPECT_EQ(std::memcmp(in_memory.array().data(), expected.data(), in_memory.array().nbytes()), 0);
  auto heap = AnyArray::empty(DType(ScalarType::Float32), shape, Order::Fortran);
  fill_random(heap, spec);
  const AnyArray c = heap.copy(Order::C);
  EXPECT_EQ(std::memcmp(c.data(), expected.data(), c.nbytes()), 0);
}

TEST(Random, RowByRowThroughAMappingMatchesTheWholeArray) {
  TempDir dir;
  RandomSpec spec;
  spec.seed = 11;
  const Shape shape{5, 300001};
  const auto expected = draw(spec, element_count(shape));
  CreateOptions o;
  o.dtype = DType(ScalarType::Float32);
  o.shape = shape;
  Memmap m = create_npy(dir.file("rows.npy"), o);
  const AnyArray a = m.array();
  for (std::int64_t i = 0; i < shape[0]; ++i) fill_random(a[i], spec, i * shape[1]);
  EXPECT_EQ(std::memcmp(a.data(), expected.data(), a.nbytes()), 0);
  // A strided column view draws positions first, first + 1, … in its own C order.
  fill_random(a.slice({Slice(), Slice(7)}), spec, 1000);
  EXPECT_EQ(a.as<float>()(3, 7), expected[1003]);
}

// An in-memory store with chunks that records the boxes written to it.
class ChunkedRecorder final : public BlockStore {
 public:
  ChunkedRecorder(Shape shape, Shape chunks)
      : array_(AnyArray::empty(DType(ScalarType::Float32), shape)), store_(array_, "chunked"), chunks_(chunks) {}
  std::string name() const override { return store_.name(); }
  DType dtype() const override { return store_.dtype(); }
  const Shape& shape() const override { return store_.shape(); }
  Shape chunk_shape() const override { return chunks_; }
  bool writable() const override { return true; }
  void read(const Box& box, void* dst, DType type) override { store_.read(box, dst, type); }
  void write(const Box& box, const void* src, DType type) override {
    writes.push_back(box);
    store_.write(box, src, type);
  }
  const float* data() const { return reinterpret_cast<const float*>(array_.data()); }
  std::vector<Box> writes;

 private:
  AnyArray array_;
  ArrayStore store_;
  Shape chunks_;
};

TEST(Random, ChunkedStoresAreWrittenInWholeChunkRows) {
  // Blocks of whole rows, rounded down to whole chunk rows: an HDF5 store then compresses
  // them in parallel and writes them directly. Elements keep their places in the sequence.
  RandomSpec spec;
  spec.seed = 12;
  const Shape shape{50, 301};
  const auto expected = draw(spec, element_count(shape));
  ChunkedRecorder store(shape, {8, 100});
  fill_random(store, spec, 20 * 301 * 4);  // 20 rows a block: 16, whole chunk rows
  ASSERT_GE(store.writes.size(), 4u);
  for (const Box& b : store.writes) {
    EXPECT_EQ(b.offset[0] % 8, 0) << shape_string(b.offset);
    EXPECT_TRUE(b.count[0] % 8 == 0 || b.offset[0] + b.count[0] == 50) << shape_string(b.count);
    EXPECT_EQ(b.count[1], 301);
  }
  EXPECT_EQ(std::memcmp(store.data(), expected.data(), expected.size() * sizeof(float)), 0);
  // A row larger than the buffer: pieces of rows, still in sequence order.
  ChunkedRecorder wide(shape, {8, 100});
  fill_random(wide, spec, 1000);
  EXPECT_EQ(std::memcmp(wide.data(), expected.data(), expected.size() * sizeof(float)), 0);
  // Starting further on in the sequence: a rank's rows of a whole.
  ChunkedRecorder rows({40, 301}, {8, 100});
  fill_random(rows, spec, 20 * 301 * 4, 10 * 301);
  EXPECT_EQ(std::memcmp(rows.data(), expected.data() + 10 * 301, 40 * 301 * sizeof(float)), 0);
}

TEST(Random, FillingAStoreStaysInBoundedMemory) {
  TempDir dir;
  CreateOptions o;
  o.dtype = DType(ScalarType::Float64);
  o.shape = {128, 1 << 16};  // 64 MiB
  auto store = create_store(dir.file("big.npy"), o);
  EXPECT_LT(testing::peak_increment_mib([&] { fill_random(*store, RandomSpec{}, std::size_t{4} << 20); }), 24.0);
  std::vector<double> last(1 << 16);
  store->read(Box::rows(o.shape, 127, 128), last.data(), o.dtype);
  EXPECT_GT(last[100], 0.0);
}

}  // namespace
}  // namespace mammoth
