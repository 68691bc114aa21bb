// The generic info / random / convert commands reach the sparse formats: .npz, .mtx,
// HDF5 groups, and dense .npy on the way out.
#include <gtest/gtest.h>

#include "mammoth/npy.hpp"
#include "mammoth/sparse/files.hpp"
#include "test_support.hpp"

namespace {

using mammoth::testing::run_cli;
using mammoth::testing::TempDir;

TEST(GenericCli, RandomInfoConvertReachSparseFiles) {
  TempDir dir;
  const std::string npz = dir.file("a.npz"), mtx = dir.file("a.mtx"), group = dir.file("a.h5") + ":/m";
  auto r = run_cli({"random", npz, "--shape", "30,40", "--density", "0.25", "--seed", "7"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli({"info", "--json", npz});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"nnz\": 300"), std::string::npos) << r.out;  // round(0.25 * 30 * 40)
  ASSERT_EQ(run_cli({"convert", npz, mtx}).status, 0);
  ASSERT_EQ(run_cli({"convert", mtx, group}).status, 0);
  r = run_cli({"info", group});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("anndata"), std::string::npos) << r.out;
  ASSERT_EQ(run_cli({"convert", group, dir.file("back.npz"), "--format", "coo"}).status, 0);
  ASSERT_EQ(run_cli({"convert", dir.file("back.npz"), dir.file("dense.npy")}).status, 0);
  const mammoth::AnyArray dense = mammoth::load_npy(dir.file("dense.npy"));
  EXPECT_EQ(dense.shape(), mammoth::Shape({30, 40}));
  std::int64_t nonzero = 0;
  for (double v : dense.as<double>()) nonzero += v != 0.0;
  EXPECT_EQ(nonzero, 300);
}

TEST(GenericCli, DenseHdf5DatasetsStayDense) {
  TempDir dir;
  const std::string spec = dir.file("d.h5") + ":/x";
  ASSERT_EQ(run_cli({"random", spec, "--shape", "4,5", "-q"}).status, 0);
  auto r = run_cli({"info", spec});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("shape:   (4, 5)"), std::string::npos) << r.out;
}

TEST(GenericCli, BadDensityIsAUsageError) {
  TempDir dir;
  EXPECT_EQ(run_cli({"random", dir.file("a.npz"), "--shape", "3,3", "--density", "1.5"}).status, 2);
  auto r = run_cli({"random", dir.file("a.npz"), "--shape", "3,3,3", "--density", "0.5"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("mammoth: error:"), std::string::npos) << r.err;
}

TEST(GenericCli, HarnessesAreNotCommands) {
  // `sparse op` and `sparse bench` are programs now (tests/interop/sparse_ops, bench/sparse_workloads).
  const auto help = run_cli({"--help"});
  ASSERT_EQ(help.status, 0) << help.err;
  EXPECT_NE(help.out.find("spmv"), std::string::npos) << help.out;
  EXPECT_EQ(help.out.find("\n  sparse "), std::string::npos) << help.out;
  EXPECT_NE(run_cli({"sparse", "op", "add", "a.npz", "-o", "b.npz"}).status, 0);
}

}  // namespace
