#include "mammoth/h5/watchdog.hpp"

#include "mammoth/error.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

namespace mammoth::h5 {
namespace {

struct WatchState {
  std::mutex mutex;
  std::condition_variable wake;
  StuckCallHandler handler;
  std::chrono::milliseconds limit{0};
  int depth = 0;                 // nested watches; the outermost arms
  std::uint64_t generation = 0;  // one per armed watch
  std::chrono::steady_clock::time_point since;
  std::string what;
  bool thread_started = false;
};

// Shared with the watchdog thread, which keeps its own reference: the state outlives the
// static destructors run at exit while the (detached) thread still waits on it.
std::shared_ptr<WatchState>& state() {
  static std::shared_ptr<WatchState> s = std::make_shared<WatchState>();
  return s;
}

void watch_loop(std::shared_ptr<WatchState> s) {
  std::unique_lock lock(s->mutex);
  for (;;) {
    if (s->depth == 0 || !s->handler) {
      s->wake.wait(lock);
      continue;
    }
    const std::uint64_t generation = s->generation;
    const auto deadline = s->since + s->limit;
    const bool moved_on =
        s->wake.wait_until(lock, deadline, [&] { return s->depth == 0 || s->generation != generation; });
    if (moved_on) continue;
    const StuckCallHandler handler = s->handler;
    char waited[32];
    std::snprintf(waited, sizeof waited, "%g", static_cast<double>(s->limit.count()) / 1000);
    const std::string what = s->what + ": libhdf5 has not returned in " + waited +
                             " s; the file is likely damaged (libhdf5 can spin without end on a corrupt heap)";
    lock.unlock();
    handler(what);  // the CLI's ends the process; a handler that returns waits for the next call
    lock.lock();
    s->wake.wait(lock, [&] { return s->depth == 0 || s->generation != generation; });
  }
}

}  // namespace

std::chrono::milliseconds stuck_call_limit() {
  const char* text = std::getenv("MAMMOTH_HDF5_TIMEOUT");
  if (!text || !*text) return std::chrono::seconds(30);
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (*end != '\0' || !(seconds > 0) || seconds > 1e9)
    throw Error(std::string("MAMMOTH_HDF5_TIMEOUT='") + text + "': expected a number of seconds > 0");
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

void on_stuck_metadata_call(StuckCallHandler handler, std::chrono::milliseconds limit) {
  const std::shared_ptr<WatchState> s = state();
  std::lock_guard lock(s->mutex);
  s->handler = std::move(handler);
  s->limit = limit;
  if (s->handler && !s->thread_started) {
    std::thread(watch_loop, s).detach();
    s->thread_started = true;
  }
  s->wake.notify_all();
}

namespace detail {

MetadataWatch::MetadataWatch(const std::string& what) {
  const std::shared_ptr<WatchState>& s = state();
  std::lock_guard lock(s->mutex);
  if (!s->handler) return;
  armed_ = true;
  if (s->depth++ > 0) return;
  ++s->generation;
  s->since = std::chrono::steady_clock::now();
  s->what = what;
  s->wake.notify_all();
}

MetadataWatch::~MetadataWatch() {
  if (!armed_) return;
  const std::shared_ptr<WatchState>& s = state();
  std::lock_guard lock(s->mutex);
  if (--s->depth == 0) s->wake.notify_all();
}

}  // namespace detail
}  // namespace mammoth::h5
