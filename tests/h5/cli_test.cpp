// The HDF5 side of the CLI: write errors, missing filters, `ls` robustness and sparse groups.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "mammoth/h5.hpp"
#include "mammoth/sparse/h5_group.hpp"
#include "test_support.hpp"

namespace mammoth::h5 {
namespace {

using mammoth::testing::CliResult;
using mammoth::testing::run_cli;
using mammoth::testing::TempDir;

// While alive, the CLI runs with this environment variable (children inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// While alive, files this process and its children write stop at `bytes` (ulimit -f).
class ScopedFileSizeLimit {
 public:
  explicit ScopedFileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limit = old_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~ScopedFileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &old_); }

 private:
  rlimit old_{};
};

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

NdArray<double> ramp(const Shape& shape) {
  NdArray<double> a = NdArray<double>::empty(shape);
  std::iota(a.data(), a.data() + a.size(), 0.0);
  return a;
}

TEST(H5Cli, WriteErrorExitsOneWithoutSignalOrDiagnostics) {
  TempDir dir;
  const std::string src = dir.file("big.npy");
  ASSERT_EQ(run_cli({"random", src, "--shape", "2000,1000", "-q"}).status, 0);  // 16 MB
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--chunks", "100,1000", "--compression", "gzip"}}) {
    std::vector<std::string> args{"convert", "-q", src, dir.file("out.h5") + ":/x"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r;
    {
      ScopedFileSizeLimit limit(1 << 20);
      r = run_cli(args);
    }
    EXPECT_EQ(r.status, 1) << r.err;  // not 128 + SIGSEGV at exit, not SIGXFSZ
    EXPECT_EQ(r.err.rfind("mammoth: error: ", 0), 0U) << r.err;
    // The output commit refuses up front what cannot fit (nothing is written).
    EXPECT_NE(r.err.find("file-size limit"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("HDF5-DIAG"), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err), 1U) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.h5")));
  }
}

// Issue 10 defect 5: after a write libhdf5 itself fails (here: the file-size limit, with
// no output commit to refuse it first), the program exits normally, not by SIGSEGV in
// libhdf5's atexit teardown.
TEST(H5Cli, WriteErrorInsideLibhdf5ExitsCleanly) {
  TempDir dir;
  const std::string path = dir.file("direct.h5");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const struct rlimit limit { 1 << 20, 1 << 20 };
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      h5::File f(path, Mode::Write);
      f.create_dataset("x", NdArray<double>::full({2000, 1000}, 1.0));
      f.close();
    } catch (const Error&) {
      std::exit(3);  // runs libhdf5's atexit handlers, if any were left
    }
    std::exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(H5Cli, MissingPluginIsOneLineNamingThePackage) {
  TempDir dir;
  const std::string file = dir.file("b.h5");
  {
    File f(file, "w");
    DatasetOptions o;
    o.compression = "blosc";
    o.chunks = {10, 10};
    f.create_dataset("x", AnyArray(ramp({20, 10})), o);
    f.create_dataset("y", AnyArray(ramp({2, 2})));
  }
  std::filesystem::create_directory(dir.file("no-plugins"));
  ScopedEnv env("HDF5_PLUGIN_PATH", dir.file("no-plugins"));
  CliResult r = run_cli({"convert", "-q", file + ":/x", dir.file("x.npy")});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("mammoth: error: " + file +
                            ":/x: compressed with 'blosc' (HDF5 filter 32001), which is not available; install "
                            "Debian's hdf5-filter-plugin-blosc-serial",
                        0),
            0U)
      << r.err;
  EXPECT_EQ(lines(r.err), 1U) << r.err;
  EXPECT_EQ(r.err.find("HDF5-DIAG"), std::string::npos) << r.err;
  // ls --data marks the unreadable dataset and goes on to the next.
  r = run_cli({"ls", "--data", file});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("blosc(lz4, 5, shuffle) (not available)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    data: (unreadable: " + file + ":/x: compressed with 'blosc'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    data: [0, 1, 2, 3]"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
  r = run_cli({"ls", "--data", "--json", file});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"data\": null, \"data_error\": \"" + file + ":/x: compressed with 'blosc'"), std::string::npos)
      << r.out;
}

// Also the static libhdf5's guard: blosc's set_local calls HDF5 back (H5Pget_chunk, …); unless
// the command exports that API to the plugin (MAMMOTH_HDF5_PLUGIN_API in CMakeLists.txt), the
// call lands in a second, shared libhdf5 that knows none of the command's IDs and this fails.
TEST(H5Cli, ConvertCompressesByName) {
  TempDir dir;
  const std::string src = dir.file("a.npy");
  ASSERT_EQ(run_cli({"random", src, "--shape", "100,50", "-q"}).status, 0);
  int i = 0;
  for (const auto& [spec, shown] : std::vector<std::pair<std::string, std::string>>{
           {"lzf", "lzf"}, {"blosc=zstd:3", "blosc(zstd, 3, shuffle)"}, {"gzip=7", "gzip(7)"}, {"bzip2", "bzip2(9)"}}) {
    const std::string dst = dir.file("c.h5") + ":/d" + std::to_string(i++);
    CliResult r = run_cli({"convert", "-q", src, dst, "--chunks", "20,50", "--compression", spec});
    ASSERT_EQ(r.status, 0) << spec << ": " << r.err;
    r = run_cli({"ls", dst});
    EXPECT_NE(r.out.find(", " + shown + ","), std::string::npos) << r.out;
    r = run_cli({"convert", "-q", dst, dir.file("back.npy")});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(testing::read_file(dir.file("back.npy")), testing::read_file(src)) << spec;
  }
  // gzip's level still comes from --compression-level.
  ASSERT_EQ(
      run_cli({"convert", "-q", src, dir.file("g.h5") + ":/x", "--compression", "gzip", "--compression-level", "2"})
          .status,
      0);
  EXPECT_NE(run_cli({"ls", dir.file("g.h5")}).out.find("gzip(2)"), std::string::npos);
  for (const char* bad : {"snappy", "gzip=12", "lzf=1"}) {
    const CliResult r = run_cli({"convert", "-q", src, dir.file("bad.h5") + ":/x", "--compression", bad});
    EXPECT_EQ(r.status, 2) << bad;
    EXPECT_NE(r.err.find("expected none, gzip"), std::string::npos) << r.err;
  }
  const CliResult r = run_cli({"convert", "-q", src, dir.file("n.npy"), "--compression", "lzf"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("need an HDF5 destination"), std::string::npos) << r.err;
}

TEST(H5Cli, LsEscapesControlCharactersAndCutsLongAttributes) {
  TempDir dir;
  const std::string file = dir.file("a.h5");
  const std::string value = "line one\nline two\t\x01" + std::string(500, 'x');
  {
    File f(file, "w");
    f.attrs().write("FILTERS", value);
    f.attrs().write("short", "ok");
    f.attrs().write("many", AnyArray(ramp({1000})));
  }
  const CliResult r = run_cli({"ls", file});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("    @FILTERS = \"line one\\nline two\\t\\x01xxxx"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("xxx…\"\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    @many = [0, 1, 2, 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    @short = \"ok\"\n"), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.out), 4U) << r.out;  // "/" and one line per attribute
  for (std::size_t begin = 0, end; (end = r.out.find('\n', begin)) != std::string::npos; begin = end + 1)
    EXPECT_LE(end - begin, 220U) << r.out.substr(begin, end - begin);
  // --json keeps every value whole.
  const CliResult j = run_cli({"ls", "--json", file});
  EXPECT_NE(j.out.find("\"line one\\u000aline two\\u0009\\u0001" + std::string(500, 'x') + "\""), std::string::npos)
      << j.out;
}

TEST(H5Cli, LsShowsSparseGroupsAsOneMatrix) {
  TempDir dir;
  const std::string file = dir.file("s.h5");
  sparse::Csr<double, std::int32_t> m;
  m.rows = 3;
  m.cols = 4;
  m.indptr = {0, 2, 2, 3};
  m.indices = {0, 3, 1};
  m.data = {1.0, 2.0, 3.0};
  sparse::save_h5_group(file + ":/X", m);
  {
    File f(file, "a");
    Group old = f.create_group("old");  // h5sparse's attribute names
    old.attrs().write("h5sparse_format", "csc");
    old.attrs().write("h5sparse_shape", AnyArray(NdArray<std::int64_t>::from({4, 3}, {2})));
    old.create_dataset("data", AnyArray(NdArray<float>::from({1, 2, 3}, {3})));
    old.create_dataset("indices", AnyArray(NdArray<std::int64_t>::from({0, 3, 1}, {3})));
    old.create_dataset("indptr", AnyArray(NdArray<std::int64_t>::from({0, 2, 2, 3}, {4})));
    Group bad = f.create_group("bad");
    bad.attrs().write("encoding-type", "csr_matrix");
    bad.create_dataset("data", AnyArray(ramp({2})));
  }
  CliResult r = run_cli({"ls", file});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("/X/  sparse csr matrix (3, 4) float64, nnz 3, int32 indices (anndata encoding)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("/old/  sparse csc matrix (4, 3) float32, nnz 3, int64 indices (h5sparse encoding)\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("/X/indptr"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/bad/  (not a valid sparse group: " + file + ":/bad: sparse group without its 'shape'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("/bad/data"), std::string::npos) << r.out;
  r = run_cli({"ls", "--json", file});
  EXPECT_NE(r.out.find("\"sparse\": {\"format\": \"csr\", \"shape\": [3, 4], \"nnz\": 3, \"dtype\": \"<f8\", "
                       "\"index_dtype\": \"<i4\", \"encoding\": \"anndata\"}"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"path\": \"/X/indptr\""), std::string::npos);
  // The library call behind it, on a group object.
  File f(file, "r");
  const auto info = sparse::sparse_group_info(f.group("old"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->format, sparse::Format::Csc);
  EXPECT_EQ(info->rows, 4);
  EXPECT_FALSE(sparse::sparse_group_info(f));
}

}  // namespace
}  // namespace mammoth::h5
