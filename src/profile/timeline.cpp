#include "mammoth/profile/timeline.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <istream>
#include <ostream>
#include <sstream>

#include "mammoth/error.hpp"

namespace mammoth::profile {
namespace {

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

}  // namespace

Sampler::Sampler(pid_t pid, SamplerOptions options) : pid_(pid), options_(options) {
  if (!(options_.interval > 0)) options_.interval = 0.1;
  thread_ = std::thread([this] { run(); });
  // The first sample is the "before" picture: take it before the caller goes on, or a
  // slow thread start would land it in the middle of what is being measured.
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return first_taken_; });
}

Sampler::~Sampler() { stop(); }

bool Sampler::take(Sample& out) {
  const auto status = read_proc_status(pid_);
  if (!status) return false;
  out.time = unix_now();
  out.self = status->resident;
  out.hwm = status->hwm;
  out.children.clear();
  out.children_rss = 0;
  std::lock_guard lock(mutex_);
  self_peak_ = std::max(self_peak_, status->hwm);
  if (!options_.include_children) return true;
  for (pid_t child : descendants(pid_ == 0 ? ::getpid() : pid_)) {
    const auto cs = read_proc_status(child);
    if (!cs) continue;
    out.children.push_back({child, cs->resident.rss});
    out.children_rss += cs->resident.rss;
    auto& peak = children_peaks_[child];
    peak = std::max(peak, cs->hwm);
  }
  return true;
}

void Sampler::run() {
  const auto interval = std::chrono::duration<double>(options_.interval);
  const auto start = std::chrono::steady_clock::now();
  auto next = start;
  for (;;) {
    Sample s;
    const bool alive = take(s);
    std::unique_lock lock(mutex_);
    if (alive) samples_.push_back(std::move(s));
    if (!first_taken_) {
      first_taken_ = true;
      wake_.notify_all();
    }
    if (!alive || stopping_) return;
    if (options_.timeout > 0 &&
        std::chrono::steady_clock::now() - start >= std::chrono::duration<double>(options_.timeout))
      return;
    // Fixed rate, not fixed gap: the read's own time does not stretch the interval.
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
  }
}

std::vector<Sample> Sampler::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return samples_;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  Sample last;
  if (take(last)) {
    std::lock_guard lock(mutex_);
    samples_.push_back(std::move(last));
  }
  std::lock_guard lock(mutex_);
  return samples_;
}

std::map<pid_t, std::int64_t> Sampler::children_peaks() const {
  std::lock_guard lock(mutex_);
  return children_peaks_;
}

std::int64_t Sampler::self_peak() const {
  std::lock_guard lock(mutex_);
  return self_peak_;
}

void write_mprofile(std::ostream& out, const Timeline& timeline, bool include_children) {
  // One line per field: a newline inside an argument (python3 -c "…") would start a bogus record.
  std::string cmdline = timeline.cmdline;
  for (char& c : cmdline)
    if (c == '\n' || c == '\r') c = ' ';
  out << "CMDLINE " << cmdline << "\n";
  char line[160];
  for (const Sample& s : timeline.samples) {
    const double mem = to_mib(include_children ? s.total() : s.self.rss);
    std::snprintf(line, sizeof line, "MEM %.6f %.4f\n", mem, s.time);
    out << line;
    if (s.has_split) {
      std::snprintf(line, sizeof line, "SPLIT %.6f %.6f %.6f %.4f\n", to_mib(s.self.anon), to_mib(s.self.file),
                    to_mib(s.self.shmem), s.time);
      out << line;
    }
    for (const ChildSample& c : s.children) {
      std::snprintf(line, sizeof line, "CHLD %d %.6f %.4f\n", static_cast<int>(c.pid), to_mib(c.rss), s.time);
      out << line;
    }
  }
  if (timeline.exact_peak > 0) {
    std::snprintf(line, sizeof line, "PEAK %.6f\n", to_mib(timeline.exact_peak));
    out << line;
  }
}

namespace {

std::vector<double> numbers(const std::string& text, std::size_t want, const std::string& name, int line_no) {
  std::istringstream in(text);
  std::vector<double> v;
  double x = 0;
  while (v.size() < want && in >> x) v.push_back(x);
  if (v.size() < want)
    throw FormatError(name + ": line " + std::to_string(line_no) + ": expected " + std::to_string(want) +
                      " numbers, found '" + text + "'");
  return v;
}

std::int64_t mib_bytes(double mib) { return static_cast<std::int64_t>(mib * static_cast<double>(kMiB) + 0.5); }

}  // namespace

Timeline read_mprofile(std::istream& in, const std::string& name) {
  Timeline t;
  std::string line;
  int line_no = 0;
  // CHLD lines carry their own time; attach them to the MEM sample with that time.
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const std::size_t space = line.find(' ');
    const std::string field = line.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    if (field == "CMDLINE") {
      t.cmdline = rest;
    } else if (field == "MEM") {
      const auto v = numbers(rest, 2, name, line_no);
      Sample s;
      s.self.rss = mib_bytes(v[0]);
      s.time = v[1];
      s.has_split = false;
      t.samples.push_back(s);
    } else if (field == "SPLIT" && !t.samples.empty()) {
      const auto v = numbers(rest, 4, name, line_no);
      Sample& s = t.samples.back();
      s.self.anon = mib_bytes(v[0]);
      s.self.file = mib_bytes(v[1]);
      s.self.shmem = mib_bytes(v[2]);
      s.has_split = true;
    } else if (field == "PEAK") {
      t.exact_peak = mib_bytes(numbers(rest, 1, name, line_no)[0]);
    } else if (field == "CHLD" && !t.samples.empty()) {
      const auto v = numbers(rest, 3, name, line_no);
      Sample& s = t.samples.back();
      // MEM already holds the tree's total when children were recorded.
      s.children.push_back({static_cast<pid_t>(v[0]), mib_bytes(v[1])});
    }
  }
  if (t.samples.empty()) throw FormatError(name + ": no MEM lines (expected an mprofile file from `mprof run`)");
  return t;
}

}  // namespace mammoth::profile
