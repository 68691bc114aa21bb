// matvec/rmatvec against a plain double loop. The inputs are small integers (quarter
// steps for floats), so every product and partial sum is exact in float64: the
// tolerance 1e-12 (relative) only covers summation order.
#include "mammoth/ooc/matvec.hpp"

#include <gtest/gtest.h>

#include <complex>
#include <cstring>

#include "ooc_test_support.hpp"
#include "test_support.hpp"

namespace mammoth::ooc {
namespace {

using testing::OpaqueStore;
using testing::random_array;
using Cd = std::complex<double>;

template <class T>
std::vector<Cd> reference(const NdArray<T>& a, const std::vector<Cd>& x, bool transpose) {
  const std::int64_t m = a.shape(0), n = a.shape(1);
  std::vector<Cd> y(static_cast<std::size_t>(transpose ? n : m));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const Cd v = Cd(a(i, j));
      if (transpose)
        y[j] += v * x[i];
      else
        y[i] += v * x[j];
    }
  return y;
}

std::vector<Cd> as_complex(const AnyArray& v) {
  const AnyArray c = v.astype(DType(ScalarType::Complex128));
  const auto* p = reinterpret_cast<const Cd*>(c.data());
  return std::vector<Cd>(p, p + c.size());
}

void expect_close(const std::vector<Cd>& want, const AnyArray& got) {
  const std::vector<Cd> g = as_complex(got);
  ASSERT_EQ(want.size(), g.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_LE(std::abs(want[i] - g[i]), 1e-12 * (1 + std::abs(want[i]))) << "element " << i;
}

template <class T>
void check(const Shape& shape, std::size_t budget, bool opaque, int threads = 0) {
  const NdArray<T> a = random_array<T>(shape, 7);
  ArrayStore inner(a, "A");
  OpaqueStore wrapped(inner);
  BlockStore& store = opaque ? static_cast<BlockStore&>(wrapped) : inner;
  Options options;
  options.budget = budget;
  options.threads = threads;
  const NdArray<double> x = random_array<double>({shape[1]}, 3);
  const NdArray<double> y = random_array<double>({shape[0]}, 4);
  std::vector<Cd> xc(x.data(), x.data() + x.size()), yc(y.data(), y.data() + y.size());
  const AnyArray ax = matvec(store, x, options);
  EXPECT_EQ(ax.dtype(), product_type(a.dtype(), x.dtype()));
  expect_close(reference(a, xc, false), ax);
  expect_close(reference(a, yc, true), rmatvec(store, y, options));
}

template <class T>
class MatvecTyped : public ::testing::Test {};
using AllTypes =
    ::testing::Types<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t, std::uint16_t,
                     std::uint32_t, std::uint64_t, float, double, std::complex<float>, std::complex<double>>;
TYPED_TEST_SUITE(MatvecTyped, AllTypes);

TYPED_TEST(MatvecTyped, EveryDtypeMatchesReference) {
  check<TypeParam>({37, 53}, 64 * kMiB, false);
  check<TypeParam>({37, 53}, 16 * 1024, true);  // many small blocks through the copying path
}

TEST(Matvec, OddShapes) {
  for (const Shape& s : {Shape{1, 1}, Shape{1, 1000}, Shape{1000, 1}, Shape{3, 7}, Shape{101, 33}}) {
    SCOPED_TRACE(shape_string(s));
    check<float>(s, 64 * kMiB, false);
    check<float>(s, 24 * 1024, true);
  }
}

// Each kernel shape: tall-skinny (every column count of the unrolled kernels, rows split
// among threads), wide (columns split among threads), and the ones between.
TEST(Matvec, EveryKernelShape) {
  for (std::int64_t n = 1; n <= 18; ++n) {
    SCOPED_TRACE(n);
    check<float>({1003, n}, 64 * kMiB, false, 2);
    check<double>({1003, n}, 64 * kMiB, false, 3);
    check<std::complex<double>>({301, n}, 64 * kMiB, false, 2);
  }
  check<double>({10, 9000}, 64 * kMiB, false, 2);
  check<float>({13, 12345}, 64 * kMiB, false, 3);
  check<std::complex<float>>({9, 5000}, 64 * kMiB, false, 2);
  check<std::int16_t>({700, 300}, 64 * kMiB, false, 2);
}

TEST(Matvec, EmptyMatrices) {
  check<float>({0, 5}, 64 * kMiB, true);
  check<float>({5, 0}, 64 * kMiB, true);  // A·x of an empty row is 0
}

TEST(Matvec, RowWiderThanBudgetSplitsColumns) {
  // x and y take 156 KiB of the 200 KiB budget; two buffered rows (156 KiB) do not fit in the rest: blocks cover parts
  // of a row.
  check<float>({3, 20000}, 200 * 1024, true);
  check<float>({3, 20000}, 200 * 1024, true, 1);
}

TEST(Matvec, FewRowsManyThreadsSplitColumns) { check<double>({2, 100000}, 64 * kMiB, false, 4); }

TEST(Matvec, ManyBlocksNotMultipleOfBlock) {
  // ~1000 rows in blocks of a few rows, last block partial.
  check<float>({1001, 129}, 20 * 1024, true);
}

TEST(Matvec, ComplexVectorWithRealMatrix) {
  const NdArray<float> a = random_array<float>({9, 11});
  ArrayStore store(a, "A");
  const NdArray<Cd> x = random_array<Cd>({11});
  const AnyArray y = matvec(store, x);
  EXPECT_EQ(y.dtype(), DType(ScalarType::Complex128));
  expect_close(reference(a, std::vector<Cd>(x.data(), x.data() + 11), false), y);
}

TEST(Matvec, WrongShapesThrow) {
  const NdArray<float> a = random_array<float>({4, 5});
  ArrayStore store(a, "A.npy");
  EXPECT_THROW(matvec(store, NdArray<double>::zeros({4})), ShapeError);
  EXPECT_THROW(rmatvec(store, NdArray<double>::zeros({5})), ShapeError);
  const NdArray<float> v = random_array<float>({5});
  ArrayStore vec(v, "v");
  EXPECT_THROW(matvec(vec, NdArray<double>::zeros({5})), ShapeError);
  try {
    matvec(store, NdArray<double>::zeros({4}));
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("A.npy"), std::string::npos) << e.what();
  }
}

TEST(Matvec, BudgetTooSmallForTheVectorThrows) {
  const NdArray<float> a = random_array<float>({4, 100000});
  ArrayStore store(a, "A");
  Options options;
  options.budget = 100000;  // the 800 kB vector alone is over it
  EXPECT_THROW(matvec(store, NdArray<double>::zeros({100000}), options), Error);
}

// A float32 matrix times a float32 x reads x as float32: the sums of the widened x bit for
// bit (every product is exact in float64) in every kernel shape, and half the memory, so a
// budget that holds only the float32 x is enough.
TEST(Matvec, Float32VectorBesideAFloat32MatrixStaysFloat32) {
  const DType f64(ScalarType::Float64);
  for (const Shape& s : {Shape{1003, 7}, Shape{301, 100}, Shape{9, 12345}, Shape{3, 20000}}) {
    SCOPED_TRACE(shape_string(s));
    const NdArray<float> a = random_array<float>(s, 5);
    ArrayStore store(a, "A");
    const AnyArray x = NdArray<float>(random_array<float>({s[1]}, 6));
    Options options;
    options.threads = 2;
    const AnyArray narrow = matvec(store, x, options), wide = matvec(store, x.astype(f64), options);
    ASSERT_EQ(narrow.dtype(), f64);
    ASSERT_EQ(narrow.nbytes(), wide.nbytes());
    EXPECT_EQ(std::memcmp(narrow.data(), wide.data(), wide.nbytes()), 0);
    std::vector<Cd> xc(static_cast<std::size_t>(s[1]));
    for (std::int64_t j = 0; j < s[1]; ++j) xc[static_cast<std::size_t>(j)] = Cd(x.as<float>()(j));
    expect_close(reference(a, xc, false), narrow);
  }
  const NdArray<float> a = random_array<float>({4, 1000000}, 5);
  ArrayStore store(a, "A");
  const AnyArray x = NdArray<float>(random_array<float>({1000000}, 6));
  Options options;
  options.budget = 6 * kMiB;  // x: 4 MB as float32, 8 MB widened
  EXPECT_NO_THROW(matvec(store, x, options));
  EXPECT_THROW(matvec(store, x.astype(f64), options), Error);
}

TEST(Matvec, VectorsOnDisk) {
  const NdArray<float> a = random_array<float>({40, 30});
  ArrayStore store(a, "A");
  const NdArray<float> x = random_array<float>({30}, 5), y = random_array<float>({40}, 6);
  ArrayStore xs(x, "x"), ys(y, "y");
  NdArray<double> out = NdArray<double>::zeros({40}), out_t = NdArray<double>::zeros({30});
  ArrayStore outs(out, "out"), outs_t(out_t, "out_t");
  Options options;
  options.budget = 64 * 1024;
  matvec(store, xs, outs, false, options);
  matvec(store, ys, outs_t, true, options);
  expect_close(reference(a, as_complex(x), false), out);
  expect_close(reference(a, as_complex(y), true), out_t);
  EXPECT_THROW(matvec(store, xs, outs_t, false, options), ShapeError);
}

}  // namespace
}  // namespace mammoth::ooc

namespace mammoth::ooc {
namespace {

// A tall matrix whose length-m vector does not fit in the budget: the result of matvec
// is written block by block, the input of rmatvec read block by block.
template <class T>
void check_streamed(const Shape& shape, std::size_t budget, bool opaque) {
  SCOPED_TRACE(shape_string(shape) + (opaque ? " opaque" : " mapped"));
  const NdArray<T> a = random_array<T>(shape, 8);
  ArrayStore inner(a, "A");
  OpaqueStore wrapped(inner);
  BlockStore& store = opaque ? static_cast<BlockStore&>(wrapped) : inner;
  const NdArray<double> x = random_array<double>({shape[1]}, 3), v = random_array<double>({shape[0]}, 4);
  ArrayStore xs(x, "x"), vs(v, "v");
  OpaqueStore vo(vs);
  const DType acc = product_type(a.dtype(), x.dtype());
  AnyArray y = AnyArray::empty(acc, {shape[0]}), z = AnyArray::empty(acc, {shape[1]});
  ArrayStore ys(y, "y"), zs(z, "z");
  OpaqueStore yo(ys);
  Options options;
  options.budget = budget;
  matvec(store, xs, yo, false, options);
  EXPECT_GT(yo.writes, 1) << "y written whole, not block by block";
  matvec(store, opaque ? static_cast<BlockStore&>(vo) : vs, zs, true, options);
  if (opaque) {
    EXPECT_GT(vo.reads, 1) << "the vector read whole, not block by block";
  }
  const std::vector<Cd> xc(x.data(), x.data() + x.size()), vc(v.data(), v.data() + v.size());
  {
    SCOPED_TRACE("matvec");
    expect_close(reference(a, xc, false), y);
  }
  SCOPED_TRACE("rmatvec");
  expect_close(reference(a, vc, true), z);
}

TEST(Matvec, VectorLongerThanTheBudgetStreams) {
  check_streamed<double>({20011, 10}, 128 * 1024, false);
  check_streamed<double>({20011, 10}, 128 * 1024, true);
  check_streamed<float>({30000, 3}, 96 * 1024, true);
  check_streamed<std::int16_t>({9001, 40}, 64 * 1024, true);
  check_streamed<std::complex<float>>({5003, 7}, 128 * 1024, false);
}

TEST(Matvec, StreamedVectorsNeedTheShortOneToFit) {
  const NdArray<float> a = random_array<float>({4, 100000});
  ArrayStore store(a, "A");
  const NdArray<double> x = NdArray<double>::zeros({100000});
  NdArray<double> y = NdArray<double>::zeros({4});
  ArrayStore xs(x, "x"), ys(y, "y");
  Options options;
  options.budget = 256 * 1024;
  EXPECT_THROW(matvec(store, xs, ys, false, options), Error);
}

// Stage buffers (1 MiB a thread at a 16 MiB budget on two threads) are charged only when A
// may be read in place from a file: beside a 15 MiB x, a store always read into buffers
// (an opaque store, a heap array) still has room for its blocks, a file of the same matrix
// does not, and says so.
TEST(Matvec, StageBuffersAreChargedOnlyToStoresReadInPlace) {
  const std::int64_t n = 15 * static_cast<std::int64_t>(kMiB) / 8;
  const NdArray<double> a = random_array<double>({2, n}, 7);
  const NdArray<double> x = random_array<double>({n}, 3);
  const std::vector<Cd> xc(x.data(), x.data() + x.size());
  Options options;
  options.budget = 16 * kMiB;
  options.threads = 2;
  ArrayStore heap(a, "A");
  OpaqueStore opaque(heap);
  expect_close(reference(a, xc, false), matvec(opaque, x, options));
  expect_close(reference(a, xc, false), matvec(heap, x, options));
  testing::TempDir dir;
  CreateOptions create;
  create.dtype = DType(ScalarType::Float64);
  create.shape = a.shape();
  create_store(dir.file("A.npy"), create)->write(Box::whole(a.shape()), a.data(), create.dtype);
  auto file = open_store(dir.file("A.npy"));
  try {
    matvec(*file, x, options);
    ADD_FAILURE() << "the stage buffers were not counted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too small"), std::string::npos) << e.what();
  }
}

// 64 MiB of matrix, 16 MiB vectors, 8 MiB budget: resident memory stays near the budget.
TEST(Matvec, StreamedVectorsKeepTheBudget) {
  if (testing::kAddressSanitizer) GTEST_SKIP() << "heap bounds do not hold under ASan";
  testing::TempDir dir;
  const std::int64_t rows = 2'000'000, cols = 4;
  CreateOptions create;
  create.dtype = DType(ScalarType::Float64);
  create.shape = {rows, cols};
  {
    auto s = create_store(dir.file("A.npy"), create);
    const std::int64_t step = 100'000;
    std::vector<double> block(static_cast<std::size_t>(step * cols), 0.5);
    for (std::int64_t i = 0; i < rows; i += step) {
      s->write(Box::rows(create.shape, i, i + step), block.data(), create.dtype);
      s->release(Box::rows(create.shape, i, i + step));
    }
    s->flush();
  }
  create.shape = {cols};
  create_store(dir.file("x.npy"), create)
      ->write(Box::whole({cols}), NdArray<double>::full({cols}, 2.0).data(), create.dtype);
  create.shape = {rows};
  {
    auto v = create_store(dir.file("v.npy"), create);
    std::vector<double> ones(static_cast<std::size_t>(rows), 1.0);
    v->write(Box::whole({rows}), ones.data(), create.dtype);
  }
  auto a = open_store(dir.file("A.npy"));
  auto x = open_store(dir.file("x.npy"));
  auto v = open_store(dir.file("v.npy"));
  auto y = create_store(dir.file("y.npy"), create);
  create.shape = {cols};
  auto z = create_store(dir.file("z.npy"), create);
  Options options;
  options.budget = 8 * kMiB;
  const double up = testing::peak_increment_mib([&] { matvec(*a, *x, *y, false, options); });
  EXPECT_LE(up, 8 + 16) << "matvec peak increment " << up << " MiB";
  const double down = testing::peak_increment_mib([&] { matvec(*a, *v, *z, true, options); });
  EXPECT_LE(down, 8 + 16) << "rmatvec peak increment " << down << " MiB";
  y.reset();
  z.reset();
  const AnyArray yr = open_store(dir.file("y.npy"))->mapped().value();
  EXPECT_EQ(yr.as<double>()(rows - 1), 4.0);
  const AnyArray zr = open_store(dir.file("z.npy"))->mapped().value();
  EXPECT_EQ(zr.as<double>()(3), 0.5 * static_cast<double>(rows));
}

}  // namespace
}  // namespace mammoth::ooc
