// Rank shares (no MPI needed): contiguous, complete, balanced, aligned to chunk rows, and
// the view of a share runs the one-process engine unchanged.
#include "mammoth/mpi/share.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "mammoth/ooc/matvec.hpp"
#include "mammoth/ooc/reduce.hpp"

namespace mammoth::mpi {
namespace {

std::vector<RowRange> all_shares(std::int64_t rows, int ranks, std::int64_t align = 1) {
  std::vector<RowRange> out;
  for (int r = 0; r < ranks; ++r) out.push_back(rank_share(rows, r, ranks, align));
  return out;
}

void expect_tiling(const std::vector<RowRange>& shares, std::int64_t rows) {
  std::int64_t next = 0;
  for (const RowRange& s : shares) {
    EXPECT_EQ(s.begin, next);
    EXPECT_LE(s.begin, s.end);
    next = s.end;
  }
  EXPECT_EQ(next, rows);
}

TEST(RankShare, EvenSplitTilesTheRows) {
  for (std::int64_t rows : {0, 1, 2, 3, 7, 37, 1000, 1001})
    for (int ranks = 1; ranks <= 5; ++ranks) {
      const auto shares = all_shares(rows, ranks);
      expect_tiling(shares, rows);
      for (const RowRange& s : shares) {
        EXPECT_GE(s.size(), rows / ranks);
        EXPECT_LE(s.size(), rows / ranks + 1);
      }
    }
}

TEST(RankShare, MoreRanksThanRowsLeavesSomeEmpty) {
  const auto shares = all_shares(3, 4);
  expect_tiling(shares, 3);
  EXPECT_EQ(std::count_if(shares.begin(), shares.end(), [](const RowRange& s) { return s.empty(); }), 1);
}

TEST(RankShare, CutsFallOnChunkRows) {
  const auto shares = all_shares(37, 4, 8);  // 5 chunk rows (the last short) over 4 ranks
  expect_tiling(shares, 37);
  EXPECT_EQ(shares[0], (RowRange{0, 8}));
  EXPECT_EQ(shares[3], (RowRange{24, 37}));
  for (const RowRange& s : shares) EXPECT_EQ(s.begin % 8, 0);
  const auto few = all_shares(37, 4, 16);  // 3 chunk rows: one rank has none
  expect_tiling(few, 37);
  EXPECT_EQ(std::count_if(few.begin(), few.end(), [](const RowRange& s) { return s.empty(); }), 1);
}

TEST(RankShare, HugeRowCountsDoNotOverflow) {
  const std::int64_t rows = std::int64_t{1} << 62;
  expect_tiling(all_shares(rows, 3), rows);
}

TEST(RankShare, BadRankThrows) {
  EXPECT_THROW(rank_share(10, 2, 2), Error);
  EXPECT_THROW(rank_share(10, 0, 0), Error);
  EXPECT_THROW(rank_share(-1, 0, 1), Error);
}

TEST(WeightedShare, BalancesTheWeight) {
  // Row weights 10, 0, 0, 1, 1, 1, 1, 10, 0: total 24, so about 8 per rank of 3.
  const std::vector<std::int64_t> prefix{0, 10, 10, 10, 11, 12, 13, 14, 24, 24};
  std::vector<RowRange> shares;
  for (int r = 0; r < 3; ++r) shares.push_back(weighted_share(prefix, r, 3));
  expect_tiling(shares, 9);
  EXPECT_EQ(shares[0], (RowRange{0, 1}));  // the first row alone outweighs a third
  EXPECT_EQ(shares[1], (RowRange{1, 7}));
  EXPECT_EQ(shares[2], (RowRange{7, 9}));
  const std::vector<std::int64_t> none{5, 5, 5, 5, 5};  // no weight: the even row split
  expect_tiling({weighted_share(none, 0, 2), weighted_share(none, 1, 2)}, 4);
  EXPECT_EQ(weighted_share(none, 0, 2), (RowRange{0, 2}));
}

TEST(WeightedShare, ReadsThePrefixOnDemandAFewTimesPerCut) {
  // 2^40 rows of 3 entries each: found by binary search, never read whole.
  const std::int64_t rows = std::int64_t{1} << 40;
  std::int64_t reads = 0;
  const auto at = [&](std::int64_t i) {
    ++reads;
    return 3 * i;
  };
  std::vector<RowRange> shares;
  for (int r = 0; r < 4; ++r) shares.push_back(weighted_share(rows, at, r, 4));
  expect_tiling(shares, rows);
  EXPECT_EQ(shares[1], (RowRange{rows / 4, rows / 2}));
  EXPECT_LT(reads, 4 * 2 * 50);  // two cuts a rank, ~42 reads a cut
  // The span form gives the same cuts.
  const std::vector<std::int64_t> prefix{0, 10, 10, 10, 11, 12, 13, 14, 24, 24};
  for (int r = 0; r < 3; ++r)
    EXPECT_EQ(weighted_share(prefix, r, 3),
              weighted_share(
                  9, [&](std::int64_t i) { return prefix[static_cast<std::size_t>(i)]; }, r, 3));
}

TEST(WeightedCut, EachRankFindsItsOwnCutOfTheSameSplit) {
  // What every rank finds alone (its own cut, one binary search) tiles as weighted_share.
  const std::vector<std::int64_t> prefix{0, 10, 10, 10, 11, 12, 13, 14, 24, 24, 30};
  std::int64_t reads = 0;
  const auto at = [&](std::int64_t i) {
    ++reads;
    return prefix[static_cast<std::size_t>(i)];
  };
  for (int ranks : {1, 2, 3, 4, 7, 12}) {
    SCOPED_TRACE(ranks);
    std::vector<RowRange> shares;
    for (int r = 0; r < ranks; ++r) {
      const RowRange share{weighted_cut(10, at, r, ranks), weighted_cut(10, at, r + 1, ranks)};
      EXPECT_EQ(share, weighted_share(prefix, r, ranks));
      shares.push_back(share);
    }
    expect_tiling(shares, 10);
  }
  reads = 0;
  weighted_cut(
      std::int64_t{1} << 40, [&](std::int64_t i) { return ++reads, 3 * i; }, 2, 4);
  EXPECT_LT(reads, 50);  // one search
  EXPECT_THROW(weighted_cut(10, at, 5, 4), Error);
  EXPECT_THROW(weighted_cut(-1, at, 0, 4), Error);
}

AnyArray matrix(std::int64_t m, std::int64_t n) {
  AnyArray a = AnyArray::empty(DType(ScalarType::Float64), {m, n});
  auto* p = reinterpret_cast<double*>(a.data());
  for (std::int64_t i = 0; i < m * n; ++i) p[i] = static_cast<double>(i % 13) / 4;
  return a;
}

TEST(RowsOf, TheEngineRunsOnAShareAsOnTheWhole) {
  ArrayStore whole(matrix(37, 23), "A");
  AnyArray x = AnyArray::empty(DType(ScalarType::Float64), {23});
  std::fill_n(reinterpret_cast<double*>(x.data()), 23, 0.5);
  const AnyArray full = ooc::matvec(whole, x);
  ooc::Options small;
  small.budget = 8 * 1024;  // many blocks
  small.block_bytes = 512;
  int calls = 0;
  for (const RowRange share : {RowRange{0, 10}, RowRange{10, 37}, RowRange{36, 37}}) {
    const auto view = rows_of(whole, share, [&] { ++calls; });
    EXPECT_EQ(view->shape(), (Shape{share.size(), 23}));
    ASSERT_TRUE(view->mapped().has_value());  // zero-copy: a slice of the whole's mapping
    EXPECT_EQ(view->mapped()->data(), whole.array().data() + share.begin * 23 * 8);
    const AnyArray part = ooc::matvec(*view, x, small);
    for (std::int64_t i = 0; i < share.size(); ++i)
      EXPECT_EQ(reinterpret_cast<const double*>(part.data())[i],
                reinterpret_cast<const double*>(full.data())[share.begin + i]);
  }
  EXPECT_GT(calls, 0);  // the hook ran before the I/O
}

TEST(RowsOf, WritesLandInTheSharesRows) {
  ArrayStore whole(AnyArray::zeros(DType(ScalarType::Float64), {6, 2}), "out");
  const auto view = rows_of(whole, RowRange{2, 4});
  const double values[4] = {1, 2, 3, 4};
  view->write(Box::whole({2, 2}), values, DType(ScalarType::Float64));
  const auto* p = reinterpret_cast<const double*>(whole.array().data());
  EXPECT_EQ(p[3], 0);
  EXPECT_EQ(p[4], 1);
  EXPECT_EQ(p[7], 4);
  EXPECT_EQ(p[8], 0);
  EXPECT_THROW(view->write(Box::rows({3, 2}, 0, 3), values, DType(ScalarType::Float64)), ShapeError);
  EXPECT_THROW(rows_of(whole, RowRange{5, 7}), ShapeError);
}

}  // namespace
}  // namespace mammoth::mpi
