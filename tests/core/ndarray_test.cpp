#include "mammoth/ndarray.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/store.hpp"
#include "test_support.hpp"

using namespace mammoth;

namespace {

NdArray<int> iota(const Shape& shape) {
  auto a = NdArray<int>::empty(shape);
  std::iota(a.data(), a.data() + a.size(), 0);
  return a;
}

}  // namespace

TEST(NdArray, HeapBufferIsAlignedAndZeroed) {
  auto a = NdArray<double>::zeros({3, 5});
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % 64, 0u);
  for (double v : a) EXPECT_EQ(v, 0.0);
  EXPECT_EQ(a.nbytes(), 120u);
  EXPECT_TRUE(a.is_c_contiguous());
}

TEST(NdArray, ZeroDimensionalAndEmpty) {
  auto s = NdArray<float>::scalar(2.5f);
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.size(), 1);
  EXPECT_EQ(s(), 2.5f);
  auto e = NdArray<float>::empty({0, 7});
  EXPECT_EQ(e.size(), 0);
  EXPECT_EQ(e.begin(), e.end());
  EXPECT_EQ(std::distance(s.begin(), s.end()), 1);
}

TEST(NdArray, RowsAndSlicesShareStorage) {
  auto a = iota({4, 6});
  auto row = a[2];
  EXPECT_EQ(row.shape(), Shape({6}));
  EXPECT_EQ(row(0), 12);
  row(1) = -1;
  EXPECT_EQ(a(2, 1), -1);
  auto last = a[-1];
  EXPECT_EQ(last(5), 23);
  auto strided = a.slice({Slice::range(0, 4, 2), Slice::range(5, kNone, -2)});
  EXPECT_EQ(strided.shape(), Shape({2, 3}));
  EXPECT_EQ(strided(0, 0), 5);
  EXPECT_EQ(strided(1, 2), -1);  // a(2, 1), written through the row view above
  EXPECT_FALSE(strided.is_c_contiguous());
  EXPECT_EQ(strided.storage(), a.storage());
}

TEST(NdArray, ViewKeepsStorageAliveAfterParentIsGone) {
  NdArray<int> view;
  {
    auto a = iota({10, 10});
    view = a.slice({Slice::range(8, 10)});
  }
  EXPECT_EQ(view(1, 9), 99);
}

TEST(NdArray, OutOfRangeIndicesThrow) {
  auto a = iota({3, 4});
  EXPECT_THROW(a[3], ShapeError);
  EXPECT_THROW(a[-4], ShapeError);
  EXPECT_THROW(a.at(0, 4), ShapeError);
  EXPECT_THROW(a.at(0), ShapeError);
  EXPECT_THROW(a.slice({0, 0, 0}), ShapeError);
  EXPECT_THROW(a.slice({Slice::range(0, 2, 0)}), ShapeError);
  EXPECT_EQ(a.at(-1, -1), 11);
}

TEST(NdArray, SliceClampsLikeNumpy) {
  auto a = iota({10});
  EXPECT_EQ(a.slice({Slice::range(-100, 100)}).size(), 10);
  EXPECT_EQ(a.slice({Slice::range(7, 3)}).size(), 0);
  auto rev = a.slice({Slice::range(kNone, kNone, -3)});
  EXPECT_EQ(std::vector<int>(rev.begin(), rev.end()), std::vector<int>({9, 6, 3, 0}));
}

TEST(NdArray, TransposeCopyAndFortranOrder) {
  auto a = iota({2, 3});
  auto t = a.transpose();
  EXPECT_EQ(t.shape(), Shape({3, 2}));
  EXPECT_TRUE(t.is_f_contiguous());
  EXPECT_EQ(t(2, 1), 5);
  auto c = t.copy();
  EXPECT_TRUE(c.is_c_contiguous());
  EXPECT_TRUE(array_equal(c, t));
  auto f = a.copy(Order::Fortran);
  EXPECT_TRUE(f.is_f_contiguous());
  EXPECT_EQ(f.data()[1], 3);  // column-major in memory
  EXPECT_TRUE(array_equal(f, a));
}

TEST(NdArray, ReshapeAndAssign) {
  auto a = iota({2, 6});
  auto r = a.reshape({3, -1});
  EXPECT_EQ(r.shape(), Shape({3, 4}));
  EXPECT_EQ(r(2, 3), 11);
  EXPECT_THROW(a.reshape({5, -1}), ShapeError);
  EXPECT_THROW(a.transpose().reshape({12}), ShapeError);
  auto b = NdArray<int>::zeros({6});
  b.assign(a[1]);
  EXPECT_EQ(b(0), 6);
  EXPECT_THROW(b.assign(a), ShapeError);
}

TEST(NdArray, ReadOnlyRefusesCheckedWrites) {
  auto a = iota({4});
  NdArray<int> ro(a.storage(), a.data(), a.shape(), a.strides(), false);
  EXPECT_THROW(ro.fill(1), Error);
  EXPECT_FALSE(ro[0].writable());
}

TEST(NdArray, ShapeOverflowAndNegativeExtentsThrow) {
  EXPECT_THROW(NdArray<double>::empty({-1, 3}), ShapeError);
  EXPECT_THROW(NdArray<double>::empty({1LL << 40, 1LL << 40}), ShapeError);
}

TEST(AnyArray, CheckedAsAndConversions) {
  AnyArray any = iota({2, 3});
  EXPECT_EQ(any.dtype(), dtype_of<int>());
  EXPECT_THROW(any.as<float>(), TypeError);
  auto typed = any.as<int>();
  EXPECT_EQ(typed(1, 2), 5);
  auto d = any.astype(dtype_of<double>());
  EXPECT_EQ(d.as<double>()(1, 1), 4.0);
  auto big = any.astype(DType(ScalarType::Int32, ByteOrder::Big));
  EXPECT_THROW(big.as<int>(), TypeError);
  EXPECT_TRUE(array_equal(big.to_native().as<int>(), typed));
  auto col = any.slice({Slice(), Slice(1)});
  EXPECT_EQ(col.shape(), Shape({2}));
  EXPECT_EQ(col.copy().as<int>()(1), 4);
}

TEST(ArrayStore, ReadsAndWritesBoxesWithConversion) {
  auto a = iota({4, 5});
  ArrayStore store(a, "memory");
  std::vector<double> block(6);
  store.read(Box{{1, 2}, {2, 3}}, block.data(), dtype_of<double>());
  EXPECT_EQ(block, std::vector<double>({7, 8, 9, 12, 13, 14}));
  std::vector<float> ones(4, 1.5f);
  store.write(Box{{0, 0}, {2, 2}}, ones.data(), dtype_of<float>());
  EXPECT_EQ(a(1, 1), 1);
  EXPECT_THROW(store.read(Box{{3, 0}, {2, 5}}, block.data(), dtype_of<double>()), ShapeError);
  // a strided (transposed) source
  ArrayStore t(a.transpose(), "t");
  std::vector<int> col(4);
  t.read(Box{{4, 0}, {1, 4}}, col.data(), dtype_of<int>());
  EXPECT_EQ(col, std::vector<int>({4, 9, 14, 19}));
}

TEST(StorePath, SplitsHdf5ObjectPaths) {
  auto p = parse_store_path("data/file.h5:/group/x");
  EXPECT_EQ(p.file, "data/file.h5");
  EXPECT_EQ(p.inner, "/group/x");
  EXPECT_FALSE(parse_store_path("a.npy").is_hdf5());
}

namespace mammoth {
namespace {

// numpy's words keep numpy's meaning: `empty` touches no page, `zeros` writes them all.
TEST(Allocation, EmptyLeavesPagesUntouchedZerosWritesThem) {
  if (testing::kAddressSanitizer) GTEST_SKIP() << "ASan's allocator touches what it hands out";
  constexpr std::int64_t n = 32 << 20;  // 256 MiB of float64
  NdArray<double> e;
  const double empty_mib = testing::peak_increment_mib([&] { e = NdArray<double>::empty({n}); });
  EXPECT_LT(empty_mib, 8.0) << "empty() made " << empty_mib << " MiB resident";
  EXPECT_EQ(e.size(), n);
  e = NdArray<double>();
  AnyArray z;
  const double zeros_mib =
      testing::peak_increment_mib([&] { z = AnyArray::zeros(DType(ScalarType::Float64), {n / 4}); });
  EXPECT_GT(zeros_mib, 60.0) << "zeros() of 64 MiB made only " << zeros_mib << " MiB resident";
  const auto* d = reinterpret_cast<const double*>(z.data());
  EXPECT_EQ(d[0], 0.0);
  EXPECT_EQ(d[n / 4 - 1], 0.0);
  EXPECT_EQ(NdArray<int>::zeros({3, 3})(2, 2), 0);
}

TEST(Allocation, BigBuffersAreHugePageAlignedSmallOnesCacheLineAligned) {
  auto small = allocate_buffer<std::byte>(100);
  auto big = allocate_buffer<std::byte>(8 << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(small.get()) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big.get()) % (2 << 20), 0u);
  EXPECT_NE(allocate_buffer<std::byte>(0).get(), nullptr);
}

}  // namespace
}  // namespace mammoth
