// The compact x of a distributed spmv rank (no MPI needed): ColumnMap's places agree with
// a plain prefix count, and the streamed product through a compact x is the product
// through x whole, bit for bit.
#include "mammoth/sparse/column_map.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
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

// x of `a` as a rank holding columns [own_begin, own_end) keeps it: its touched entries
// in column order, the ghosts' places NaN until fill_ghosts() (their values "arrive").
struct RankX {
  ColumnMap map;
  std::vector<double> x;
  NdArray<double> compact;
  std::int64_t own_begin, own_end;

  RankX(const SparseSource& a, std::vector<double> whole, std::int64_t begin, std::int64_t end)
      : map(a.cols), x(std::move(whole)), own_begin(begin), own_end(end) {
    mark_columns(a, map, ooc::Options{});
    compact = NdArray<double>::full({map.size()}, std::numeric_limits<double>::quiet_NaN());
    map.for_each(begin, end, [&](std::int64_t c) { compact.data()[map.place(c)] = at(c); });
  }
  double at(std::int64_t c) const { return x[static_cast<std::size_t>(c)]; }
  void fill_ghosts() {
    map.for_each(0, map.cols(), [&](std::int64_t c) { compact.data()[map.place(c)] = at(c); });
  }
  bool has_ghosts() const { return map.before(own_end) - map.before(own_begin) < map.size(); }
  CompactColumns columns() const { return CompactColumns{&map, own_begin, own_end, {}, {}, 0}; }
  // The product; x shares the compact vector's storage, so filling it is seen.
  std::vector<double> product(const SparseSource& a, const ooc::Options& options, const CompactColumns& columns,
                              StreamStats* stats = nullptr) {
    const AnyArray y = spmv(a, AnyArray(compact), options, false, stats, &columns);
    const auto* p = reinterpret_cast<const double*>(y.data());
    return std::vector<double>(p, p + a.rows);
  }
};

TEST(CompactColumns, ProductEqualsTheWholeX) {
  std::vector<double> x;
  const SparseSource a = random_csr(300, 5000, 7, x);
  ooc::Options options;
  options.budget = std::size_t{1} << 20;
  options.block_bytes = 1024;  // many blocks
  const AnyArray whole = spmv(a, AnyArray(NdArray<double>::from(std::vector<double>(x), {5000})), options);
  const auto* want = reinterpret_cast<const double*>(whole.data());

  RankX rank(a, x, 1000, 2000);
  ASSERT_GT(rank.map.size(), 0);
  ASSERT_LT(rank.map.size(), a.cols);
  rank.fill_ghosts();
  const std::vector<double> y = rank.product(a, options, rank.columns());
  for (std::int64_t r = 0; r < a.rows; ++r) EXPECT_EQ(y[static_cast<std::size_t>(r)], want[r]) << r;  // bit for bit
}

// The ghosts arrive while the product runs: rows are multiplied up to their first ghost
// (the ghost values are NaN until then, so reading one early would show), and y is the
// one-process product bit for bit whenever they come, whatever room the rows waiting
// for them get.
TEST(CompactColumns, GhostsArriveWhileTheOwnColumnsAreMultiplied) {
  std::vector<double> x;
  const SparseSource a = random_csr(10000, 50000, 30, x);
  ASSERT_GT(a.nnz(), 10 * 4096);  // the product asks for the ghosts every 4096 entries
  ooc::Options options;
  options.budget = std::size_t{16} << 20;
  options.block_bytes = 64 << 10;
  const AnyArray whole = spmv(a, AnyArray(NdArray<double>::from(std::vector<double>(x), {a.cols})), options);
  const auto* p = reinterpret_cast<const double*>(whole.data());
  const std::vector<double> want(p, p + a.rows);
  for (const double v : want) ASSERT_FALSE(std::isnan(v));

  for (const int late : {1, 2, 1000}) {  // the ghosts come at the late-th ask (1000: never asked so often)
    for (const std::size_t budget : {std::size_t{256} << 20, std::size_t{1} << 20}) {  // 1 MiB: room runs out
      SCOPED_TRACE(::testing::Message() << "arrive at ask " << late << ", budget " << budget);
      RankX rank(a, x, 10000, 20000);
      ASSERT_TRUE(rank.has_ghosts());
      int asks = 0, waits = 0;
      CompactColumns columns = rank.columns();
      columns.ghosts_arrived = [&] {
        if (++asks < late) return false;
        rank.fill_ghosts();
        return true;
      };
      columns.ghosts_ready = [&] {
        ++waits;
        rank.fill_ghosts();
      };
      ooc::Options o = options;
      o.budget = budget;
      StreamStats stats;
      const std::vector<double> y = rank.product(a, o, columns, &stats);
      for (std::size_t r = 0; r < want.size(); ++r) ASSERT_EQ(y[r], want[r]) << r;
      if (late == 1) {
        EXPECT_EQ(stats.entries_before_ghosts, 0);  // there at the first ask, before any row
        EXPECT_EQ(waits, 0);
      } else if (budget == std::size_t{1} << 20) {  // room for ~3700 entries: full before the second ask
        EXPECT_GT(stats.entries_before_ghosts, 0);
        EXPECT_LT(stats.entries_before_ghosts, 4096);
        EXPECT_EQ(waits, 1);
      } else if (late == 2) {  // came at the second ask, ~4096 entries in
        EXPECT_GE(stats.entries_before_ghosts, 4000);
        EXPECT_LT(stats.entries_before_ghosts, 4096 + 100);
        EXPECT_EQ(waits, 0);
      } else {  // every row multiplied up to its first ghost, the ghosts awaited at the end
        EXPECT_EQ(stats.entries_before_ghosts, a.nnz());
        EXPECT_EQ(waits, 1);
      }
    }
  }
}

TEST(CompactColumns, NoGhostsNoWait) {
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
