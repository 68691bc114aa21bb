#include <gtest/gtest.h>

#include "mammoth/sparse/convert.hpp"
#include "mammoth/sparse/ops.hpp"
#include "mammoth/sparse/random.hpp"
#include "mammoth/sparse/spmv.hpp"

using namespace mammoth;
using namespace mammoth::sparse;

namespace {

// [[1 0 2 0]
//  [0 0 0 3]
//  [4 5 0 0]]
Csr<double, std::int32_t> small() {
  return Csr<double, std::int32_t>{3, 4, {0, 2, 3, 5}, {0, 2, 3, 0, 1}, {1, 2, 3, 4, 5}};
}

template <class V>
auto vec(const V& v) {
  return std::vector<typename V::value_type>(v.begin(), v.end());
}
std::vector<double> dense_of(const NdArray<double>& a) { return {a.data(), a.data() + a.size()}; }
const std::vector<double> kDense = {1, 0, 2, 0, 0, 0, 0, 3, 4, 5, 0, 0};

template <class M>
void expect_same(const M& m) {
  EXPECT_EQ(dense_of(to_dense(m)), kDense);
}

}  // namespace

TEST(Convert, EveryFormatRoundTripsThroughEveryOther) {
  const auto a = small();
  a.validate();
  const auto coo = to_coo(a);
  const auto csc = to_csc(a);
  const auto bsr = to_bsr(a, 1, 2);
  const auto lil = to_lil(a);
  const auto dok = to_dok(a);
  const auto dia = to_dia(a);
  coo.validate();
  csc.validate();
  bsr.validate();
  lil.validate();
  dia.validate();
  expect_same(a);
  expect_same(coo);
  expect_same(csc);
  expect_same(bsr);
  expect_same(lil);
  expect_same(dok);
  expect_same(dia);
  // The 42 pairs: every source to every other target.
  auto check_all = [](const auto& s) {
    expect_same(to_csr(s));
    expect_same(to_csc(s));
    expect_same(to_coo(s));
    expect_same(to_bsr(s));
    expect_same(to_lil(s));
    expect_same(to_dok(s));
    expect_same(to_dia(s));
  };
  check_all(coo);
  check_all(csc);
  check_all(bsr);
  check_all(lil);
  check_all(dok);
  check_all(dia);
  check_all(a);
}

TEST(Convert, CooDuplicatesAreSummedAndSorted) {
  Coo<double, std::int32_t> c{2, 3, {1, 0, 1, 0}, {2, 1, 2, 0}, {1, 2, 3, 4}};
  const auto a = to_csr(c);
  EXPECT_EQ(vec(a.indptr), (std::vector<std::int32_t>{0, 2, 3}));
  EXPECT_EQ(vec(a.indices), (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(vec(a.data), (std::vector<double>{4, 2, 4}));
}

TEST(Convert, EliminateZerosAndTranspose) {
  Csr<double, std::int32_t> a{2, 2, {0, 2, 3}, {0, 1, 1}, {0, 1, 2}};
  eliminate_zeros(a);
  EXPECT_EQ(a.nnz(), 2);
  const auto t = transpose(a);
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(dense_of(to_dense(t)), (std::vector<double>{0, 0, 1, 2}));
}

TEST(Convert, ParallelTransposeMatchesSerial) {
  const auto a = random_csr<double, std::int32_t>(300, 2000, 0.2, 7);
  const auto c = to_csc(a);
  c.validate();
  const auto back = to_csr(c);
  EXPECT_EQ(vec(back.indptr), vec(a.indptr));
  EXPECT_EQ(vec(back.indices), vec(a.indices));
  EXPECT_EQ(vec(back.data), vec(a.data));
}

TEST(Validate, RejectsBadStructures) {
  Csr<double, std::int32_t> a{2, 3, {0, 2, 1}, {0, 1, 2}, {1, 2, 3}};
  EXPECT_THROW(a.validate(), ShapeError);
  a.indptr = {0, 1, 2};
  EXPECT_THROW(a.validate(), ShapeError);  // ends at 2, 3 entries
  a.indptr = {0, 1, 3};
  a.indices = {0, 1, 3};
  try {
    a.validate();
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("indices[2] = 3"), std::string::npos) << e.what();
  }
  Bsr<double, std::int32_t> b{3, 4, 2, 2, {0, 0}, {}, {}};
  EXPECT_THROW(b.validate(), ShapeError);
  Coo<double, std::int32_t> c{2, 2, {0, 2}, {0, 0}, {1, 1}};
  EXPECT_THROW(c.validate(), ShapeError);
  Lil<double, std::int32_t> l{1, 3, {{2, 1}}, {{1, 1}}};
  EXPECT_THROW(l.validate(), ShapeError);
  Dia<double, std::int32_t> d{2, 2, 2, {0, 0}, {1, 1, 1, 1}};
  EXPECT_THROW(d.validate(), ShapeError);
  Csc<double, std::int32_t> s{2, 2, {0, 1}, {0}, {1}};
  EXPECT_THROW(s.validate(), ShapeError);
}

TEST(Random, ExactCountDistinctSorted) {
  for (double density : {0.0, 0.01, 0.1, 0.5, 1.0}) {
    const auto a = random_csr<double, std::int32_t>(57, 91, density, 3);
    a.validate();
    EXPECT_EQ(a.nnz(), std::llround(density * 57 * 91));
    EXPECT_TRUE(has_canonical_format(a));
    for (double v : a.data) {
      EXPECT_GE(v, 0.0);
      EXPECT_LT(v, 1.0);
    }
  }
  const auto x = random_csr<double, std::int32_t>(50, 50, 0.1, 11);
  const auto y = random_csr<double, std::int32_t>(50, 50, 0.1, 11);
  const auto z = random_csr<double, std::int32_t>(50, 50, 0.1, 12);
  EXPECT_EQ(vec(x.indices), vec(y.indices));
  EXPECT_NE(vec(x.indices), vec(z.indices));
}

TEST(Random, PositionsAreUniform) {
  // Each of the 100 cells of a 10×10 matrix at density 0.3 is chosen with probability 0.3.
  std::vector<int> hits(100, 0);
  const int trials = 2000;
  for (int s = 0; s < trials; ++s) {
    const auto a = random_csr<float, std::int32_t>(10, 10, 0.3, static_cast<std::uint64_t>(s));
    ASSERT_EQ(a.nnz(), 30);
    for (std::int64_t r = 0; r < 10; ++r)
      for (auto k = a.indptr[r]; k < a.indptr[r + 1]; ++k) ++hits[static_cast<std::size_t>(r * 10 + a.indices[k])];
  }
  for (int h : hits) EXPECT_NEAR(h, 600, 100);
}

TEST(Spmv, AllFormatsAgree) {
  const auto a = random_csr<double, std::int32_t>(120, 90, 0.3, 5);
  std::vector<double> x(90);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5 + static_cast<double>(i % 7);
  std::vector<double> want(120, 0.0);
  const auto d = to_dense(a);
  for (int r = 0; r < 120; ++r)
    for (int c = 0; c < 90; ++c) want[static_cast<std::size_t>(r)] += d(r, c) * x[static_cast<std::size_t>(c)];
  std::vector<double> y(120);
  auto check = [&](const auto& m) {
    std::fill(y.begin(), y.end(), -1.0);
    spmv(m, std::span<const double>(x), std::span<double>(y));
    for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], 1e-9);
  };
  check(a);
  check(to_csc(a));
  check(to_coo(a));
  check(to_bsr(a, 3, 3));
  check(to_dia(a));
  std::vector<double> bad(3);
  EXPECT_THROW(spmv(a, std::span<const double>(bad), std::span<double>(y)), ShapeError);
}

TEST(Ops, ArithmeticMatchesDense) {
  const auto a = small();
  const auto b = to_csr(Coo<double, std::int32_t>{3, 4, {0, 1, 2}, {0, 1, 1}, {1, 1, 1}});
  EXPECT_EQ(dense_of(to_dense(add(a, b))), (std::vector<double>{2, 0, 2, 0, 0, 1, 0, 3, 4, 6, 0, 0}));
  EXPECT_EQ(dense_of(to_dense(subtract(a, b))), (std::vector<double>{0, 0, 2, 0, 0, -1, 0, 3, 4, 4, 0, 0}));
  EXPECT_EQ(subtract(a, b).nnz(), 5);  // the cancelled entry is dropped
  EXPECT_EQ(dense_of(to_dense(multiply(a, b))), (std::vector<double>{1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0}));
  EXPECT_EQ(dense_of(to_dense(scale(a, 2.0))), (std::vector<double>{2, 0, 4, 0, 0, 0, 0, 6, 8, 10, 0, 0}));
  const auto p = matmul(a, transpose(a));  // 3×3
  EXPECT_EQ(dense_of(to_dense(p)), (std::vector<double>{5, 0, 4, 0, 9, 0, 4, 0, 41}));
  EXPECT_THROW(matmul(a, a), ShapeError);
  EXPECT_THROW(add(a, transpose(a)), ShapeError);
  EXPECT_EQ(sum(a, 0), (std::vector<double>{5, 5, 2, 3}));
  EXPECT_EQ(sum(a, 1), (std::vector<double>{3, 3, 9}));
  EXPECT_EQ(sum(a), (std::vector<double>{15}));
  EXPECT_EQ(mean(a, 1), (std::vector<double>{0.75, 0.75, 2.25}));
  EXPECT_EQ(vec(diagonal(a)), (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(vec(diagonal(a, 2)), (std::vector<double>{2, 3}));
  EXPECT_EQ(vec(diagonal(a, -2)), (std::vector<double>{4}));
  EXPECT_EQ(dense_of(to_dense(slice(a, 1, 3, 1, 4))), (std::vector<double>{0, 0, 3, 5, 0, 0}));
  EXPECT_EQ(row_slice(a, 2, 3).nnz(), 2);
  EXPECT_EQ(col_slice(a, 0, 1).nnz(), 2);
  EXPECT_THROW(slice(a, 0, 4, 0, 1), ShapeError);
  EXPECT_EQ(footprint(a), 5 * 8 + 5 * 4 + 4 * 4);
  EXPECT_EQ(dense_bytes<double>(3, 4), 96);
  const NdArray<double> X = NdArray<double>::from({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2});
  const auto Y = spmm(a, X);
  EXPECT_EQ(dense_of(Y), (std::vector<double>{11, 14, 21, 24, 19, 28}));
}

TEST(Construct, EyeDiagsDense) {
  EXPECT_EQ(dense_of(to_dense(eye<double>(2, 3, 1))), (std::vector<double>{0, 1, 0, 0, 0, 1}));
  const auto d = diags<double>({{1, 2, 3}, {9, 9}}, {0, -1}, 3, 3);
  EXPECT_EQ(dense_of(to_dense(d)), (std::vector<double>{1, 0, 0, 9, 2, 0, 0, 9, 3}));
  const auto dense = NdArray<double>::from(std::span<const double>(kDense), {3, 4});
  expect_same(csr_from_dense(dense));
  const auto complex = random_csr<std::complex<float>, std::int64_t>(10, 10, 0.5, 1);
  EXPECT_EQ(complex.nnz(), 50);
  const auto ints = random_csr<std::int16_t, std::int32_t>(10, 10, 0.5, 1);
  EXPECT_EQ(to_csc(ints).nnz(), 50);
}

TEST(Spmv, ParallelPathsAgreeWithSerial) {
  // Big enough (> 2^16 entries) for every kernel to take its parallel path.
  const auto a = random_csr<double, std::int64_t>(400, 700, 0.5, 8);
  std::vector<double> x(700), want(400), y(400);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i % 11) - 5.0;
  csr_rows_spmv(0, a.rows, a.indptr.data(), a.indices.data(), a.data.data(), x.data(), want.data());
  auto check = [&](const auto& m) {
    std::fill(y.begin(), y.end(), 0.0);
    spmv(m, std::span<const double>(x), std::span<double>(y));
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], 1e-9) << i;
  };
  check(a);
  check(to_csc(a));
  check(to_coo(a));
  check(to_bsr(a, 4, 7));
  check(to_dia(a));
  const auto X = NdArray<double>::full({700, 3}, 1.0);
  const auto Y = spmm(a, X);
  const auto rows = sum(a, 1);
  for (std::int64_t r = 0; r < 400; ++r) ASSERT_NEAR(Y(r, 2), rows[static_cast<std::size_t>(r)], 1e-9);
  const auto t = transpose(transpose(a));
  EXPECT_EQ(vec(t.indices), vec(a.indices));
  EXPECT_EQ(vec(to_csr(to_lil(a)).data), vec(a.data));
}
