// matmul against a plain triple loop. Small-integer inputs make every product exact in
// float64; tolerance 1e-12 relative covers summation order.
#include "mammoth/ooc/matmul.hpp"

#include <gtest/gtest.h>

#include <complex>

#include "ooc_test_support.hpp"

namespace mammoth::ooc {
namespace {

using testing::OpaqueStore;
using testing::random_array;
using Cd = std::complex<double>;

template <class TA, class TB>
std::vector<Cd> reference(const NdArray<TA>& a, const NdArray<TB>& b) {
  const std::int64_t m = a.shape(0), k = a.shape(1), n = b.shape(1);
  std::vector<Cd> c(static_cast<std::size_t>(m * n));
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t p = 0; p < k; ++p)
      for (std::int64_t j = 0; j < n; ++j) c[i * n + j] += Cd(a(i, p)) * Cd(b(p, j));
  return c;
}

void expect_close(const std::vector<Cd>& want, const AnyArray& got) {
  const AnyArray c = got.astype(DType(ScalarType::Complex128));
  ASSERT_EQ(static_cast<std::int64_t>(want.size()), c.size());
  const auto* g = reinterpret_cast<const Cd*>(c.data());
  for (std::size_t i = 0; i < want.size(); ++i)
    ASSERT_LE(std::abs(want[i] - g[i]), 1e-12 * (1 + std::abs(want[i]))) << "element " << i;
}

template <class TA, class TB>
void check(std::int64_t m, std::int64_t k, std::int64_t n, std::size_t budget) {
  const NdArray<TA> a = random_array<TA>({m, k}, 1);
  const NdArray<TB> b = random_array<TB>({k, n}, 2);
  ArrayStore as(a, "A"), bs(b, "B");
  OpaqueStore ao(as), bo(bs);
  Options options;
  options.budget = budget;
  const std::vector<Cd> want = reference(a, b);
  expect_close(want, matmul(ao, b, options));
  const bool complex = std::is_class_v<TA> || std::is_class_v<TB>;
  AnyArray c = AnyArray::empty(DType(complex ? ScalarType::Complex128 : ScalarType::Float64), {m, n});
  ArrayStore cs(c, "C");
  OpaqueStore co(cs);
  matmul(ao, bo, co, options);
  expect_close(want, c);
}

TEST(Matmul, InMemoryAndOnDiskMatchReference) {
  check<float, double>(37, 23, 19, 64 * kMiB);
  check<float, float>(37, 23, 19, 8 * 1024);  // panels of B and blocks of A rows
  check<std::int32_t, double>(20, 7, 300, 16 * 1024);
  check<double, std::uint8_t>(5, 300, 4, 32 * 1024);
  check<std::complex<float>, double>(9, 8, 7, 16 * 1024);
  check<double, std::complex<double>>(9, 8, 7, 64 * kMiB);
}

TEST(Matmul, OddShapes) {
  check<float, double>(1, 1, 1, 64 * kMiB);
  check<float, double>(1, 50, 1, 8 * 1024);
  check<float, double>(50, 1, 50, 8 * 1024);
  check<float, double>(0, 5, 3, 8 * 1024);
  check<float, double>(3, 5, 0, 8 * 1024);
}

TEST(Matmul, WritesIntoOtherDtypes) {
  const NdArray<std::int16_t> a = random_array<std::int16_t>({6, 5});
  const NdArray<std::int16_t> b = random_array<std::int16_t>({5, 4});
  ArrayStore as(a, "A"), bs(b, "B");
  NdArray<float> c = NdArray<float>::zeros({6, 4});
  ArrayStore cs(c, "C");
  matmul(as, bs, cs);
  expect_close(reference(a, b), c);
}

TEST(Matmul, ShapeAndBudgetErrors) {
  const NdArray<float> a = random_array<float>({6, 5});
  ArrayStore as(a, "A");
  EXPECT_THROW(matmul(as, NdArray<double>::zeros({4, 3})), ShapeError);
  NdArray<double> b = NdArray<double>::zeros({5, 3}), c = NdArray<double>::zeros({6, 4});
  ArrayStore bs(b, "B"), cs(c, "C");
  EXPECT_THROW(matmul(as, bs, cs), ShapeError);
  const NdArray<float> wide = random_array<float>({2, 100000});
  ArrayStore ws(wide, "wide");
  Options tiny;
  tiny.budget = 64 * 1024;  // one row of A as float64 is 800 kB
  EXPECT_THROW(matmul(ws, NdArray<double>::zeros({100000, 1}), tiny), Error);
}

}  // namespace
}  // namespace mammoth::ooc
