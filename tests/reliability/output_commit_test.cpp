// The output commit under the failures of issue 10: limits and full disks refused before
// an existing HDF5 file changes, stale temporaries of dead writers removed, concurrent
// writers of one new HDF5 file both kept, cancelled runs never committed, errors naming
// the destination.
#include "mammoth/output.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "mammoth/error.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/npy.hpp"
#include "mammoth/ooc/output.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "test_support.hpp"
#include "write_behind_sync.hpp"

namespace mammoth {
namespace {

// A PID no process has: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// Lowers RLIMIT_FSIZE for the test's duration (SIGXFSZ ignored, as the CLI does).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lower = old_;
    lower.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lower);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  struct rlimit old_ {};
  void (*old_handler_)(int);
};

void make_file_with(const std::string& file) {
  h5::File f(file, Mode::Write);
  f.create_dataset("keep", NdArray<double>::full({1000}, 7.0));
  f.create_dataset("x", NdArray<double>::full({10}, 1.0));
}

void expect_untouched(const std::string& file) {
  h5::File f(file, Mode::Read);
  EXPECT_EQ(f.members().size(), 2u);
  EXPECT_EQ(f.dataset("keep").read_all_as<double>()(std::int64_t{999}), 7.0);
  EXPECT_EQ(f.dataset("x").shape(), (Shape{10}));
}

TEST(OutputCommit, FileSizeLimitRefusedBeforeTheFileChanges) {
  testing::TempDir dir;
  const std::string file = dir.file("f.h5");
  make_file_with(file);
  const auto size = std::filesystem::file_size(file);
  {
    FileSizeLimit limit(size + (4 << 20));
    try {
      OutputCommit out(file + ":/x", std::int64_t{64} << 20);
      FAIL() << "a 64 MiB object fits under a limit of 4 MiB more";
    } catch (const IoError& e) {
      EXPECT_EQ(e.errnum(), EFBIG);
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("ulimit -f"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(std::filesystem::file_size(file), size);
  expect_untouched(file);
}

// A float64 vector of 1000, and an output of that shape filled with threes (not committed).
CreateOptions thousand_doubles() {
  CreateOptions options;
  options.dtype = DType(ScalarType::Float64);
  options.shape = {1000};
  return options;
}
void write_threes(ooc::AtomicOutput& out) {
  const std::vector<double> values(1000, 3.0);
  out.store().write(Box::whole({1000}), values.data(), DType(ScalarType::Float64));
}

TEST(OutputCommit, AtomicOutputUnderTheLimitWritesAndCommits) {
  testing::TempDir dir;
  const std::string file = dir.file("f.h5");
  make_file_with(file);
  FileSizeLimit limit(std::filesystem::file_size(file) + (4 << 20));
  ooc::AtomicOutput out(file + ":/x", thousand_doubles());
  write_threes(out);
  out.commit();
  h5::File f(file, Mode::Read);
  EXPECT_EQ(f.dataset("x").shape(), (Shape{1000}));
  EXPECT_EQ(f.members().size(), 2u);
}

// What /x of the file being committed is at each data sync: its shape, read back then.
std::string synced_file;
std::vector<Shape> shapes_at_sync;
int record_x_at_sync(int fd) {
  shapes_at_sync.push_back(h5::File(synced_file, Mode::Read).dataset("x").shape());
  return ::fdatasync(fd);
}

// An object replaced in an existing file reaches the disk before the old one's link goes
// (the old /x is still in place at that sync) and the swap right after it (the new /x is
// there at the last sync): a power cut finds one or the other.
TEST(OutputCommit, AnObjectInAnExistingFileIsOnDiskBeforeAndAfterItsSwap) {
  testing::TempDir dir;
  synced_file = dir.file("f.h5");
  make_file_with(synced_file);
  ooc::AtomicOutput out(synced_file + ":/x", thousand_doubles());
  write_threes(out);
  shapes_at_sync.clear();
  {
    const testing::WriteBehindSync sync(record_x_at_sync);
    out.commit();
  }
  ASSERT_GE(shapes_at_sync.size(), 2u);
  EXPECT_EQ(shapes_at_sync[shapes_at_sync.size() - 2], (Shape{10}));
  EXPECT_EQ(shapes_at_sync.back(), (Shape{1000}));
  EXPECT_EQ(h5::File(synced_file, Mode::Read).dataset("x").read_all_as<double>()(std::int64_t{999}), 3.0);
}

TEST(OutputCommit, StaleTemporaryFilesOfDeadProcessesAreRemoved) {
  testing::TempDir dir;
  const std::string dead = std::to_string(dead_pid()), alive = std::to_string(::getpid());
  for (const std::string& name :
       {".y.npy.mammoth-tmp-" + dead + "-0.npy", "..y.npy.mammoth-tmp-" + dead + "-3.npy.mammoth-tmp-" + dead + "-4",
        ".y.npy.mammoth-tmp-" + alive + "-99.npy", ".z.npy.mammoth-tmp-" + dead + "-0.npy"})
    testing::write_file(dir.file(name), "x");
  { OutputCommit out(dir.file("y.npy")); }
  EXPECT_FALSE(std::filesystem::exists(dir.file(".y.npy.mammoth-tmp-" + dead + "-0.npy")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("..y.npy.mammoth-tmp-" + dead + "-3.npy.mammoth-tmp-" + dead + "-4")));
  EXPECT_TRUE(std::filesystem::exists(dir.file(".y.npy.mammoth-tmp-" + alive + "-99.npy")));  // a live writer's
  EXPECT_TRUE(std::filesystem::exists(dir.file(".z.npy.mammoth-tmp-" + dead + "-0.npy")));    // another output's
}

TEST(OutputCommit, StaleTemporaryLinksOfDeadProcessesAreRemoved) {
  testing::TempDir dir;
  const std::string file = dir.file("f.h5");
  make_file_with(file);
  const std::string stale = "/.x.mammoth-tmp-" + std::to_string(dead_pid()) + "-0";
  { h5::File(file, Mode::ReadWrite).create_dataset(stale, NdArray<double>::full({3}, 0.0)); }
  { OutputCommit out(file + ":/x"); }
  expect_untouched(file);
}

TEST(OutputCommit, TwoWritersOfOneNewHdf5FileKeepBothObjects) {
  testing::TempDir dir;
  const std::string file = dir.file("new.h5");
  OutputCommit a(file + ":/a"), b(file + ":/g/b");
  h5::File(parse_store_path(a.spec()).file, Mode::Write).create_dataset("a", NdArray<float>::full({2}, 1.f));
  h5::File(parse_store_path(b.spec()).file, Mode::Write).create_dataset("g/b", NdArray<float>::full({3}, 2.f));
  a.commit();
  b.commit();  // the file exists now: b joins it
  h5::File f(file, Mode::Read);
  EXPECT_EQ(f.dataset("a").shape(), (Shape{2}));
  EXPECT_EQ(f.dataset("g/b").shape(), (Shape{3}));
  EXPECT_EQ(f.members().size(), 2u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(OutputCommit, ACancelledRunNeverCommits) {
  testing::TempDir dir;
  const std::string dst = dir.file("y.npy");
  save_npy(dst, NdArray<double>::full({3}, 1.0));
  {
    OutputCommit out(dst);
    save_npy(out.spec(), NdArray<double>::full({4}, 2.0));
    ooc::request_cancel();
    EXPECT_THROW(out.commit(), ooc::Cancelled);
    ooc::clear_cancel();
  }
  EXPECT_EQ(load_npy(dst).shape(), (Shape{3}));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(OutputCommit, ErrorsNameTheDestination) {
  testing::TempDir dir;
  const std::string file = dir.file("f.h5");
  make_file_with(file);
  OutputCommit in_place(file + ":/x");
  const std::string inner = parse_store_path(in_place.spec()).inner;
  EXPECT_EQ(in_place.name_destination(file + ":" + inner + ": cannot write"), file + ":/x: cannot write");
  OutputCommit whole(dir.file("y.npy"));
  EXPECT_EQ(whole.name_destination(whole.spec() + ": cannot write"), dir.file("y.npy") + ": cannot write");
}

TEST(OutputCommit, WritesOfAnAtomicOutputStopAtACancel) {
  testing::TempDir dir;
  CreateOptions options;
  options.dtype = DType(ScalarType::Float64);
  options.shape = {4};
  {
    ooc::AtomicOutput out(dir.file("y.npy"), options);
    const double values[4] = {1, 2, 3, 4};
    ooc::request_cancel();
    EXPECT_THROW(out.store().write(Box::whole(options.shape), values, options.dtype), ooc::Cancelled);
    ooc::clear_cancel();
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 0);
}

}  // namespace
}  // namespace mammoth
