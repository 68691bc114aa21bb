// One background thread running I/O jobs in the order they were submitted, so the
// stores behind a stream only ever see one caller.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace mammoth::ooc::detail {

class IoThread {
 public:
  IoThread();
  // Drops the jobs not yet started and waits for the running one, so buffers the
  // jobs use may be freed right after.
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  // The future carries the job's exception, if it throws.
  std::future<void> submit(std::function<void()> job);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mammoth::ooc::detail
