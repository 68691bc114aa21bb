#include "thread_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace mammoth::ooc::detail {
namespace {

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  void run(int nt, const std::function<void(int, int)>& fn) {
    std::lock_guard call(call_mutex_);
    {
      std::lock_guard lock(mutex_);
      while (static_cast<int>(workers_.size()) < nt - 1) {
        const int id = static_cast<int>(workers_.size()) + 1;
        workers_.emplace_back([this, id] { work(id); });
      }
      job_ = &fn;
      team_ = nt;
      pending_ = nt - 1;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    try {
      fn(0, nt);
    } catch (...) {
      record(std::current_exception());
    }
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void record(std::exception_ptr e) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = e;
  }

  void work(int id) {
    std::uint64_t seen = 0;
    for (;;) {
      const std::function<void(int, int)>* job;
      int team;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
        team = team_;
      }
      if (id >= team) continue;  // not in this team
      try {
        (*job)(id, team);
      } catch (...) {
        record(std::current_exception());
      }
      std::lock_guard lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex call_mutex_, mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  int team_ = 0, pending_ = 0;
  std::uint64_t generation_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void parallel(int threads, const std::function<void(int, int)>& fn) {
  if (threads <= 1) return fn(0, 1);
  pool().run(threads, fn);
}

void parallel_parts(std::int64_t n, int threads, std::int64_t grain,
                    const std::function<void(int, std::int64_t, std::int64_t)>& fn) {
  const std::int64_t parts = std::clamp<std::int64_t>(n / std::max<std::int64_t>(grain, 1), 1, threads);
  if (parts <= 1) {
    if (n > 0) fn(0, 0, n);
    return;
  }
  parallel(static_cast<int>(parts), [&](int t, int nt) {
    const std::int64_t begin = n * t / nt, end = n * (t + 1) / nt;
    if (end > begin) fn(t, begin, end);
  });
}

void parallel_for(std::int64_t n, int threads, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn) {
  parallel_parts(n, threads, grain, [&](int, std::int64_t begin, std::int64_t end) { fn(begin, end); });
}

}  // namespace mammoth::ooc::detail
