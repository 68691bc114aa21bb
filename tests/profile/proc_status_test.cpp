#include "mammoth/profile/proc_status.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "helper_process.hpp"

namespace mammoth::profile {
namespace {

TEST(ProcStatus, ResidentIsTheSumOfItsParts) {
  const auto s = read_proc_status();
  ASSERT_TRUE(s);
  EXPECT_GT(s->resident.rss, 0);
  EXPECT_EQ(s->resident.rss, s->resident.anon + s->resident.file + s->resident.shmem);
  EXPECT_GE(s->hwm, s->resident.rss);
}

TEST(ProcStatus, GoneProcessIsNullopt) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_FALSE(read_proc_status(pid));
}

TEST(ProcStatus, ResetPeakBringsTheHighWaterMarkDownToNow) {
  void* p = testing::touch_anonymous(64);
  testing::release_anonymous(p, 64);
  const auto before = read_proc_status();
  ASSERT_TRUE(before);
  ASSERT_GE(before->hwm, before->resident.rss + 60 * (1 << 20));
  ASSERT_TRUE(reset_peak());
  const auto after = read_proc_status();
  EXPECT_LT(after->hwm, before->resident.rss + 8 * (1 << 20));
}

TEST(Descendants, FindsChildrenAndGrandchildren) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[1]);
    const pid_t grandchild = ::fork();
    char c;
    [[maybe_unused]] auto n = ::read(fds[0], &c, 1);  // both wait until the parent closes the pipe
    if (grandchild > 0) ::waitpid(grandchild, nullptr, 0);
    ::_exit(0);
  }
  ::close(fds[0]);
  std::vector<pid_t> found;
  for (int tries = 0; tries < 200 && found.size() < 2; ++tries) {
    found = descendants(::getpid());
    if (found.size() < 2) ::usleep(5000);
  }
  // The /proc scan (for kernels without per-task children lists) finds the same.
  std::vector<pid_t> scanned = descendants_by_scan(::getpid());
  ::close(fds[1]);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(found.size(), 2u);
  EXPECT_NE(std::find(found.begin(), found.end(), child), found.end());
  std::sort(found.begin(), found.end());
  std::sort(scanned.begin(), scanned.end());
  EXPECT_EQ(scanned, found);
}

}  // namespace
}  // namespace mammoth::profile
