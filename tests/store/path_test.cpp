#include "mammoth/path.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "mammoth/h5/file.hpp"
#include "mammoth/npy.hpp"
#include "mammoth/units.hpp"
#include "test_support.hpp"

namespace mammoth {
namespace {

TEST(Path, GrammarSplitsHdf5ObjectsOnly) {
  EXPECT_EQ(parse_store_path("f.h5:/g/x").file, "f.h5");
  EXPECT_EQ(parse_store_path("f.h5:/g/x").inner, "/g/x");
  EXPECT_FALSE(parse_store_path("data.npy").is_hdf5());
  EXPECT_EQ(parse_store_path("c:weird.npy").file, "c:weird.npy");
}

TEST(Path, NewFilesAreKnownByExtension) {
  EXPECT_EQ(file_format("/nonexistent/a.npy"), FileFormat::Npy);
  EXPECT_EQ(file_format("/nonexistent/a.npz"), FileFormat::Npz);
  EXPECT_EQ(file_format("/nonexistent/a.mtx"), FileFormat::Mtx);
  EXPECT_EQ(file_format("/nonexistent/a.h5ad"), FileFormat::Hdf5);
  EXPECT_EQ(file_format("/nonexistent/a.nc"), FileFormat::Hdf5);
  EXPECT_EQ(file_format("/nonexistent/a.bin"), FileFormat::Raw);
}

TEST(Path, ExistingFilesAreKnownByContent) {
  testing::TempDir dir;
  // An HDF5 file and a .npy file under names that say otherwise.
  const std::string h5 = dir.file("matrix.dat"), npy = dir.file("vector.bin");
  {
    h5::File f(h5, Mode::Write);
    f.create_dataset("x", NdArray<float>::full({3}, 1.f));
  }
  save_npy(npy, NdArray<double>::full({3}, 2.0));
  EXPECT_EQ(file_format(h5), FileFormat::Hdf5);
  EXPECT_EQ(file_format(npy), FileFormat::Npy);
  EXPECT_EQ(spec_format(h5 + ":/x"), FileFormat::Hdf5);
  testing::write_file(dir.file("a.mtx2"), "%%MatrixMarket matrix coordinate real general\n1 1 0\n");
  EXPECT_EQ(file_format(dir.file("a.mtx2")), FileFormat::Mtx);
  testing::write_file(dir.file("raw.npy"), "not numpy at all");
  EXPECT_EQ(file_format(dir.file("raw.npy")), FileFormat::Npy);  // no signature: the name decides
}

TEST(Path, Hdf5WithAUserBlockIsHdf5) {
  testing::TempDir dir;
  const std::string plain = dir.file("plain.h5"), jammed = dir.file("jammed.dat"), block = dir.file("block.txt");
  {
    h5::File f(plain, Mode::Write);
    f.create_dataset("x", NdArray<float>::full({2}, 1.f));
  }
  testing::write_file(block, std::string(700, 'u'));  // h5jam pads it to a 1024-byte user block
  if (std::system(("h5jam -i " + plain + " -u " + block + " -o " + jammed + " >/dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "h5jam (hdf5-tools) is not installed";
  EXPECT_NE(testing::read_file(jammed).substr(0, 4), "\x89HDF");
  EXPECT_TRUE(is_hdf5_file(jammed));
  EXPECT_EQ(file_format(jammed), FileFormat::Hdf5);
  EXPECT_FALSE(is_hdf5_file(dir.file("missing.h5")));
  EXPECT_FALSE(is_hdf5_file(block));
}

TEST(Path, GroupsAreSparseDatasetsDense) {
  testing::TempDir dir;
  const std::string path = dir.file("f.h5ad");
  {
    h5::File f(path, Mode::Write);
    f.create_dataset("dense", NdArray<float>::full({2, 2}, 1.f));
    f.create_group("X");
  }
  EXPECT_EQ(content_of(path + ":/dense"), Content::DenseArray);
  EXPECT_EQ(content_of(path + ":/X"), Content::SparseMatrix);
  EXPECT_EQ(content_of(path + ":/new"), Content::DenseArray);
  EXPECT_EQ(content_of(path + ":/new", true), Content::SparseMatrix);
  EXPECT_EQ(content_of(dir.file("m.npz")), Content::SparseMatrix);
  EXPECT_EQ(content_of(dir.file("m.npy")), Content::DenseArray);
}

TEST(Units, ParsesByteSizesCaseInsensitively) {
  EXPECT_EQ(parse_bytes("64MiB"), 64 * kMiB);
  EXPECT_EQ(parse_bytes("64mib"), 64 * kMiB);
  EXPECT_EQ(parse_bytes("64M"), 64 * kMiB);
  EXPECT_EQ(parse_bytes("64mb"), 64 * kMiB);
  EXPECT_EQ(parse_bytes("1G"), kGiB);
  EXPECT_EQ(parse_bytes("1.5TiB"), 3 * (kGiB << 9));
  EXPECT_EQ(parse_bytes("512k"), 512 * kKiB);
  EXPECT_EQ(parse_bytes("1000"), 1000u);
  EXPECT_EQ(parse_bytes("7B"), 7u);
}

TEST(Units, RejectsJunkWithTheOptionName) {
  for (const char* bad : {"", "MiB", "-5M", "0", "12 parsecs", "12abc", "nan", "inf", "0x10", " 5M", "1.5.5M", "1e30",
                          "5Mi", "5KBB", "5p"}) {
    try {
      parse_bytes(bad, "--budget");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--budget"), std::string::npos) << e.what();
    }
  }
}

TEST(Units, FormatsBytes) {
  EXPECT_EQ(format_bytes(64.0 * kMiB), "64.0 MiB");
  EXPECT_EQ(format_bytes(100), "100 B");
  EXPECT_EQ(format_bytes(-2048, 2), "-2.00 KiB");
  EXPECT_EQ(format_bytes(1.5 * static_cast<double>(kGiB << 10)), "1.5 TiB");
}

}  // namespace
}  // namespace mammoth
