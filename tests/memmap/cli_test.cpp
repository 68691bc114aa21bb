// The CLI's info, random, convert and tour section 2, run as a user would.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "mammoth/memmap.hpp"
#include "mammoth/npy.hpp"
#include "mammoth/random.hpp"
#include "test_support.hpp"

namespace mammoth {
namespace {

using testing::read_file;
using testing::run_cli;
using testing::TempDir;

TEST(Cli, RandomThenInfo) {
  TempDir dir;
  const std::string path = dir.file("x.npy");
  auto r = run_cli({"random", path, "--shape", "10,1000", "--dtype", "float32", "--seed", "3"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli({"info", path});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("dtype:   float32 (<f4)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("shape:   (10, 1000)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("version: 1.0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bytes:   40000"), std::string::npos) << r.out;
  r = run_cli({"info", "--json", path});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"file\": \"" + path +
                "\", \"dtype\": \"<f4\", \"dtype_name\": \"float32\", \"shape\": [10, 1000], \"size\": 10000, "
                "\"format\": \"npy\", \"version\": \"1.0\", \"order\": \"C\", \"offset\": 128, \"bytes\": 40000}\n");
}

TEST(Cli, RandomMatchesTheLibraryAndIsReproducible) {
  TempDir dir;
  ASSERT_EQ(run_cli({"random", dir.file("a.npy"), "--shape", "3,70000", "--seed", "5", "--dist", "normal"}).status, 0);
  ASSERT_EQ(run_cli({"random", dir.file("b.npy"), "--shape", "3,70000", "--seed", "5", "--dist", "normal"}).status, 0);
  ASSERT_EQ(run_cli({"random", dir.file("c.npy"), "--shape", "3,70000", "--seed", "6", "--dist", "normal"}).status, 0);
  EXPECT_EQ(read_file(dir.file("a.npy")), read_file(dir.file("b.npy")));
  EXPECT_NE(read_file(dir.file("a.npy")), read_file(dir.file("c.npy")));
  RandomSpec spec;
  spec.seed = 5;
  spec.dist = Distribution::Normal;
  std::vector<double> expected(210000);
  fill_random(expected.data(), DType(ScalarType::Float64), 0, 210000, spec);
  const AnyArray a = load_npy(dir.file("a.npy"));
  EXPECT_EQ(std::memcmp(a.data(), expected.data(), a.nbytes()), 0);
}

TEST(Cli, RandomIntegersAndRawOutput) {
  TempDir dir;
  auto r = run_cli({"random", dir.file("i.dat"), "--shape", "1000", "--dtype", "int16", "--dist", "integers", "--low",
                    "10", "--high", "20"});
  ASSERT_EQ(r.status, 0) << r.err;
  const Memmap m = Memmap::open_raw(dir.file("i.dat"), RawLayout{DType(ScalarType::Int16), {}, 0, Order::C});
  for (std::int16_t v : m.as<std::int16_t>()) {
    ASSERT_GE(v, 10);
    ASSERT_LT(v, 20);
  }
}

TEST(Cli, ConvertRawToNpyAndBack) {
  TempDir dir;
  std::string raw(16, '\0');
  for (std::int32_t i = 0; i < 6; ++i) raw.append(reinterpret_cast<const char*>(&i), 4);
  testing::write_file(dir.file("in.dat"), raw);
  auto r = run_cli({"convert", dir.file("in.dat"), dir.file("out.npy"), "--dtype", "int32", "--shape", "2,3",
                    "--offset", "16", "--to-dtype", "float64"});
  ASSERT_EQ(r.status, 0) << r.err;
  const AnyArray a = load_npy(dir.file("out.npy"));
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(a.as<double>()(1, 2), 5.0);
  r = run_cli({"convert", dir.file("out.npy"), dir.file("back.dat"), "--to-dtype", "int32"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file(dir.file("back.dat")), raw.substr(16));
  r = run_cli({"info", dir.file("back.dat"), "--dtype", "int32", "--shape", "3,2"});
  EXPECT_NE(r.out.find("format:  raw"), std::string::npos) << r.out;
}

TEST(Cli, ConvertLeavesOnlyTheFinishedDestination) {
  TempDir dir;
  const std::string src = dir.file("a.npy");
  ASSERT_EQ(run_cli({"random", src, "--shape", "300,700", "--dtype", "float32", "-q"}).status, 0);
  // A budget far below one row forces many blocks through the engine.
  auto r = run_cli({"convert", src, dir.file("b.h5") + ":/x", "--to-dtype", "float64", "--budget", "64KiB", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a.npy", "b.h5"}));  // no temporary left behind
  r = run_cli({"convert", dir.file("b.h5") + ":/x", dir.file("c.npy"), "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  const AnyArray a = load_npy(src), c = load_npy(dir.file("c.npy"));
  EXPECT_EQ(c.dtype(), DType(ScalarType::Float64));
  EXPECT_EQ(static_cast<double>(a.as<float>()(299, 699)), c.as<double>()(299, 699));
  // A failed conversion leaves nothing under the destination's name.
  r = run_cli({"convert", src, dir.file("d.npy"), "--budget", "1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.file("d.npy")));
}

TEST(Cli, ErrorsAndUsage) {
  TempDir dir;
  auto r = run_cli({"info", dir.file("missing.npy")});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("mammoth: error: " + dir.file("missing.npy") + ": cannot open", 0), 0U) << r.err;
  r = run_cli({"random", dir.file("x.npy")});  // --shape is required
  EXPECT_EQ(r.status, 2);
  r = run_cli({"random", dir.file("x.npy"), "--shape", "4", "--dtype", "int8"});  // uniform ints
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("integers"), std::string::npos) << r.err;
  r = run_cli({"random", dir.file("x.npy"), "--shape", "4", "--dtype", "object"});
  EXPECT_EQ(r.status, 1);
  r = run_cli({"random", dir.file("x.npy"), "--shape", "4", "--compression", "gzip"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("need an HDF5 destination"), std::string::npos) << r.err;
  r = run_cli({"info", dir.file("x.weird")});  // no format, no --dtype
  EXPECT_EQ(r.status, 1);
  ASSERT_EQ(run_cli({"random", dir.file("s.npy"), "--shape", "4"}).status, 0);
  r = run_cli({"convert", dir.file("s.npy"), dir.file("h.npy"), "--to-dtype", "complex256"});
  EXPECT_EQ(r.status, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.file("h.npy")));
  r = run_cli({"convert", dir.file("s.npy"), dir.file("s.npy")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("same file"), std::string::npos) << r.err;
  EXPECT_EQ(load_npy(dir.file("s.npy")).size(), 4);
}

TEST(Cli, TourSectionRuns) {
  TempDir dir;
  const auto r = run_cli({"tour", "--scale", "small", "--dir", dir.path().string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("== 2. NumPy's memory mappings =="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("reopen by path alone"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("last row identical after reopening: yes"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mammoth
