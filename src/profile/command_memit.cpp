#include "mammoth/profile/command_memit.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"

namespace mammoth::profile {
namespace {

// Ignores SIGINT/SIGQUIT while the command runs, as system(3) does: the terminal sends
// them to the command too, and we still want to report what it did before dying.
class IgnoreInterrupts {
 public:
  IgnoreInterrupts() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ignore, &old_int_);
    ::sigaction(SIGQUIT, &ignore, &old_quit_);
  }
  ~IgnoreInterrupts() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGQUIT, &old_quit_, nullptr);
  }
  IgnoreInterrupts(const IgnoreInterrupts&) = delete;
  IgnoreInterrupts& operator=(const IgnoreInterrupts&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_quit_{};
};

// Sends SIGTERM after `timeout` seconds and SIGKILL two seconds later, unless disarmed.
class Watchdog {
 public:
  Watchdog(pid_t pid, double timeout) {
    if (timeout > 0) thread_ = std::thread([this, pid, timeout] { run(pid, timeout); });
  }
  ~Watchdog() { disarm(); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  void disarm() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool fired() const {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  void run(pid_t pid, double timeout) {
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, std::chrono::duration<double>(timeout), [this] { return done_; })) return;
    fired_ = true;
    ::kill(pid, SIGTERM);
    if (wake_.wait_for(lock, std::chrono::seconds(2), [this] { return done_; })) return;
    ::kill(pid, SIGKILL);
  }

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false, fired_ = false;
  std::thread thread_;
};

bool is_event(int status, int event) { return (status >> 8) == (SIGTRAP | (event << 8)); }

[[noreturn]] void exec_child(int go, int report, std::vector<char*>& args) {
  char c;
  while (::read(go, &c, 1) < 0 && errno == EINTR) {
  }
  ::execvp(args[0], args.data());
  const int e = errno;
  [[maybe_unused]] auto n = ::write(report, &e, sizeof e);
  ::_exit(127);
}

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What following the command saw.
struct Observed {
  std::optional<MemFigures> baseline;  // at the first exec (traced runs only)
  std::int64_t exit_hwm = 0;           // VmHWM at the exit stop (traced runs only)
  std::int64_t sampled_self_peak = 0;  // highest VmHWM the sampler read
  std::vector<Sample> timeline;
  std::map<pid_t, std::int64_t> children_peaks;
  int status = 0;  // from wait4
  struct rusage usage {};
};

// Waits for the command, answering its ptrace stops, and samples it meanwhile.
class Follower {
 public:
  Follower(pid_t pid, bool traced, SamplerOptions options) : pid_(pid), options_(options) {
    // Untraced, there is no exec stop to start at: sample from now.
    if (!traced) sampler_ = std::make_unique<Sampler>(pid, options);
  }

  Observed follow(const std::string& name) {
    for (;;) {
      if (::wait4(pid_, &seen_.status, __WALL, &seen_.usage) < 0) {
        if (errno == EINTR) continue;
        throw_io_error("memit", "cannot wait for '" + name + "'", errno);
      }
      const int status = seen_.status;
      if (WIFEXITED(status) || WIFSIGNALED(status)) break;
      if (!WIFSTOPPED(status)) continue;
      if (is_event(status, PTRACE_EVENT_EXEC)) {
        on_exec();
      } else if (is_event(status, PTRACE_EVENT_EXIT)) {
        on_exit();
      } else if ((status >> 16) == PTRACE_EVENT_STOP) {
        const int sig = WSTOPSIG(status);
        const bool group_stop = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
        ::ptrace(group_stop ? PTRACE_LISTEN : PTRACE_CONT, pid_, nullptr, nullptr);
      } else {
        // A signal on its way to the command: pass it on untouched.
        ::ptrace(PTRACE_CONT, pid_, nullptr, reinterpret_cast<void*>(static_cast<long>(WSTOPSIG(status))));
      }
    }
    stop_sampler();
    return std::move(seen_);
  }

 private:
  void on_exec() {
    if (!seen_.baseline) {
      if (const auto s = read_proc_status(pid_))
        seen_.baseline = s->resident;
      else
        seen_.baseline = MemFigures{};
      sampler_ = std::make_unique<Sampler>(pid_, options_);
    }
    ::ptrace(PTRACE_CONT, pid_, nullptr, nullptr);
  }

  // The last moment the memory still exists: VmHWM now is the process's exact peak.
  void on_exit() {
    if (const auto s = read_proc_status(pid_)) seen_.exit_hwm = std::max(seen_.exit_hwm, s->hwm);
    stop_sampler();
    ::ptrace(PTRACE_CONT, pid_, nullptr, nullptr);
  }

  void stop_sampler() {
    if (!sampler_) return;
    auto samples = sampler_->stop();
    seen_.timeline.insert(seen_.timeline.end(), samples.begin(), samples.end());
    for (const auto& [child, peak] : sampler_->children_peaks())
      seen_.children_peaks[child] = std::max(seen_.children_peaks[child], peak);
    seen_.sampled_self_peak = std::max(seen_.sampled_self_peak, sampler_->self_peak());
    sampler_.reset();
  }

  pid_t pid_;
  SamplerOptions options_;
  std::unique_ptr<Sampler> sampler_;
  Observed seen_;
};

// The figures memit reports, from what was observed.
MemitRun summarize(Observed seen, const MemitOptions& options, std::int64_t fork_copy_bound) {
  MemitRun run;
  run.exact = seen.baseline.has_value();
  run.baseline = seen.baseline.value_or(seen.timeline.empty() ? MemFigures{} : seen.timeline.front().self);
  const Sample* highest = nullptr;
  for (const Sample& s : seen.timeline) {
    if (!highest || s.self.rss > highest->self.rss) highest = &s;
    run.children_peak = std::max(run.children_peak, s.children_rss);
  }
  run.peak = std::max(seen.exit_hwm, seen.sampled_self_peak);
  if (options.include_children) {
    // The tree: at least any one member's peak (ru_maxrss covers children the command
    // waited for, even those too short to sample) and at least every sampled sum.
    // An ru_maxrss no larger than we were at fork may be only that copy: it says nothing.
    const std::int64_t maxrss = static_cast<std::int64_t>(seen.usage.ru_maxrss) * 1024;
    if (maxrss > fork_copy_bound) run.peak = std::max(run.peak, maxrss);
    for (const auto& [child, peak] : seen.children_peaks) run.peak = std::max(run.peak, peak);
    for (const Sample& s : seen.timeline) run.peak = std::max(run.peak, s.total());
  }
  run.peak_split = highest ? highest->self : run.baseline;
  run.peak_split.rss = run.peak;
  run.timeline = std::move(seen.timeline);
  return run;
}

}  // namespace

MemitRun measure_command(const std::vector<std::string>& argv, const MemitOptions& options, int& exit_status) {
  if (argv.empty()) throw Error("memit: no command given (expected: mammoth memit -- CMD ARGS…)");
  std::vector<std::string> copy = argv;
  std::vector<char*> args;
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);

  // `go` holds the child back until it is seized; `report` carries exec's errno back.
  int go_fds[2], report_fds[2];
  if (::pipe2(go_fds, O_CLOEXEC) != 0) throw_io_error("memit", "cannot create a pipe", errno);
  FileHandle go_read(go_fds[0]), go_write(go_fds[1]);
  if (::pipe2(report_fds, O_CLOEXEC) != 0) throw_io_error("memit", "cannot create a pipe", errno);
  FileHandle report_read(report_fds[0]), report_write(report_fds[1]);

  // The child starts as a copy of us, and that copy's size stays in its ru_maxrss.
  const auto ours = read_proc_status();
  const std::int64_t fork_copy_bound = ours ? ours->resident.rss : 0;
  const pid_t pid = ::fork();
  if (pid < 0) throw_io_error("memit", "cannot fork to run '" + argv[0] + "'", errno);
  if (pid == 0) exec_child(go_read.get(), report_write.get(), args);
  go_read.reset();
  report_write.reset();
  IgnoreInterrupts ignore;

  // Seize before the child may exec, so neither exec nor exit can slip past.
  const bool traced =
      options.trace && ::ptrace(PTRACE_SEIZE, pid, nullptr, PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC) == 0;
  const double start = seconds_now();
  [[maybe_unused]] auto n = ::write(go_write.get(), "g", 1);
  go_write.reset();

  SamplerOptions so;
  so.interval = options.interval;
  so.include_children = options.include_children;
  Follower follower(pid, traced, so);
  Watchdog watchdog(pid, options.timeout);
  Observed seen = follower.follow(argv[0]);
  watchdog.disarm();
  const double elapsed = seconds_now() - start;

  int exec_errno = 0;
  if (::read(report_read.get(), &exec_errno, sizeof exec_errno) == static_cast<ssize_t>(sizeof exec_errno))
    throw_io_error("memit", "cannot run '" + argv[0] + "'", exec_errno);

  const int status = seen.status;
  MemitRun run = summarize(std::move(seen), options, fork_copy_bound);
  run.elapsed = elapsed;
  run.timed_out = watchdog.fired();
  exit_status = run.timed_out ? 124 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

CommandResult memit_command(const std::vector<std::string>& argv, const MemitOptions& options) {
  CommandResult result;
  for (int i = 0; i < std::max(1, options.repeat); ++i) {
    int status = 0;
    result.memit.runs.push_back(measure_command(argv, options, status));
    if (result.memit.runs.back().peak > result.memit.runs[result.memit.best].peak)
      result.memit.best = result.memit.runs.size() - 1;
    result.exit_status = status;
    if (status != 0) break;
  }
  if (!options.quiet && options.out) *options.out << format_memit(result.memit) << "\n" << std::flush;
  return result;
}

}  // namespace mammoth::profile
