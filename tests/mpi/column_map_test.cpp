// The compact x of a distributed spmv rank (no MPI needed): ColumnMap's places agree with
// a plain prefix count, and the streamed product through a compact x is the product
// through x whole, bit for bit.
#include "mammoth/sparse/column_map.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "mammoth/sparse/source.hpp"
#include "mammoth/sparse/stream.hpp"

namespace mammoth::sparse {
namespace {

// The map of `marked` columns beside the expected places (a running count).
void expect_places(std::int64_t cols, const std::vector<std::int64_t>& marked) {
  ColumnMap map(cols);
  std::vector<bool> is(static_cast<std::size_t>(cols));
  for (const std::int64_t c : marked) {
    map.mark(c);
    is[static_cast<std::size_t>(c)] = true;
  }
  map.count();
  std::int64_t before = 0;
  std::vector<std::int64_t> seen;
  map.for_each(0, cols, [&](std::int64_t c) { seen.push_back(c); });
  for (std::int64_t c = 0; c < cols; ++c) {
    EXPECT_EQ(map.touched(c), is[static_cast<std::size_t>(c)]) << c;
    EXPECT_EQ(map.before(c), before) << c;
    if (is[static_cast<std::size_t>(c)]) {
      EXPECT_EQ(map.place(c), before) << c;
    }
    before += is[static_cast<std::size_t>(c)];
  }
  EXPECT_EQ(map.before(cols), before);
  EXPECT_EQ(map.size(), before);
  EXPECT_EQ(static_cast<std::int64_t>(seen.size()), before);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1], seen[i]);
}

TEST(ColumnMap, PlacesAreRunningCounts) {
  expect_places(0, {});
  expect_places(1, {0});
  expect_places(64, {0, 63});
  expect_places(65, {63, 64});
  expect_places(200, {});
  expect_places(200, {1, 5, 64, 127, 128, 199, 5});  // a column marked twice counts once
  std::mt19937_64 rng(3);
  std::vector<std::int64_t> some;
  for (int i = 0; i < 500; ++i) some.push_back(static_cast<std::int64_t>(rng() % 1000));
  expect_places(1000, some);
  std::vector<std::int64_t> all(130);
  for (std::int64_t c = 0; c < 130; ++c) all[static_cast<std::size_t>(c)] = c;
  expect_places(130, all);
}

TEST(ColumnMap, ForEachWithinARange) {
  ColumnMap map(300);
  for (const std::int64_t c : {3, 64, 70, 128, 190, 299}) map.mark(c);
  map.count();
  std::vector<std::int64_t> seen;
  map.for_each(64, 191, [&](std::int64_t c) { seen.push_back(c); });
  EXPECT_EQ(seen, (std::vector<std::int64_t>{64, 70, 128, 190}));
  seen.clear();
  map.for_each(71, 128, [&](std::int64_t c) { seen.push_back(c); });
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(map.before(71), 3);
  EXPECT_EQ(map.before(300), 6);
}

TEST(ColumnMap, TwoBitsPerColumn) { EXPECT_EQ(ColumnMap(64 * 1000).nbytes(), 16u * 1000u); }

// A CSR of `rows` × `cols` with random columns and values, as member stores.
SparseSource random_csr(std::int64_t rows, std::int64_t cols, int per_row, std::vector<double>& x) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<std::int64_t> indptr{0}, indices;
  std::vector<double> data;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (int k = 0; k < per_row + static_cast<int>(r % 3); ++k) {
      indices.push_back(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(cols)));
      data.push_back(u(rng));
    }
    indptr.push_back(static_cast<std::int64_t>(indices.size()));
  }
  x.resize(static_cast<std::size_t>(cols));
  for (double& v : x) v = u(rng);
  SparseSource a;
  a.name = "A";
  a.format = Format::Csr;
  a.rows = rows;
  a.cols = cols;
  const auto store = [](const auto& v, const char* name) {
    using T = typename std::remove_cvref_t<decltype(v)>::value_type;
    return std::make_unique<ArrayStore>(AnyArray(NdArray<T>::from(std::vector<T>(v), {std::int64_t(v.size())})), name);
  };
  a.members["indptr"] = store(indptr, "indptr");
  a.members["indices"] = store(indices, "indices");
  a.members["data"] = store(data, "data");
  return a;
}

TEST(CompactColumns, ProductEqualsTheWholeX) {
  std::vector<double> x;
  const SparseSource a = random_csr(300, 5000, 7, x);
  ooc::Options options;
  options.budget = std::size_t{1} << 20;
  options.block_bytes = 1024;  // many blocks
  const AnyArray whole = spmv(a, AnyArray(NdArray<double>::from(std::vector<double>(x), {5000})), options);

  ColumnMap map(a.cols);
  mark_columns(a, map, options);
  ASSERT_GT(map.size(), 0);
  ASSERT_LT(map.size(), a.cols);
  std::vector<double> compact(static_cast<std::size_t>(map.size()));
  map.for_each(0, a.cols, [&](std::int64_t c) {
    compact[static_cast<std::size_t>(map.place(c))] = x[static_cast<std::size_t>(c)];
  });
  CompactColumns columns;
  columns.map = &map;
  columns.own_begin = 1000;
  columns.own_end = 2000;
  int waits = 0;
  columns.ghosts_ready = [&] { ++waits; };
  const AnyArray y =
      spmv(a, AnyArray(NdArray<double>::from(std::move(compact), {map.size()})), options, false, nullptr, &columns);
  EXPECT_EQ(waits, 1);  // once, before the first block reaching outside [1000, 2000)
  ASSERT_EQ(y.nbytes(), whole.nbytes());
  const auto* got = reinterpret_cast<const double*>(y.data());
  const auto* want = reinterpret_cast<const double*>(whole.data());
  for (std::int64_t r = 0; r < a.rows; ++r) EXPECT_EQ(got[r], want[r]) << r;  // the same sums, bit for bit
}

TEST(CompactColumns, GhostsAwaitedOnlyWhenReached) {
  std::vector<double> x;
  const SparseSource a = random_csr(50, 64, 3, x);
  ooc::Options options;
  ColumnMap map(a.cols);
  mark_columns(a, map, options);
  std::vector<double> compact(static_cast<std::size_t>(map.size()), 1.0);
  CompactColumns columns;
  columns.map = &map;
  columns.own_begin = 0;
  columns.own_end = a.cols;  // every column its own: no ghost to wait for
  int waits = 0;
  columns.ghosts_ready = [&] { ++waits; };
  spmv(a, AnyArray(NdArray<double>::from(std::move(compact), {map.size()})), options, false, nullptr, &columns);
  EXPECT_EQ(waits, 0);
}

TEST(CompactColumns, BadIndexRefusedWhileMarking) {
  std::vector<double> x;
  SparseSource a = random_csr(20, 40, 2, x);
  a.cols = 30;  // the file's indices reach 39
  ooc::Options options;
  ColumnMap map(a.cols);
  try {
    mark_columns(a, map, options);
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("is outside [0, 30)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mammoth::sparse
