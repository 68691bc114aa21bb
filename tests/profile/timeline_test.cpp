#include "mammoth/profile/timeline.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "helper_process.hpp"
#include "mammoth/error.hpp"
#include "test_support.hpp"

namespace mammoth::profile {
namespace {

constexpr std::int64_t MiB = 1 << 20;

Timeline two_samples() {
  Timeline t;
  t.cmdline = "python3 fill.py";
  Sample a;
  a.time = 1700000000.0;
  a.self = {10 * MiB, 6 * MiB, 4 * MiB, 0};
  Sample b = a;
  b.time = 1700000000.5;
  b.self = {110 * MiB, 6 * MiB, 104 * MiB, 0};
  b.children = {{4242, 20 * MiB}};
  b.children_rss = 20 * MiB;
  t.samples = {a, b};
  return t;
}

TEST(Mprofile, WritesMemoryProfilersLines) {
  std::ostringstream out;
  write_mprofile(out, two_samples(), true);
  EXPECT_EQ(out.str(),
            "CMDLINE python3 fill.py\n"
            "MEM 10.000000 1700000000.0000\n"
            "SPLIT 6.000000 4.000000 0.000000 1700000000.0000\n"
            "MEM 130.000000 1700000000.5000\n"
            "SPLIT 6.000000 104.000000 0.000000 1700000000.5000\n"
            "CHLD 4242 20.000000 1700000000.5000\n");
}

TEST(Mprofile, WithoutChildrenMemIsTheProcessAlone) {
  std::ostringstream out;
  write_mprofile(out, two_samples(), false);
  EXPECT_NE(out.str().find("MEM 110.000000 1700000000.5000\n"), std::string::npos);
}

TEST(Mprofile, ANewlineInTheCommandStaysOnTheCmdlineLine) {
  Timeline t = two_samples();
  t.cmdline = "python3 -c\nimport numpy\nMEM 5 5";
  std::ostringstream out;
  write_mprofile(out, t, false);
  EXPECT_EQ(out.str().substr(0, out.str().find('\n')), "CMDLINE python3 -c import numpy MEM 5 5");
  std::istringstream in(out.str());
  EXPECT_EQ(read_mprofile(in, "x.dat").samples.size(), 2u);
}

TEST(Mprofile, ReadsWhatItWroteAndMprofsOwnFiles) {
  std::ostringstream out;
  write_mprofile(out, two_samples(), false);
  std::istringstream in(out.str());
  const Timeline t = read_mprofile(in, "x.dat");
  EXPECT_EQ(t.cmdline, "python3 fill.py");
  ASSERT_EQ(t.samples.size(), 2u);
  EXPECT_EQ(t.samples[1].self.rss, 110 * MiB);
  EXPECT_EQ(t.samples[1].self.file, 104 * MiB);
  EXPECT_TRUE(t.samples[1].has_split);
  ASSERT_EQ(t.samples[1].children.size(), 1u);
  EXPECT_EQ(t.samples[1].children[0].pid, 4242);

  // As `mprof run` writes it: no SPLIT lines, FUNC lines we skip.
  std::istringstream theirs(
      "CMDLINE python3 x.py\nMEM 0.000000 1700000000.0000\nMEM 21.5 1700000000.1\nFUNC f 1 2 3 4 1\n");
  const Timeline m = read_mprofile(theirs, "mprofile_1.dat");
  ASSERT_EQ(m.samples.size(), 2u);
  EXPECT_FALSE(m.samples[1].has_split);
  EXPECT_EQ(m.samples[1].self.rss, static_cast<std::int64_t>(21.5 * MiB));
}

TEST(Mprofile, GarbageIsAFormatErrorNamingTheFile) {
  std::istringstream bad("MEM twelve 1.0\n");
  try {
    read_mprofile(bad, "broken.dat");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("broken.dat: line 1"), std::string::npos) << e.what();
  }
  std::istringstream empty("CMDLINE x\n");
  EXPECT_THROW(read_mprofile(empty, "empty.dat"), FormatError);
}

TEST(PlotSvg, DrawsAxesTheTotalThePeakAndTheSplit) {
  const std::string svg = plot_svg(two_samples());
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"total\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"anon\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"file\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"child\" data-pid=\"4242\""), std::string::npos);
  EXPECT_NE(svg.find("peak 130.00 MiB at 0.50 s"), std::string::npos);
  EXPECT_NE(svg.find("time (s)"), std::string::npos);
  EXPECT_NE(svg.find("memory used (MiB)"), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(Mprofile, TheExactPeakTravelsInAPeakLineAndIsPlotted) {
  Timeline t = two_samples();
  t.exact_peak = 150 * MiB;
  std::ostringstream out;
  write_mprofile(out, t, true);
  EXPECT_NE(out.str().find("\nPEAK 150.000000\n"), std::string::npos);
  std::istringstream in(out.str());
  const Timeline back = read_mprofile(in, "x.dat");
  EXPECT_EQ(back.exact_peak, 150 * MiB);
  EXPECT_NE(plot_svg(back).find("peak 150.00 MiB (exact); highest sample 130.00 MiB at 0.50 s"), std::string::npos);
}

TEST(PlotSvg, EscapesTheTitleAndSkipsTheSplitWhenNotRecorded) {
  Timeline t = two_samples();
  t.cmdline = "sh -c 'a < b && c'";
  for (auto& s : t.samples) s.has_split = false;
  const std::string svg = plot_svg(t);
  EXPECT_NE(svg.find("sh -c 'a &lt; b &amp;&amp; c'"), std::string::npos);
  EXPECT_EQ(svg.find("class=\"anon\""), std::string::npos);
}

TEST(Sampler, WatchesAnotherProcessAndItsChildren) {
  const auto cmd = testing::helper_command({"spawn", "64", "5000"});
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);  // so the test can end the child and grandchild together
    ::execl(cmd[0].c_str(), cmd[0].c_str(), cmd[1].c_str(), cmd[2].c_str(), cmd[3].c_str(), cmd[4].c_str(), nullptr);
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  SamplerOptions o;
  o.interval = 0.02;
  o.include_children = true;
  Sampler sampler(pid, o);
  // Poll rather than sleep a fixed time: a loaded machine may start the child slowly.
  std::int64_t child_peak = 0;
  for (int i = 0; i < 500 && child_peak < 63 * MiB; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const auto& [child, peak] : sampler.children_peaks()) child_peak = std::max(child_peak, peak);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto samples = sampler.stop();
  ::kill(-pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_GE(child_peak, 63 * MiB);
  ASSERT_GE(samples.size(), 3u);
  std::int64_t most = 0;
  for (const Sample& s : samples) most = std::max(most, s.children_rss);
  EXPECT_GE(most, 63 * MiB);
  for (std::size_t i = 1; i < samples.size(); ++i) EXPECT_GE(samples[i].time, samples[i - 1].time);
}

}  // namespace
}  // namespace mammoth::profile
