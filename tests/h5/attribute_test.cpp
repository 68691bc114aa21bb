#include <gtest/gtest.h>

#include "mammoth/h5.hpp"
#include "test_support.hpp"

namespace mammoth::h5 {
namespace {

using mammoth::testing::TempDir;

void exercise(const Attributes& a) {
  a.write("count", std::int64_t{42});
  a.write("scale", 0.125);
  a.write("flag", true);
  a.write("title", "a title");
  a.write("vec", AnyArray(NdArray<float>::from({1, 2, 3}, {3})));
  EXPECT_EQ(a.names(), (std::vector<std::string>{"count", "flag", "scale", "title", "vec"}));
  EXPECT_EQ(a.read_scalar<std::int64_t>("count"), 42);
  EXPECT_EQ(a.read_scalar<double>("count"), 42.0);
  EXPECT_EQ(a.read_scalar<double>("scale"), 0.125);
  EXPECT_TRUE(a.read_scalar<bool>("flag"));
  EXPECT_EQ(a.read_string("title"), "a title");
  EXPECT_EQ(std::get<std::string>(a.read("title")), "a title");
  const AnyArray vec = std::get<AnyArray>(a.read("vec"));
  EXPECT_EQ(vec.shape(), Shape{3});
  EXPECT_EQ(vec.as<float>()(2), 3.0f);
  EXPECT_EQ(std::get<AnyArray>(a.read("count")).ndim(), 0);
  EXPECT_THROW(a.read_scalar<double>("title"), TypeError);
  EXPECT_THROW(a.read_string("count"), TypeError);
  EXPECT_THROW(a.read_scalar<double>("vec"), ShapeError);
  a.write("count", "now a string");  // replaces
  EXPECT_EQ(a.read_string("count"), "now a string");
  a.remove("vec");
  EXPECT_FALSE(a.contains("vec"));
  EXPECT_THROW(a.read("vec"), Error);
  EXPECT_THROW(a.remove("vec"), Error);
}

TEST(H5Attributes, OnFileGroupAndDataset) {
  TempDir dir;
  const std::string path = dir.file("a.h5");
  {
    File f(path, "w");
    exercise(f.attrs());
    exercise(f.create_group("g").attrs());
    exercise(f.create_dataset("d", {3}, DType(ScalarType::Float32)).attrs());
  }
  File f(path, "r");
  EXPECT_EQ(f.group("g").attrs().read_scalar<double>("scale"), 0.125);
  EXPECT_EQ(f.dataset("d").attrs().read_string("title"), "a title");
  EXPECT_THROW(f.attrs().write("x", 1.0), Error);  // read-only file
}

TEST(H5Attributes, ReadsH5pyFixedLengthStrings) {
  File f(std::string(MAMMOTH_SOURCE_DIR) + "/tests/h5/data/h5py_types.h5", "r");
  EXPECT_EQ(f.attrs().read_string("fixed"), "fixed text");
  EXPECT_THROW(f.attrs().read("names"), TypeError);  // an array of strings
}

}  // namespace
}  // namespace mammoth::h5
