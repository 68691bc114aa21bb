#include "io_thread.hpp"

namespace mammoth::ooc::detail {

IoThread::IoThread() : thread_([this] { run(); }) {}

IoThread::~IoThread() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    jobs_.clear();
  }
  wake_.notify_one();
  thread_.join();
}

std::future<void> IoThread::submit(std::function<void()> job) {
  std::packaged_task<void()> task(std::move(job));
  auto future = task.get_future();
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(task));
  }
  wake_.notify_one();
  return future;
}

void IoThread::run() {
  for (;;) {
    std::packaged_task<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      task = std::move(jobs_.front());
      jobs_.pop_front();
    }
    task();  // packaged_task stores an exception in the future instead of throwing
  }
}

}  // namespace mammoth::ooc::detail
