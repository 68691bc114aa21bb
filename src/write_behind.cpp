#include "write_behind.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace mammoth::detail {
namespace {
std::atomic<DataSync> data_sync{&::fdatasync};
}  // namespace

DataSync set_write_behind_sync(DataSync sync) noexcept { return data_sync.exchange(sync); }

int sync_data(int fd) { return data_sync.load()(fd); }

WriteBehind::WriteBehind(int fd, bool owned) : fd_(fd), owned_(owned), thread_([this] { run(); }) {}

WriteBehind::~WriteBehind() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (owned_) ::close(fd_);
}

void WriteBehind::request() {
  {
    const std::lock_guard lock(mutex_);
    pending_ = true;
  }
  wake_.notify_all();
}

int WriteBehind::drain() {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return !pending_ && !running_; });
  return error_;
}

void WriteBehind::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || pending_; });
    if (stop_) return;
    pending_ = false;
    running_ = true;
    lock.unlock();
    const int err = data_sync.load()(fd_) == 0 ? 0 : errno;
    lock.lock();
    running_ = false;
    if (error_ == 0) error_ = err;
    wake_.notify_all();
  }
}

}  // namespace mammoth::detail
