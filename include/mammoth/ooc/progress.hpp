// A progress bar on stderr — bytes done, rate and time left — drawn only when stderr
// is a terminal, so logs and pipes stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mammoth::ooc {

class Progress {
 public:
  // `enabled` false (or stderr not a terminal) makes every call a no-op.
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
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace mammoth::ooc
