#include <gtest/gtest.h>

#include <cstdlib>

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

// Set for a striped file system: objects of at least the stripe start on a multiple of it.
TEST(H5File, AlignmentFromTheEnvironment) {
  TempDir dir;
  const auto offset_of = [&](const std::string& name, const char* alignment) {
    if (alignment)
      ::setenv("MAMMOTH_HDF5_ALIGNMENT", alignment, 1);
    else
      ::unsetenv("MAMMOTH_HDF5_ALIGNMENT");
    File f(dir.file(name), "w");
    f.create_dataset("small", AnyArray::zeros(DType(ScalarType::Float64), {10}));
    const Dataset big = f.create_dataset("big", AnyArray::zeros(DType(ScalarType::Float64), {40000}));
    return big.properties().offset.value_or(1);
  };
  EXPECT_EQ(offset_of("aligned.h5", "64KiB") % 65536, 0u);
  EXPECT_NE(offset_of("packed.h5", nullptr) % 65536, 0u);  // libhdf5 packs it after the small one
  ::setenv("MAMMOTH_HDF5_ALIGNMENT", "lots", 1);
  try {
    File f(dir.file("junk.h5"), "w");
    ADD_FAILURE() << "a junk alignment was accepted";
  } catch (const mammoth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("MAMMOTH_HDF5_ALIGNMENT"), std::string::npos) << e.what();
  }
  ::unsetenv("MAMMOTH_HDF5_ALIGNMENT");
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
