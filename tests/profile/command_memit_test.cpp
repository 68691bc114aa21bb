#include "mammoth/profile/command_memit.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "helper_process.hpp"
#include "mammoth/error.hpp"
#include "test_support.hpp"

namespace mammoth::profile {
namespace {

using testing::helper_command;
constexpr std::int64_t MiB = 1 << 20;

MemitOptions quiet(double interval = 0.05, bool children = false) {
  MemitOptions o;
  o.quiet = true;
  o.interval = interval;
  o.include_children = children;
  return o;
}

TEST(MemitCommand, PeakOfACommandIsWhatItTouchedPlusItsImage) {
  if (testing::kAddressSanitizer) GTEST_SKIP() << "ASan's shadow memory and quarantine are resident too";

  const CommandResult r = memit_command(helper_command({"anon", "128", "100"}), quiet());
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_TRUE(r.memit.run().exact);
  EXPECT_GE(r.memit.peak(), 128 * MiB);
  EXPECT_LE(r.memit.peak(), 128 * MiB + 32 * MiB);  // the test program's own code and data
  // Baseline is read at exec: the new image before it ran.
  EXPECT_LT(r.memit.baseline().rss, 4 * MiB);
}

TEST(MemitCommand, ASpikeJustBeforeExitIsCaughtExactly) {
  if (testing::kAddressSanitizer) GTEST_SKIP() << "ASan's shadow memory and quarantine are resident too";

  // Ten-second sampling: only the exit-time VmHWM can see it.
  const CommandResult r = memit_command(helper_command({"spike", "300", "0"}), quiet(10.0));
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_GE(r.memit.peak(), 300 * MiB);
  EXPECT_LE(r.memit.peak(), 300 * MiB + 32 * MiB);
}

TEST(MemitCommand, WithoutPtraceThePeakIsSampledAndSaysSo) {
  if (testing::kAddressSanitizer) GTEST_SKIP() << "ASan's shadow memory and quarantine are resident too";

  MemitOptions o = quiet(0.02);
  o.trace = false;
  const CommandResult r = memit_command(helper_command({"anon", "128", "300"}), o);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_FALSE(r.memit.run().exact);
  EXPECT_GE(r.memit.peak(), 128 * MiB);
  EXPECT_LE(r.memit.peak(), 128 * MiB + 32 * MiB);
  EXPECT_EQ(memit_command(helper_command({"exit", "6"}), o).exit_status, 6);
}

TEST(MemitCommand, ExitStatusIsPassedThrough) {
  EXPECT_EQ(memit_command(helper_command({"exit", "3"}), quiet()).exit_status, 3);
  EXPECT_EQ(memit_command(helper_command({"exit", "0"}), quiet()).exit_status, 0);
  EXPECT_EQ(memit_command(helper_command({"signal"}), quiet()).exit_status, 128 + 15);
}

TEST(MemitCommand, ChildrenCountOnlyWithIncludeChildren) {
  const CommandResult with = memit_command(helper_command({"spawn", "200", "300"}), quiet(0.05, true));
  EXPECT_EQ(with.exit_status, 0);
  EXPECT_GE(with.memit.peak(), 200 * MiB);
  EXPECT_GT(with.memit.run().children_peak, 150 * MiB) << "the sampler should have seen the child for 300 ms";
  const CommandResult without = memit_command(helper_command({"spawn", "200", "300"}), quiet(0.05, false));
  EXPECT_EQ(without.exit_status, 0);
  EXPECT_LT(without.memit.peak(), 64 * MiB) << "the child's 200 MiB must not be counted without include_children";
}

TEST(MemitCommand, AShortChildIsCaughtThroughRusageWithIncludeChildren) {
  // The child lives a few milliseconds, between 10-second samples.
  const CommandResult r = memit_command(helper_command({"spawn", "200", "0"}), quiet(10.0, true));
  EXPECT_GE(r.memit.peak(), 200 * MiB);
}

TEST(MemitCommand, TimeoutStopsTheCommandWithStatus124) {
  MemitOptions o = quiet();
  o.timeout = 0.3;
  const CommandResult r = memit_command(helper_command({"sleep", "10000"}), o);
  EXPECT_EQ(r.exit_status, 124);
  EXPECT_TRUE(r.memit.run().timed_out);
  EXPECT_LT(r.memit.run().elapsed, 5.0);
}

TEST(MemitCommand, RepeatStopsAtTheFirstFailure) {
  MemitOptions o = quiet();
  o.repeat = 3;
  EXPECT_EQ(memit_command(helper_command({"anon", "8", "0"}), o).memit.runs.size(), 3u);
  const CommandResult failing = memit_command(helper_command({"exit", "5"}), o);
  EXPECT_EQ(failing.memit.runs.size(), 1u);
  EXPECT_EQ(failing.exit_status, 5);
}

TEST(MemitCommand, AMissingCommandIsAnIoErrorNamingIt) {
  try {
    memit_command({"/nonexistent/mammoth-no-such-tool"}, quiet());
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_EQ(e.errnum(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("mammoth-no-such-tool"), std::string::npos);
  }
  EXPECT_THROW(memit_command({}, quiet()), Error);
}

TEST(MemitCommand, TimelineFollowsTheCommand) {
  int status = 0;
  const MemitRun run = measure_command(helper_command({"anon", "64", "400"}), quiet(0.02), status);
  ASSERT_GE(run.timeline.size(), 5u);
  std::int64_t most = 0;
  for (const Sample& s : run.timeline) most = std::max(most, s.self.anon);
  EXPECT_GE(most, 63 * MiB);
}

// The CLI: report on stderr, status passed through, JSON.
TEST(MemitCli, ReportsAndPassesTheStatusThrough) {
  std::vector<std::string> args{"memit", "--"};
  for (const auto& a : helper_command({"anon", "64", "0"})) args.push_back(a);
  const auto r = testing::run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.rfind("peak memory: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("(anon +"), std::string::npos);

  args = {"memit", "-q", "--"};
  for (const auto& a : helper_command({"exit", "7"})) args.push_back(a);
  const auto q = testing::run_cli(args);
  EXPECT_EQ(q.status, 7);
  EXPECT_EQ(q.err, "");
}

TEST(MemitCli, JsonAndChildrenFlag) {
  std::vector<std::string> args{"memit", "--json", "-c", "-i", "0.02", "--"};
  for (const auto& a : helper_command({"spawn", "100", "200"})) args.push_back(a);
  const auto r = testing::run_cli(args);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.rfind("{\"best\": 0, \"peak\": ", 0), 0u) << r.err;
  const long long peak = std::stoll(r.err.substr(r.err.find("\"peak\": ") + 8));
  EXPECT_GE(peak, 100 * MiB);
}

TEST(MemitCli, WordsAfterTheCommandAreTheCommandsEvenWithoutDashDash) {
  // -c belongs to sh here, not to memit's --include-children.
  const auto r = testing::run_cli({"memit", "-q", "sh", "-c", "exit 4"});
  EXPECT_EQ(r.status, 4) << r.err;
  const auto m = testing::run_cli({"mprof", "run", "-o", "/dev/null", "sh", "-c", "exit 5"});
  EXPECT_EQ(m.status, 5) << m.err;
  EXPECT_EQ(testing::run_cli({"memit"}).status, 2);
}

TEST(MemitCli, MissingCommandExits127) {
  const auto r = testing::run_cli({"memit", "--", "/nonexistent/mammoth-no-such-tool"});
  EXPECT_EQ(r.status, 127);
  EXPECT_NE(r.err.find("mammoth-no-such-tool"), std::string::npos);
}

}  // namespace
}  // namespace mammoth::profile
