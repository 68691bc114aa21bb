// A progress bar on stderr — bytes done, rate and time left — drawn only when stderr
// is a terminal, so logs and pipes stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace mammoth::ooc {

// Where progress goes instead of the terminal: the Python module draws it in a notebook,
// where stderr is no terminal. Called at most every 100 ms and once at the end
// (`final`), on the thread that runs the algorithm.
using ProgressSink = std::function<void(const std::string& label, std::uint64_t done, std::uint64_t total, bool final)>;

// Sends progress of algorithms run on this thread to `sink` while the guard lives.
class ScopedProgressSink {
 public:
  explicit ScopedProgressSink(ProgressSink sink);
  ~ScopedProgressSink();
  ScopedProgressSink(const ScopedProgressSink&) = delete;
  ScopedProgressSink& operator=(const ScopedProgressSink&) = delete;

 private:
  ProgressSink previous_;
};

class Progress {
 public:
  // `enabled` false (or stderr not a terminal and no sink installed) makes every call a no-op.
  Progress(std::string label, std::uint64_t total_bytes, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::uint64_t bytes);
  // Draws the final state and ends the line.
  void finish();
  bool active() const { return active_; }

 private:
  void draw(bool final);

  std::string label_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
  bool active_ = false;
  bool finished_ = false;
  ProgressSink sink_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace mammoth::ooc
