// ScopedProgressSink: where progress goes when stderr is no terminal (the Python module's
// notebook line). Scoped per thread, innermost wins, restored on exit, off when disabled.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "mammoth/ooc/progress.hpp"

namespace mammoth::ooc {
namespace {

struct Call {
  std::string label;
  std::uint64_t done, total;
  bool final;
};

ProgressSink recorder(std::vector<Call>& calls) {
  return [&calls](const std::string& label, std::uint64_t done, std::uint64_t total, bool final) {
    calls.push_back({label, done, total, final});
  };
}

TEST(ProgressSink, FinishReachesTheSinkWithTheTotal) {
  std::vector<Call> calls;
  const ScopedProgressSink sink(recorder(calls));
  Progress p("matvec", 100, true);
  p.advance(40);
  p.finish();
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back().label, "matvec");
  EXPECT_EQ(calls.back().done, 100u);
  EXPECT_EQ(calls.back().total, 100u);
  EXPECT_TRUE(calls.back().final);
}

TEST(ProgressSink, DisabledProgressStaysSilent) {
  std::vector<Call> calls;
  const ScopedProgressSink sink(recorder(calls));
  Progress p("quiet", 10, false);
  p.advance(10);
  p.finish();
  EXPECT_TRUE(calls.empty());
}

TEST(ProgressSink, InnermostScopeWinsAndTheOuterOneComesBack) {
  std::vector<Call> outer_calls, inner_calls;
  const ScopedProgressSink outer(recorder(outer_calls));
  {
    const ScopedProgressSink inner(recorder(inner_calls));
    Progress("a", 1, true).finish();
  }
  Progress("b", 1, true).finish();
  ASSERT_EQ(inner_calls.size(), 1u);
  EXPECT_EQ(inner_calls[0].label, "a");
  ASSERT_EQ(outer_calls.size(), 1u);
  EXPECT_EQ(outer_calls[0].label, "b");
}

TEST(ProgressSink, OtherThreadsDoNotSeeIt) {
  std::vector<Call> calls;
  const ScopedProgressSink sink(recorder(calls));
  std::thread([] { Progress("elsewhere", 1, true).finish(); }).join();
  EXPECT_TRUE(calls.empty());
}

}  // namespace
}  // namespace mammoth::ooc
