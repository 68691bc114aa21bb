// The helper behaviours (see helper_process.hpp):
//   anon N MS     touch N MiB of anonymous memory, hold it MS milliseconds, exit 0
//   spike N MS    touch N MiB, free it at once, then sleep MS milliseconds
//   spawn N MS    run `anon N MS` as a child process and wait for it (stays small itself)
//   exit K        exit with status K
//   signal        die of SIGTERM
//   sleep MS      sleep
#include "helper_process.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace mammoth::testing {
namespace {

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

void sleep_ms(long ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

[[noreturn]] void run_helper(const std::vector<std::string>& a) {
  const std::string what = a.size() > 0 ? a[0] : "";
  const long n = a.size() > 1 ? std::atol(a[1].c_str()) : 0;
  const long ms = a.size() > 2 ? std::atol(a[2].c_str()) : 0;
  if (what == "anon") {
    void* p = touch_anonymous(static_cast<std::size_t>(n));
    sleep_ms(ms);
    release_anonymous(p, static_cast<std::size_t>(n));
  } else if (what == "spike") {
    release_anonymous(touch_anonymous(static_cast<std::size_t>(n)), static_cast<std::size_t>(n));
    sleep_ms(ms);
  } else if (what == "spawn") {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const std::string exe = self_exe();
      ::execl(exe.c_str(), exe.c_str(), "--profile-helper", "anon", a[1].c_str(), a[2].c_str(), nullptr);
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
  } else if (what == "exit") {
    ::_exit(static_cast<int>(n));
  } else if (what == "signal") {
    ::signal(SIGTERM, SIG_DFL);
    ::raise(SIGTERM);
  } else if (what == "sleep") {
    sleep_ms(n);
  } else {
    ::_exit(99);
  }
  ::_exit(0);
}

// Runs before main: if this process was started as a helper, be one and exit.
const bool helper_checked = [] {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t pos = 0; pos < all.size();) {
    const std::size_t end = all.find('\0', pos);
    args.push_back(all.substr(pos, end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  if (args.size() >= 2 && args[1] == "--profile-helper") run_helper({args.begin() + 2, args.end()});
  return true;
}();

}  // namespace

std::vector<std::string> helper_command(const std::vector<std::string>& args) {
  std::vector<std::string> cmd{self_exe(), "--profile-helper"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  return cmd;
}

void* touch_anonymous(std::size_t mib) {
  const std::size_t bytes = mib << 20;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();
  auto* c = static_cast<volatile char*>(p);
  for (std::size_t i = 0; i < bytes; i += 4096) c[i] = 1;
  return p;
}

void release_anonymous(void* p, std::size_t mib) { ::munmap(p, mib << 20); }

}  // namespace mammoth::testing
