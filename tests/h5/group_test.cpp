#include <gtest/gtest.h>

#include "mammoth/h5.hpp"
#include "test_support.hpp"

namespace mammoth::h5 {
namespace {

using mammoth::testing::TempDir;

TEST(H5Group, CreateWithIntermediatesAndNames) {
  TempDir dir;
  File f(dir.file("g.h5"), "w");
  EXPECT_EQ(f.name(), "/");
  Group c = f.create_group("a/b/c");
  EXPECT_EQ(c.name(), "/a/b/c");
  EXPECT_TRUE(f.contains("a"));
  EXPECT_TRUE(f.contains("a/b"));
  EXPECT_TRUE(f.contains("/a/b/c"));
  EXPECT_FALSE(f.contains("a/x/c"));
  EXPECT_EQ(f.group("a").group("b").name(), "/a/b");
  EXPECT_EQ(f.group("a/b").kind("c"), ObjectKind::Group);
  Group b = f.group("a/b");
  Dataset d = b.create_dataset("d", {2}, DType(ScalarType::Int32));
  EXPECT_EQ(d.name(), "/a/b/d");
  EXPECT_EQ(b.dataset("/a/b/d").name(), "/a/b/d");
  EXPECT_THROW(f.create_group("a/b"), Error);
  EXPECT_THROW(f.group("a/b/d"), Error);  // a dataset
  EXPECT_THROW(f.dataset("a/b"), Error);  // a group
  EXPECT_THROW(f.group("nowhere"), Error);
  EXPECT_EQ(f.require_group("a/b").name(), "/a/b");
  EXPECT_EQ(f.require_group("n/m").name(), "/n/m");
}

TEST(H5Group, MembersInNameOrderAndVisit) {
  TempDir dir;
  File f(dir.file("v.h5"), "w");
  f.create_group("z/inner");
  f.create_dataset("b", {1}, DType(ScalarType::UInt8));
  f.create_dataset("z/inner/x", {1}, DType(ScalarType::UInt8));
  f.create_group("a");
  std::vector<std::string> names;
  for (const Member& m : f.members()) names.push_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "z"}));
  std::vector<std::string> visited;
  f.visit([&](const Member& m) { visited.push_back(m.name + ":" + kind_name(m.kind)); });
  EXPECT_EQ(visited,
            (std::vector<std::string>{"a:group", "b:dataset", "z:group", "z/inner:group", "z/inner/x:dataset"}));
}

TEST(H5Group, SoftLinksAreFollowedAndCyclesVisitedOnce) {
  TempDir dir;
  File f(dir.file("s.h5"), "w");
  f.create_dataset("data/x", NdArray<double>::from({1, 2}, {2}));
  f.create_soft_link("alias", "/data/x");
  f.create_soft_link("data/up", "/data");  // a cycle
  f.create_soft_link("broken", "/nothing");
  EXPECT_TRUE(f.contains("alias"));
  EXPECT_FALSE(f.contains("broken"));
  EXPECT_EQ(f.kind("broken"), ObjectKind::Missing);
  EXPECT_EQ(f.dataset("alias").read_all_as<double>()(1), 2.0);
  EXPECT_EQ(f.dataset("data/up/x").read_all_as<double>()(0), 1.0);
  std::vector<std::string> visited;
  f.visit([&](const Member& m) { visited.push_back(m.name + (m.soft_link.empty() ? "" : "->" + m.soft_link)); });
  EXPECT_EQ(visited,
            (std::vector<std::string>{"alias->/data/x", "broken->/nothing", "data", "data/up->/data", "data/x"}));
}

TEST(H5Group, RemoveUnlinks) {
  TempDir dir;
  File f(dir.file("r.h5"), "w");
  f.create_dataset("g/x", {3}, DType(ScalarType::Float64));
  f.remove("g/x");
  EXPECT_FALSE(f.contains("g/x"));
  EXPECT_TRUE(f.contains("g"));
  EXPECT_THROW(f.remove("g/x"), Error);
}

}  // namespace
}  // namespace mammoth::h5
