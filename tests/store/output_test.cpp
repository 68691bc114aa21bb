// The output commit (output.hpp): a destination changes only on commit().
#include "mammoth/output.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "mammoth/h5/file.hpp"
#include "mammoth/npy.hpp"
#include "test_support.hpp"

namespace mammoth {
namespace {

std::size_t files_in(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(OutputCommit, WholeFileAppearsOnlyOnCommit) {
  testing::TempDir dir;
  const std::string dst = dir.file("y.npy");
  save_npy(dst, NdArray<double>::full({3}, 1.0));
  {
    OutputCommit out(dst);
    EXPECT_NE(out.spec(), dst);
    EXPECT_EQ(std::filesystem::path(out.spec()).parent_path(), dir.path());
    EXPECT_EQ(std::filesystem::path(out.spec()).extension(), ".npy");
    save_npy(out.spec(), NdArray<double>::full({4}, 2.0));
    EXPECT_EQ(load_npy(dst).shape(), (Shape{3}));  // not yet
    out.commit();
  }
  EXPECT_EQ(load_npy(dst).shape(), (Shape{4}));
  EXPECT_EQ(files_in(dir.path()), 1u);
}

TEST(OutputCommit, AbandonedWholeFileLeavesTheOldOneAndNoTemporary) {
  testing::TempDir dir;
  const std::string dst = dir.file("y.npy");
  save_npy(dst, NdArray<double>::full({3}, 1.0));
  {
    OutputCommit out(dst);
    save_npy(out.spec(), NdArray<double>::full({4}, 2.0));
  }
  EXPECT_EQ(load_npy(dst).shape(), (Shape{3}));
  EXPECT_EQ(files_in(dir.path()), 1u);
}

TEST(OutputCommit, Hdf5ObjectInAnExistingFileSwapsLinksOnCommit) {
  testing::TempDir dir;
  const std::string file = dir.file("f.h5");
  {
    h5::File f(file, Mode::Write);
    f.create_dataset("keep", NdArray<float>::full({5}, 7.f));
    f.create_dataset("g/x", NdArray<float>::full({2}, 1.f));
  }
  {
    OutputCommit out(file + ":/g/x");
    EXPECT_EQ(parse_store_path(out.spec()).file, file);
    {
      h5::File f(file, Mode::ReadWrite);
      f.create_dataset(parse_store_path(out.spec()).inner, NdArray<float>::full({3}, 2.f));
      EXPECT_EQ(f.dataset("g/x").shape(), (Shape{2}));
    }
    out.commit();
  }
  h5::File f(file, Mode::Read);
  EXPECT_EQ(f.dataset("g/x").shape(), (Shape{3}));
  EXPECT_EQ(f.dataset("keep").shape(), (Shape{5}));
  EXPECT_EQ(f.group("g").members().size(), 1u);
}

TEST(OutputCommit, AbandonedHdf5ObjectLeavesTheFileAsItWas) {
  testing::TempDir dir;
  const std::string file = dir.file("f.h5");
  { h5::File(file, Mode::Write).create_dataset("x", NdArray<float>::full({2}, 1.f)); }
  {
    OutputCommit out(file + ":/x");
    h5::File(file, Mode::ReadWrite).create_dataset(parse_store_path(out.spec()).inner, NdArray<float>::full({3}, 2.f));
  }
  h5::File f(file, Mode::Read);
  EXPECT_EQ(f.dataset("x").shape(), (Shape{2}));
  EXPECT_EQ(f.members().size(), 1u);
}

}  // namespace
}  // namespace mammoth
