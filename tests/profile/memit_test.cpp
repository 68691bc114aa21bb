#include "mammoth/profile/memit.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <sstream>
#include <thread>

#include "helper_process.hpp"
#include "mammoth/profile/mem_scope.hpp"
#include "test_support.hpp"

namespace mammoth::profile {
namespace {

using testing::release_anonymous;
using testing::touch_anonymous;

constexpr std::int64_t MiB = 1 << 20;

// The figures a measurement in a fresh child process found (the test process itself
// has GoogleTest's allocations and earlier tests' freed memory around).
struct Figures {
  std::int64_t peak, increment, anon, file, between;
  std::int64_t max_sampled_rss, baseline;
};

Figures in_child(const std::function<MemitRun()>& measure) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    const MemitRun r = measure();
    Figures f{r.peak, r.increment(), r.increment_split().anon, r.increment_split().file, r.between_samples(),
              0,      r.baseline.rss};
    for (const Sample& s : r.timeline) f.max_sampled_rss = std::max(f.max_sampled_rss, s.self.rss);
    [[maybe_unused]] auto n = ::write(fds[1], &f, sizeof f);
    ::_exit(0);
  }
  ::close(fds[1]);
  Figures f{};
  EXPECT_EQ(::read(fds[0], &f, sizeof f), static_cast<ssize_t>(sizeof f));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return f;
}

MemitOptions quiet(double interval = 0.1) {
  MemitOptions o;
  o.quiet = true;
  o.interval = interval;
  return o;
}

class TouchAnonymous : public ::testing::TestWithParam<int> {};

TEST_P(TouchAnonymous, IncrementIsTheTouchedSizeWithinTwoPercentPlusOneMiB) {
  if (testing::kAddressSanitizer) GTEST_SKIP() << "ASan's shadow memory and quarantine are resident too";

  const int n = GetParam();
  const Figures f = in_child([n] {
    Measurement m(quiet());
    void* p = touch_anonymous(static_cast<std::size_t>(n));
    MemitRun r = m.finish();
    release_anonymous(p, static_cast<std::size_t>(n));
    return r;
  });
  const double tolerance = 0.02 * n * MiB + MiB;
  EXPECT_NEAR(static_cast<double>(f.increment), static_cast<double>(n) * MiB, tolerance);
  // Still mapped at the end, so the last sample sees it: all of it anonymous.
  EXPECT_NEAR(static_cast<double>(f.anon), static_cast<double>(n) * MiB, tolerance);
  EXPECT_LT(std::abs(f.file), 2 * MiB);
}

INSTANTIATE_TEST_SUITE_P(Sizes, TouchAnonymous, ::testing::Values(16, 256, 1024));

TEST(Memit, ShortSpikeBetweenSamplesIsCaughtByThePeak) {
  if (testing::kAddressSanitizer) GTEST_SKIP() << "ASan's shadow memory and quarantine are resident too";

  const Figures f = in_child([] {
    // Ten-second interval: the sampler reads at the start and the end only.
    Measurement m(quiet(10.0));
    release_anonymous(touch_anonymous(512), 512);
    return m.finish();
  });
  EXPECT_LT(f.max_sampled_rss, f.baseline + 64 * MiB) << "a sample landed in the spike; the test proves nothing";
  EXPECT_GE(f.increment, 512 * MiB * 98 / 100);
  EXPECT_LE(f.increment, 512 * MiB + 8 * MiB);
  EXPECT_GE(f.between, 500 * MiB) << "the spike was not seen by the samples and must be reported as such";
}

TEST(Memit, WritingAMappedFileGrowsFileBackedMemoryNotAnonymous) {
  if (testing::kAddressSanitizer) GTEST_SKIP() << "ASan's shadow memory and quarantine are resident too";

  testing::TempDir dir;
  const std::string path = dir.file("mapped.dat");
  const Figures f = in_child([&] {
    const std::size_t bytes = 64 * MiB;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) ::_exit(2);
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    Measurement m(quiet());
    std::memset(p, 7, bytes);
    MemitRun r = m.finish();
    ::munmap(p, bytes);
    ::close(fd);
    return r;
  });
  EXPECT_NEAR(static_cast<double>(f.file), 64.0 * MiB, 0.02 * 64 * MiB + MiB);
  EXPECT_LT(f.anon, 2 * MiB);
  EXPECT_NEAR(static_cast<double>(f.increment), 64.0 * MiB, 0.02 * 64 * MiB + MiB);
}

TEST(Memit, NestedMeasurementKeepsTheOuterPeakExact) {
  const Figures f = in_child([] {
    Measurement outer(quiet(10.0));
    release_anonymous(touch_anonymous(256), 256);
    {
      // Resets VmHWM: the outer spike must have been carried over first.
      Measurement inner(quiet(10.0));
      inner.finish();
    }
    return outer.finish();
  });
  EXPECT_GE(f.increment, 256 * MiB * 98 / 100);
}

// A block that forks a child holding 64 MiB for 300 ms.
MemitRun measure_block_with_child(bool include_children) {
  MemitOptions o = quiet(0.02);
  o.include_children = include_children;
  Measurement m(o);
  const pid_t pid = ::fork();
  if (pid == 0) {
    touch_anonymous(64);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::_exit(0);
  }
  ::waitpid(pid, nullptr, 0);
  return m.finish();
}

TEST(Memit, IncludeChildrenAddsForkedChildrenInProcessToo) {
  const Figures with = in_child([] { return measure_block_with_child(true); });
  EXPECT_GE(with.increment, 63 * MiB);
  const Figures without = in_child([] { return measure_block_with_child(false); });
  EXPECT_LT(without.increment, 16 * MiB);
}

TEST(Memit, RepeatRunsEachTimeAndReportsTheHighestPeak) {
  int calls = 0;
  const MemitResult r = memit(
      [&] {
        ++calls;
        if (calls == 2) release_anonymous(touch_anonymous(64), 64);
      },
      [] {
        MemitOptions o = quiet();
        o.repeat = 3;
        return o;
      }());
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(r.runs.size(), 3u);
  EXPECT_EQ(r.best, 1u);
  EXPECT_GE(r.increment(), 63 * MiB);
  EXPECT_LT(r.runs[0].increment(), 32 * MiB);
}

TEST(Memit, PrintsMemoryProfilersLineUnlessQuiet) {
  std::ostringstream out;
  MemitOptions o = quiet();
  o.quiet = false;
  o.out = &out;
  memit([] {}, o);
  EXPECT_EQ(out.str().rfind("peak memory: ", 0), 0u) << out.str();
  EXPECT_NE(out.str().find(" MiB, increment: "), std::string::npos);
  EXPECT_NE(out.str().find("(anon "), std::string::npos);
  std::ostringstream none;
  o.quiet = true;
  o.out = &none;
  memit([] {}, o);
  EXPECT_EQ(none.str(), "");
}

TEST(Memit, TimeoutMarksTheRunAndStopsSampling) {
  MemitOptions o = quiet(0.01);
  o.timeout = 0.05;
  const MemitResult r = memit([] { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }, o);
  EXPECT_TRUE(r.run().timed_out);
  // About 0.05 / 0.01 samples and the last one, not 30.
  EXPECT_LT(r.run().timeline.size(), 15u);
  EXPECT_GE(r.run().elapsed, 0.3);
}

TEST(Memit, TimelineIsSampledAtTheInterval) {
  const MemitResult r = memit([] { std::this_thread::sleep_for(std::chrono::milliseconds(500)); }, quiet(0.01));
  // 50 intervals; a loaded machine may lose some, never gain.
  EXPECT_GE(r.run().timeline.size(), 25u);
  EXPECT_LE(r.run().timeline.size(), 53u);
  for (std::size_t i = 1; i < r.run().timeline.size(); ++i)
    EXPECT_GE(r.run().timeline[i].time, r.run().timeline[i - 1].time);
}

TEST(FormatMemit, PrintsPeakIncrementAndTheSplit) {
  MemitRun run;
  run.baseline = {static_cast<std::int64_t>(50.87 * MiB), 40 * MiB, static_cast<std::int64_t>(10.87 * MiB), 0};
  run.peak = static_cast<std::int64_t>(438.49 * MiB);
  run.peak_split = {run.peak, static_cast<std::int64_t>(41.2 * MiB), static_cast<std::int64_t>(397.27 * MiB), 0};
  EXPECT_EQ(format_memit(run), "peak memory: 438.49 MiB, increment: 387.62 MiB (anon +1.2 MiB, file +386.4 MiB)");
}

TEST(FormatMemit, NamesAPeakTheSamplesMissed) {
  MemitRun run;
  run.baseline = {10 * MiB, 8 * MiB, 2 * MiB, 0};
  run.peak = 522 * MiB;
  run.peak_split = {run.peak, 8 * MiB, 2 * MiB, 0};
  EXPECT_EQ(
      format_memit(run),
      "peak memory: 522.00 MiB, increment: 512.00 MiB (anon +0.0 MiB, file +0.0 MiB, between samples +512.0 MiB)");
}

TEST(ToJson, HoldsEveryRun) {
  MemitResult r;
  r.runs.resize(2);
  r.runs[1].peak = 3 * MiB;
  r.best = 1;
  const std::string j = to_json(r);
  EXPECT_EQ(j.rfind("{\"best\": 1, \"peak\": 3145728, \"increment\": 3145728, \"runs\": [{", 0), 0u) << j;
  EXPECT_NE(j.find("\"peak_mib\": 3.000000"), std::string::npos);
}

TEST(MemScope, ReportsWithItsLabelWhenTheScopeEnds) {
  std::ostringstream out;
  {
    MemScope scope("fill", out);
    release_anonymous(touch_anonymous(32), 32);
    EXPECT_EQ(out.str(), "");
  }
  EXPECT_EQ(out.str().rfind("fill: peak memory: ", 0), 0u) << out.str();
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(MemScope, FinishReturnsTheRunOnceAndTheScopeDoesNotPrintAgain) {
  std::ostringstream out;
  {
    MemScope scope("block", out);
    void* p = touch_anonymous(32);
    const MemitRun& r = scope.finish();
    EXPECT_GE(r.increment(), 31 * MiB);
    release_anonymous(p, 32);
  }
  EXPECT_EQ(out.str().find("block:"), out.str().rfind("block:"));
}

}  // namespace
}  // namespace mammoth::profile
