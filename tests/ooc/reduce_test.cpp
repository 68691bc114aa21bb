// Reductions against plain loops. Inputs are small integers (quarter steps for
// floats): sums are exact in float64, so sum/mean/norm are checked to 1e-12 relative
// (summation order only) and min/max exactly.
#include "mammoth/ooc/reduce.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <limits>

#include "ooc_test_support.hpp"

namespace mammoth::ooc {
namespace {

using testing::OpaqueStore;
using testing::random_array;
using Cd = std::complex<double>;

// The reference, over a (rows, cols) view: every element of lane `l` where lanes are
// all elements (axis none), rows (axis 1) or columns (axis 0).
template <class T>
std::vector<Cd> reference(const NdArray<T>& a, ReduceOp op, std::optional<int> axis) {
  const std::int64_t rows = a.shape(0), cols = a.ndim() == 2 ? a.shape(1) : 1;
  const std::int64_t lanes = !axis ? 1 : (*axis == 0 ? cols : rows);
  const std::int64_t len = !axis ? rows * cols : (*axis == 0 ? rows : cols);
  std::vector<Cd> out;
  for (std::int64_t l = 0; l < lanes; ++l) {
    Cd acc = 0;
    double best = op == ReduceOp::Min ? INFINITY : -INFINITY;
    for (std::int64_t e = 0; e < len; ++e) {
      const std::int64_t flat = !axis ? e : (*axis == 0 ? e * cols + l : l * cols + e);
      const Cd v = Cd(a.data()[flat]);
      acc += op == ReduceOp::Norm ? Cd(std::norm(v)) : v;
      best = op == ReduceOp::Min ? std::min(best, v.real()) : std::max(best, v.real());
    }
    if (op == ReduceOp::Mean) acc /= static_cast<double>(len);
    if (op == ReduceOp::Norm) acc = std::sqrt(acc.real());
    out.push_back(op == ReduceOp::Min || op == ReduceOp::Max ? Cd(best) : acc);
  }
  return out;
}

void expect_close(const std::vector<Cd>& want, const AnyArray& got) {
  const AnyArray c = got.astype(DType(ScalarType::Complex128));
  ASSERT_EQ(static_cast<std::int64_t>(want.size()), c.size());
  const auto* g = reinterpret_cast<const Cd*>(c.data());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_LE(std::abs(want[i] - g[i]), 1e-12 * (1 + std::abs(want[i]))) << "element " << i;
}

template <class T>
void check_all(const Shape& shape, std::size_t budget) {
  const NdArray<T> a = random_array<T>(shape, 11);
  ArrayStore inner(a, "A");
  OpaqueStore opaque(inner);
  Options options;
  options.budget = budget;
  constexpr bool complex = std::is_class_v<T>;  // the complex types are the only classes
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Min, ReduceOp::Max, ReduceOp::Norm}) {
    if (complex && (op == ReduceOp::Min || op == ReduceOp::Max)) continue;
    for (std::optional<int> axis : {std::optional<int>{}, std::optional<int>{0}, std::optional<int>{1}}) {
      if (axis && *axis >= static_cast<int>(shape.size())) continue;
      SCOPED_TRACE(std::string("op ") + std::to_string(static_cast<int>(op)) + " axis " +
                   (axis ? std::to_string(*axis) : "all") + " shape " + shape_string(shape));
      expect_close(reference(a, op, axis), reduce(opaque, op, axis, options));
      expect_close(reference(a, op, axis), reduce(inner, op, axis, options));
    }
  }
}

template <class T>
class ReduceTyped : public ::testing::Test {};
using AllTypes =
    ::testing::Types<bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, std::uint8_t, std::uint16_t,
                     std::uint32_t, std::uint64_t, float, double, std::complex<float>, std::complex<double>>;
TYPED_TEST_SUITE(ReduceTyped, AllTypes);

TYPED_TEST(ReduceTyped, EveryDtypeOpAndAxisMatchesReference) {
  check_all<TypeParam>({23, 17}, 64 * kMiB);
  check_all<TypeParam>({23, 17}, 6 * 1024);  // blocks of a few rows
}

TEST(Reduce, OddShapes) {
  for (const Shape& s : {Shape{1, 1}, Shape{1, 5000}, Shape{5000, 1}, Shape{257}, Shape{129, 65}}) {
    check_all<float>(s, 64 * kMiB);
    check_all<float>(s, 96 * 1024);
  }
}

TEST(Reduce, ShortRowsOfEveryWidth) {
  for (std::int64_t n = 1; n <= 17; ++n) {
    check_all<double>({1003, n}, 64 * kMiB);
    check_all<std::uint8_t>({1003, n}, 24 * 1024);  // blocks of a few hundred rows
  }
}

TEST(Reduce, WideRowsSplitAcrossBlocks) { check_all<double>({3, 10000}, 160 * 1024); }

TEST(Reduce, ResultTypesAndShapes) {
  const NdArray<std::int16_t> a = random_array<std::int16_t>({4, 6});
  ArrayStore s(a, "A");
  EXPECT_EQ(reduce(s, ReduceOp::Sum, {}).shape(), Shape{});
  EXPECT_EQ(reduce(s, ReduceOp::Sum, 0).shape(), Shape{6});
  EXPECT_EQ(reduce(s, ReduceOp::Sum, 1).shape(), Shape{4});
  EXPECT_EQ(reduce(s, ReduceOp::Mean, 1).dtype(), DType(ScalarType::Float64));
  EXPECT_EQ(reduce(s, ReduceOp::Min, 1).dtype(), DType(ScalarType::Int16));
  const NdArray<std::complex<float>> c = random_array<std::complex<float>>({4, 6});
  ArrayStore cs(c, "C");
  EXPECT_EQ(reduce(cs, ReduceOp::Sum, {}).dtype(), DType(ScalarType::Complex128));
  EXPECT_EQ(reduce(cs, ReduceOp::Norm, {}).dtype(), DType(ScalarType::Float64));
  EXPECT_THROW(reduce(cs, ReduceOp::Max, {}), TypeError);
}

TEST(Reduce, NanPropagatesThroughMinMax) {
  NdArray<float> a = random_array<float>({50, 40});
  a(17, 3) = std::numeric_limits<float>::quiet_NaN();
  ArrayStore s(a, "A");
  Options small;
  small.budget = 4096 + 2048;
  EXPECT_TRUE(std::isnan(reduce(s, ReduceOp::Max, {}, small).as<float>().data()[0]));
  EXPECT_TRUE(std::isnan(reduce(s, ReduceOp::Min, 0, small).as<float>()(3)));
  EXPECT_FALSE(std::isnan(reduce(s, ReduceOp::Min, 0, small).as<float>()(2)));
  EXPECT_TRUE(std::isnan(reduce(s, ReduceOp::Min, 1).as<float>()(17)));
}

TEST(Reduce, EmptyArrays) {
  const NdArray<double> a = NdArray<double>::zeros({0, 4});
  ArrayStore s(a, "E");
  EXPECT_EQ(reduce(s, ReduceOp::Sum, {}).as<double>().data()[0], 0.0);
  EXPECT_TRUE(std::isnan(reduce(s, ReduceOp::Mean, {}).as<double>().data()[0]));
  EXPECT_EQ(reduce(s, ReduceOp::Sum, 1).shape(), Shape{0});
  EXPECT_THROW(reduce(s, ReduceOp::Min, {}), ShapeError);
  EXPECT_THROW(reduce(s, ReduceOp::Max, 0), ShapeError);
  EXPECT_EQ(reduce(s, ReduceOp::Max, 1).shape(), Shape{0});
}

TEST(Reduce, BadAxisAndOpThrow) {
  const NdArray<double> v = NdArray<double>::zeros({5});
  ArrayStore s(v, "v");
  EXPECT_THROW(reduce(s, ReduceOp::Sum, 1), ShapeError);
  EXPECT_THROW(reduce(s, ReduceOp::Sum, -1), ShapeError);
  EXPECT_THROW(parse_reduce_op("avg"), Error);
  EXPECT_EQ(parse_reduce_op("norm"), ReduceOp::Norm);
}

}  // namespace
}  // namespace mammoth::ooc

namespace mammoth::ooc {
namespace {

// One element per row of a tall matrix, more than half the budget: written block by block.
template <class T>
void check_rows_streamed(const Shape& shape, std::size_t budget) {
  const NdArray<T> a = random_array<T>(shape, 12);
  ArrayStore inner(a, "A");
  OpaqueStore opaque(inner);
  Options small;
  small.budget = budget;
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Min, ReduceOp::Max, ReduceOp::Norm}) {
    if (std::is_class_v<T> && (op == ReduceOp::Min || op == ReduceOp::Max)) continue;
    SCOPED_TRACE(std::string("op ") + std::to_string(static_cast<int>(op)) + " shape " + shape_string(shape));
    AnyArray out = AnyArray::empty(reduce_type(a.dtype(), op), {shape[0]});
    ArrayStore out_store(out, "out");
    OpaqueStore out_opaque(out_store);
    reduce(opaque, op, 1, out_opaque, small);
    EXPECT_GT(out_opaque.writes, 1) << "written whole, not block by block";
    expect_close(reference(a, op, 1), out);
  }
}

TEST(Reduce, RowResultLongerThanTheBudgetStreams) {
  check_rows_streamed<double>({20011, 10}, 128 * 1024);
  check_rows_streamed<float>({30001, 3}, 96 * 1024);
  check_rows_streamed<std::int32_t>({9001, 40}, 64 * 1024);
  check_rows_streamed<bool>({9001, 40}, 16 * 1024);
  check_rows_streamed<std::complex<float>>({5003, 7}, 64 * 1024);
}

TEST(Reduce, IntoAStoreOfTheWrongShapeThrows) {
  const NdArray<double> a = random_array<double>({20000, 4});
  ArrayStore s(a, "A");
  NdArray<double> wrong = NdArray<double>::zeros({19999});
  ArrayStore w(wrong, "w");
  Options small;
  small.budget = 64 * 1024;
  EXPECT_THROW(reduce(s, ReduceOp::Sum, 1, w, small), ShapeError);
  NdArray<double> whole = NdArray<double>::zeros({});
  ArrayStore ws(whole, "whole");
  reduce(s, ReduceOp::Sum, {}, ws, small);
  EXPECT_DOUBLE_EQ(whole.data()[0], reduce(s, ReduceOp::Sum, {}).as<double>().data()[0]);
}

}  // namespace
}  // namespace mammoth::ooc
