#include "mammoth/profile/proc_status.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

namespace mammoth::profile {

MemFigures& MemFigures::operator+=(const MemFigures& o) {
  rss += o.rss;
  anon += o.anon;
  file += o.file;
  shmem += o.shmem;
  return *this;
}

MemFigures operator-(const MemFigures& a, const MemFigures& b) {
  return {a.rss - b.rss, a.anon - b.anon, a.file - b.file, a.shmem - b.shmem};
}

namespace {

std::string proc_path(pid_t pid, const char* leaf) {
  return pid == 0 ? std::string("/proc/self/") + leaf : "/proc/" + std::to_string(pid) + "/" + leaf;
}

// The whole small file in one read(2): status changes between reads, and one
// syscall keeps the sampler cheap.
std::optional<std::string> slurp(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

// "VmHWM:\t    2152 kB" → 2152 × 1024; -1 when the key is absent.
std::int64_t field_bytes(std::string_view text, std::string_view key) {
  std::size_t pos = 0;
  while ((pos = text.find(key, pos)) != std::string_view::npos) {
    if ((pos == 0 || text[pos - 1] == '\n') && pos + key.size() < text.size() && text[pos + key.size()] == ':') break;
    pos += key.size();
  }
  if (pos == std::string_view::npos) return -1;
  std::size_t p = pos + key.size() + 1;
  while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
  std::int64_t kib = 0;
  const auto [end, ec] = std::from_chars(text.data() + p, text.data() + text.size(), kib);
  if (ec != std::errc{}) return -1;
  (void)end;
  return kib * 1024;
}

}  // namespace

std::optional<ProcStatus> read_proc_status(pid_t pid) {
  const auto text = slurp(proc_path(pid, "status"));
  if (!text) return std::nullopt;
  ProcStatus s;
  s.resident.rss = field_bytes(*text, "VmRSS");
  if (s.resident.rss < 0) return std::nullopt;  // a zombie: its memory is gone
  s.resident.anon = std::max<std::int64_t>(0, field_bytes(*text, "RssAnon"));
  s.resident.file = std::max<std::int64_t>(0, field_bytes(*text, "RssFile"));
  s.resident.shmem = std::max<std::int64_t>(0, field_bytes(*text, "RssShmem"));
  s.hwm = std::max<std::int64_t>(s.resident.rss, field_bytes(*text, "VmHWM"));
  s.swap = std::max<std::int64_t>(0, field_bytes(*text, "VmSwap"));
  return s;
}

bool reset_peak(pid_t pid) {
  const int fd = ::open(proc_path(pid, "clear_refs").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, "5", 1) == 1;
  ::close(fd);
  return ok;
}

namespace {

void children_from_task_lists(pid_t pid, std::vector<pid_t>& out, bool& supported) {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const auto text = slurp((task.path() / "children").string());
    if (!text) {
      supported = false;
      return;
    }
    const char* p = text->data();
    const char* end = p + text->size();
    while (p < end) {
      pid_t child = 0;
      const auto [next, err] = std::from_chars(p, end, child);
      if (err == std::errc{}) {
        out.push_back(child);
        p = next;
      } else {
        ++p;
      }
    }
  }
}

// pid → parent pid for every process, from /proc/<pid>/stat ("pid (comm) state ppid …";
// comm may hold spaces and parentheses, so parse from the last ')').
std::multimap<pid_t, pid_t> parent_map() {
  std::multimap<pid_t, pid_t> children_of;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    pid_t pid = 0;
    if (std::from_chars(name.data(), name.data() + name.size(), pid).ec != std::errc{}) continue;
    const auto stat = slurp(entry.path().string() + "/stat");
    if (!stat) continue;
    const std::size_t close = stat->rfind(')');
    if (close == std::string::npos || close + 4 >= stat->size()) continue;
    pid_t ppid = 0;
    const char* p = stat->data() + close + 4;  // ") S " then ppid
    if (std::from_chars(p, stat->data() + stat->size(), ppid).ec == std::errc{}) children_of.emplace(ppid, pid);
  }
  return children_of;
}

}  // namespace

std::vector<pid_t> descendants(pid_t pid) {
  std::vector<pid_t> found;
  bool supported = true;
  std::vector<pid_t> frontier{pid};
  while (!frontier.empty() && supported) {
    std::vector<pid_t> next;
    for (pid_t p : frontier) children_from_task_lists(p, next, supported);
    found.insert(found.end(), next.begin(), next.end());
    frontier = std::move(next);
  }
  return supported ? found : descendants_by_scan(pid);
}

std::vector<pid_t> descendants_by_scan(pid_t pid) {
  const auto children_of = parent_map();
  std::vector<pid_t> found;
  std::vector<pid_t> frontier{pid};
  while (!frontier.empty()) {
    std::vector<pid_t> next;
    for (pid_t p : frontier) {
      auto [lo, hi] = children_of.equal_range(p);
      for (auto it = lo; it != hi; ++it) next.push_back(it->second);
    }
    found.insert(found.end(), next.begin(), next.end());
    frontier = std::move(next);
  }
  return found;
}

}  // namespace mammoth::profile
