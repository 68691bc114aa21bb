#include "mammoth/ooc/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <utility>

#include "mammoth/ooc/budget.hpp"

namespace mammoth::ooc {
namespace {
thread_local ProgressSink current_sink;
}

ScopedProgressSink::ScopedProgressSink(ProgressSink sink) : previous_(std::exchange(current_sink, std::move(sink))) {}
ScopedProgressSink::~ScopedProgressSink() { current_sink = std::move(previous_); }

Progress::Progress(std::string label, std::uint64_t total_bytes, bool enabled)
    : label_(std::move(label)),
      total_(total_bytes),
      active_(enabled && (current_sink || ::isatty(STDERR_FILENO) == 1)),
      sink_(enabled ? current_sink : ProgressSink{}) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  // An interrupted run still ends its line, so the error message starts on a fresh one.
  if (active_ && !finished_ && !sink_) std::fputc('\n', stderr);
}

void Progress::advance(std::uint64_t bytes) {
  if (!active_) return;
  done_ += bytes;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (!active_ || finished_) return;
  done_ = total_;
  draw(true);
  finished_ = true;
}

void Progress::draw(bool final) {
  if (sink_) {
    sink_(label_, done_, total_, final);
    return;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double fraction = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = '\0';
  char eta[32] = "";
  if (!final && rate > 0)
    std::snprintf(eta, sizeof eta, "ETA %.0f s", static_cast<double>(total_ - done_) / rate);
  else if (final)
    std::snprintf(eta, sizeof eta, "%.2f s", seconds);
  std::fprintf(stderr, "\r%s [%s] %3.0f%% %s/s %s   %s", label_.c_str(), bar, fraction * 100,
               format_bytes(rate).c_str(), eta, final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace mammoth::ooc
