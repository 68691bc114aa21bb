#include "mammoth/ooc/budget.hpp"

#include <gtest/gtest.h>

#include "mammoth/error.hpp"

namespace mammoth::ooc {
namespace {

TEST(ParseBytes, UnitsArePowersOf1024) {
  EXPECT_EQ(parse_bytes("64MiB"), 64u << 20);
  EXPECT_EQ(parse_bytes("64M"), 64u << 20);
  EXPECT_EQ(parse_bytes("1.5g"), 3u << 29);
  EXPECT_EQ(parse_bytes("512k"), 512u << 10);
  EXPECT_EQ(parse_bytes("1000"), 1000u);
  for (const char* bad : {"", "MiB", "-5M", "0", "12 parsecs", "nan"}) EXPECT_THROW(parse_bytes(bad), Error) << bad;
}

TEST(FormatBytes, Readable) {
  EXPECT_EQ(format_bytes(64 << 20), "64.0 MiB");
  EXPECT_EQ(format_bytes(100), "100 B");
}

TEST(BlockShape, WholeTrailingAxesThenRows) {
  EXPECT_EQ(block_shape({1000, 100000}, 8'000'000), (Shape{80, 100000}));
  EXPECT_EQ(block_shape({1000, 100000}, 1'000'000'000), (Shape{1000, 100000}));
  EXPECT_EQ(block_shape({1000, 100000}, 50'000), (Shape{1, 50000}));  // a row over budget
  EXPECT_EQ(block_shape({10, 20, 30}, 1000), (Shape{1, 20, 30}));
  EXPECT_EQ(block_shape({10, 20, 30}, 100), (Shape{1, 3, 30}));
  EXPECT_EQ(block_shape({5}, 0), (Shape{1}));
  EXPECT_EQ(block_shape({0, 5}, 100), (Shape{1, 5}));
}

TEST(BlockShape, AlignsToChunks) {
  EXPECT_EQ(block_shape({1000, 1000}, 250'000, {100, 100}), (Shape{200, 1000}));
  // Less than a chunk row fits: one chunk row, a whole number of chunk columns.
  EXPECT_EQ(block_shape({1000, 100000}, 8'000'000, {100, 1000}), (Shape{100, 80000}));
  // Not even one chunk fits: a run along the last axis, whole chunks of it.
  EXPECT_EQ(block_shape({1000, 100000}, 50'500, {100, 1000}), (Shape{1, 50000}));
}

TEST(BlockGrid, TilesInCOrderWithSmallerEdges) {
  const BlockGrid grid({5, 7}, {2, 3});
  ASSERT_EQ(grid.size(), 9);
  const Box last = grid[8];
  EXPECT_EQ(last.offset, (Shape{4, 6}));
  EXPECT_EQ(last.count, (Shape{1, 1}));
  EXPECT_EQ(grid[1].offset, (Shape{0, 3}));
  EXPECT_EQ(BlockGrid({0, 7}, {1, 7}).size(), 0);
  EXPECT_EQ(BlockGrid({}, {}).size(), 1);
}

TEST(ContiguousBox, OneRunOfMemory) {
  EXPECT_TRUE(is_contiguous_box(Box{{2, 0}, {3, 10}}, {8, 10}));
  EXPECT_TRUE(is_contiguous_box(Box{{2, 4}, {1, 5}}, {8, 10}));
  EXPECT_FALSE(is_contiguous_box(Box{{2, 4}, {2, 5}}, {8, 10}));
  EXPECT_TRUE(is_contiguous_box(Box{{0, 1, 0}, {1, 2, 4}}, {3, 5, 4}));
  EXPECT_FALSE(is_contiguous_box(Box{{0, 1, 0}, {1, 2, 3}}, {3, 5, 4}));
}

TEST(BlockBudget, RefusesWhenFixedPartsFillIt) {
  Options o;
  o.budget = 1 << 20;
  EXPECT_EQ(block_budget(o, 1000, 24, "x"), (1u << 20) - 1024);
  EXPECT_THROW(block_budget(o, 1 << 20, 0, "x"), Error);
}

}  // namespace
}  // namespace mammoth::ooc
