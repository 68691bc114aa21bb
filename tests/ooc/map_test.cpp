// map, axpy, transpose and copy against element-wise loops; all exact (small integers).
#include "mammoth/ooc/map.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "mammoth/ooc/copy.hpp"
#include "ooc_test_support.hpp"

namespace mammoth::ooc {
namespace {

using testing::OpaqueStore;
using testing::random_array;

Options with_budget(std::size_t bytes) {
  Options o;
  o.budget = bytes;
  return o;
}

TEST(Map, AppliesFunctionAndConverts) {
  for (const Shape& shape : {Shape{37, 29}, Shape{1, 1}, Shape{0, 4}, Shape{5, 4, 3}, Shape{1000}}) {
    const NdArray<std::int32_t> src = random_array<std::int32_t>(shape);
    NdArray<float> dst = NdArray<float>::zeros(shape);
    ArrayStore ss(src, "src"), ds(dst, "dst");
    OpaqueStore so(ss);
    map(
        so, ds,
        [](std::span<double> v) {
          for (double& x : v) x = 2 * x + 1;
        },
        with_budget(4096 + 1024));
    for (std::int64_t i = 0; i < src.size(); ++i) ASSERT_EQ(dst.data()[i], 2.0f * src.data()[i] + 1) << i;
  }
}

TEST(Map, LeavesTheSourceAloneWhenMapped) {
  const NdArray<double> src = random_array<double>({10, 10});
  const NdArray<double> before = src.copy();
  NdArray<double> dst = NdArray<double>::zeros({10, 10});
  ArrayStore ss(src, "src"), ds(dst, "dst");
  map(ss, ds, [](std::span<double> v) {
    for (double& x : v) x = -x;
  });
  for (std::int64_t i = 0; i < 100; ++i) {
    EXPECT_EQ(src.data()[i], before.data()[i]);
    EXPECT_EQ(dst.data()[i], -before.data()[i]);
  }
}

TEST(Map, ErrorsNameTheArrays) {
  const NdArray<double> src = NdArray<double>::zeros({3, 4});
  NdArray<double> dst = NdArray<double>::zeros({4, 3});
  ArrayStore ss(src, "src.npy"), ds(dst, "dst.npy");
  EXPECT_THROW(map(ss, ds, [](std::span<double>) {}), ShapeError);
  const NdArray<std::complex<float>> c = NdArray<std::complex<float>>::zeros({4, 3});
  ArrayStore cs(c, "c.npy");
  EXPECT_THROW(map(cs, ds, [](std::span<double>) {}), TypeError);
}

TEST(Axpy, UpdatesYInPlace) {
  for (const Shape& shape : {Shape{41, 13}, Shape{1}, Shape{0}, Shape{3, 3, 3}}) {
    const NdArray<float> x = random_array<float>(shape, 1);
    NdArray<double> y = random_array<double>(shape, 2);
    const NdArray<double> y0 = y.copy();
    ArrayStore xs(x, "x"), ys(y, "y");
    OpaqueStore xo(xs), yo(ys);
    axpy(-2.5, xo, yo, with_budget(4096 + 2048));
    for (std::int64_t i = 0; i < x.size(); ++i) ASSERT_EQ(y.data()[i], y0.data()[i] - 2.5 * x.data()[i]);
  }
}

TEST(Axpy, ComplexY) {
  const NdArray<double> x = random_array<double>({7});
  NdArray<std::complex<double>> y = random_array<std::complex<double>>({7});
  const auto y0 = y.copy();
  ArrayStore xs(x, "x"), ys(y, "y");
  axpy(3, xs, ys);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(y.data()[i], y0.data()[i] + 3.0 * x.data()[i]);
}

template <class T>
void check_transpose(std::int64_t m, std::int64_t n, std::size_t budget) {
  const NdArray<T> a = random_array<T>({m, n});
  NdArray<T> t = NdArray<T>::zeros({n, m});
  ArrayStore as(a, "A"), ts(t, "T");
  OpaqueStore ao(as), to(ts);
  transpose(ao, to, with_budget(budget));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) ASSERT_EQ(t(j, i), a(i, j)) << i << "," << j;
}

TEST(Transpose, TilesCoverTheMatrix) {
  check_transpose<float>(37, 53, 64 * kMiB);
  check_transpose<float>(37, 53, 4096 + 1000);  // tiles of a few rows and columns
  check_transpose<std::complex<double>>(19, 7, 4096 + 1000);
  check_transpose<std::int8_t>(1, 300, 4096 + 100);
  check_transpose<std::int8_t>(300, 1, 4096 + 100);
  check_transpose<double>(0, 3, 8192);
}

TEST(Copy, ConvertsAndRechunks) {
  for (const Shape& shape : {Shape{37, 29}, Shape{1, 1}, Shape{0, 4}, Shape{6, 5, 4}, Shape{1000}}) {
    const NdArray<std::int16_t> src = random_array<std::int16_t>(shape);
    NdArray<double> dst = NdArray<double>::zeros(shape);
    ArrayStore ss(src, "src"), ds(dst, "dst");
    OpaqueStore so(ss), dso(ds);
    if (shape.size() == 2) dso.chunks_ = {4, 8};  // blocks are whole chunk rows
    copy(so, dso, with_budget(4096 + 512));
    for (std::int64_t i = 0; i < src.size(); ++i) ASSERT_EQ(dst.data()[i], src.data()[i]) << i;
  }
}

TEST(Copy, ZeroCopyFromMappedSource) {
  const NdArray<float> src = random_array<float>({64, 64});
  NdArray<float> dst = NdArray<float>::zeros({64, 64});
  ArrayStore ss(src, "src"), ds(dst, "dst");
  copy(ss, ds, with_budget(8192));
  for (std::int64_t i = 0; i < src.size(); ++i) ASSERT_EQ(dst.data()[i], src.data()[i]);
}

TEST(Copy, ByteOrderConversion) {
  const NdArray<std::int32_t> src = random_array<std::int32_t>({10});
  AnyArray big = AnyArray::empty(DType(ScalarType::Int32, ByteOrder::Big), {10});
  ArrayStore ss(src, "src"), bs(big, "big");
  copy(ss, bs);
  const AnyArray back = big.to_native();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(back.as<std::int32_t>()(i), src(i));
}

TEST(Copy, ShapeMismatchAndReadOnlyThrow) {
  const NdArray<float> a = NdArray<float>::zeros({3, 4});
  NdArray<float> b = NdArray<float>::zeros({4, 3});
  ArrayStore as(a, "a"), bs(b, "b");
  EXPECT_THROW(copy(as, bs), ShapeError);
  const NdArray<float> ro(a.storage(), a.data(), {3, 4}, {4, 1}, false);
  ArrayStore ros(ro, "ro");
  EXPECT_THROW(copy(as, ros), Error);
}

}  // namespace
}  // namespace mammoth::ooc
