#include <gtest/gtest.h>

#include <filesystem>

#include "mammoth/h5.hpp"
#include "test_support.hpp"

namespace mammoth::h5 {
namespace {

using mammoth::testing::TempDir;
using mammoth::testing::write_file;

TEST(H5File, ModesFollowH5py) {
  TempDir dir;
  const std::string path = dir.file("m.h5");
  EXPECT_THROW(File(path, "r"), IoError);
  EXPECT_THROW(File(path, "r+"), IoError);
  {
    File f(path, "x");
    f.create_group("made_by_x");
  }
  EXPECT_THROW(File(path, "x"), IoError);
  EXPECT_THROW(File(path, "w-"), IoError);
  {
    File f(path, "a");
    EXPECT_TRUE(f.contains("made_by_x"));
    f.create_group("added_by_a");
  }
  {
    File f(path, "r");
    EXPECT_FALSE(f.writable());
    EXPECT_TRUE(f.contains("added_by_a"));
    EXPECT_THROW(f.create_group("nope"), Error);
  }
  {
    File f(path, "w");  // truncates
    EXPECT_FALSE(f.contains("made_by_x"));
  }
  const std::string fresh = dir.file("fresh.h5");
  { File f(fresh, "a"); }
  EXPECT_TRUE(is_hdf5(fresh));
  EXPECT_THROW(File(fresh, "c"), Error);
}

TEST(H5File, CloseFlushAndRaii) {
  TempDir dir;
  const std::string path = dir.file("c.h5");
  File f(path, "w");
  f.create_dataset("x", NdArray<int>::from({1, 2, 3}, {3}));
  f.flush();
  f.close();
  EXPECT_FALSE(f.is_open());
  f.close();  // closing twice is harmless
  EXPECT_THROW(f.flush(), Error);
  File g(path, "r");
  EXPECT_EQ(g.dataset("x").read_all_as<int>()(2), 3);
}

TEST(H5File, NotHdf5GivesFormatError) {
  TempDir dir;
  const std::string path = dir.file("text.h5");
  write_file(path, "this is not an HDF5 file, just some text that is long enough to have no signature\n");
  EXPECT_FALSE(is_hdf5(path));
  try {
    File f(path, "r");
    FAIL() << "opened a text file";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("text.h5"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos);
  }
  EXPECT_THROW(File(dir.path().string(), "r"), IoError);  // a folder
}

TEST(H5File, TruncatedGivesErrorWithHdf5Stack) {
  TempDir dir;
  const std::string path = dir.file("full.h5");
  {
    File f(path, "w");
    f.create_dataset("x", NdArray<double>::full({1000}, 1.5));
  }
  const std::string bytes = mammoth::testing::read_file(path);
  const std::string cut = dir.file("cut.h5");
  write_file(cut, bytes.substr(0, bytes.size() / 2));
  try {
    File f(cut, "r");
    FAIL() << "opened a truncated file";
  } catch (const mammoth::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cut.h5"), std::string::npos) << what;
    EXPECT_NE(what.find("truncated"), std::string::npos) << what;  // from HDF5's error stack
  }
}

TEST(H5File, LockingCanBeTurnedOff) {
  TempDir dir;
  const std::string path = dir.file("l.h5");
  FileOptions options;
  options.locking = false;
  File w(path, Mode::Write, options);
  w.create_group("g");
  w.flush();
  // With locks off a second (read-only) open of a file open for writing is allowed.
  File r(path, Mode::Read, options);
  EXPECT_TRUE(r.contains("g"));
}

TEST(H5File, ErrorsNameObjectAndHdf5Reason) {
  TempDir dir;
  File f(dir.file("e.h5"), "w");
  try {
    f.dataset("missing/x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("e.h5:/missing/x"), std::string::npos) << e.what();
  }
  f.create_dataset("x", {4}, DType(ScalarType::Float32));
  try {
    f.create_dataset("x", {4}, DType(ScalarType::Float32));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos);
  }
  Dataset d = f.dataset("x");
  // A failing libhdf5 call: resizing a contiguous dataset.
  EXPECT_THROW(d.resize({8}), ShapeError);
}

}  // namespace
}  // namespace mammoth::h5
