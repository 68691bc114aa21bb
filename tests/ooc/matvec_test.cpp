// matvec/rmatvec against a plain double loop. The inputs are small integers (quarter
// steps for floats), so every product and partial sum is exact in float64: the
// tolerance 1e-12 (relative) only covers summation order.
#include "mammoth/ooc/matvec.hpp"

#include <gtest/gtest.h>

#include <complex>

#include "ooc_test_support.hpp"

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
