#include "mammoth/profile/memit.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>

namespace mammoth::profile {
namespace {

// VmHWM is one per process, so every live measurement is listed here; a reset for a
// new one first hands the current high-water mark to those already running.
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::vector<Measurement*>& active() {
  static std::vector<Measurement*> all;
  return all;
}

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::int64_t current_hwm() {
  const auto s = read_proc_status();
  return s ? s->hwm : 0;
}

}  // namespace

Measurement::Measurement(const MemitOptions& options) : options_(options) {
  // The sampler starts first so that its thread's stack is part of the baseline.
  SamplerOptions so;
  so.interval = options.interval;
  so.include_children = options.include_children;
  so.timeout = options.timeout;
  sampler_ = std::make_unique<Sampler>(0, so);
  std::lock_guard lock(registry_mutex());
  const std::int64_t hwm = current_hwm();
  for (Measurement* outer : active()) outer->carry_peak(hwm);
  exact_ = reset_peak();
  const auto status = read_proc_status();
  if (status) baseline_ = status->resident;
  active().push_back(this);
  start_ = seconds_now();
}

Measurement::~Measurement() {
  if (!finished_) finish();
}

MemitRun Measurement::finish() {
  MemitRun run;
  run.elapsed = seconds_now() - start_;
  {
    std::lock_guard lock(registry_mutex());
    run.peak = std::max(current_hwm(), carried_peak_);
    auto& all = active();
    all.erase(std::remove(all.begin(), all.end(), this), all.end());
  }
  finished_ = true;
  run.baseline = baseline_;
  run.exact = exact_;
  run.timeline = sampler_->stop();
  run.timed_out = options_.timeout > 0 && run.elapsed > options_.timeout;
  const Sample* highest = nullptr;
  for (const Sample& s : run.timeline) {
    if (!highest || s.self.rss > highest->self.rss) highest = &s;
    run.children_peak = std::max(run.children_peak, s.children_rss);
  }
  if (!exact_ && highest) run.peak = highest->self.rss;  // VmHWM since start says nothing about the block
  if (options_.include_children)
    for (const Sample& s : run.timeline) run.peak = std::max(run.peak, s.total());
  if (highest)
    run.peak_split = highest->self;
  else
    run.peak_split = baseline_;
  run.peak_split.rss = run.peak;
  return run;
}

MemFigures MemitRun::increment_split() const {
  MemFigures d = peak_split - baseline;
  d.rss = increment();
  return d;
}

std::int64_t MemitRun::between_samples() const {
  const std::int64_t seen = peak_split.anon + peak_split.file + peak_split.shmem;
  return std::max<std::int64_t>(0, peak - seen - children_peak);
}

MemitResult memit(const std::function<void()>& fn, const MemitOptions& options) {
  MemitResult result;
  for (int i = 0; i < std::max(1, options.repeat); ++i) {
    Measurement m(options);
    fn();
    result.runs.push_back(m.finish());
    if (result.runs.back().peak > result.runs[result.best].peak) result.best = result.runs.size() - 1;
  }
  if (!options.quiet && options.out) *options.out << format_memit(result) << "\n" << std::flush;
  return result;
}

std::string format_memit(const MemitRun& run) {
  const MemFigures d = run.increment_split();
  char line[320];
  int n = std::snprintf(line, sizeof line, "peak memory: %.2f MiB, increment: %.2f MiB (anon %+.1f MiB, file %+.1f MiB",
                        to_mib(run.peak), to_mib(run.increment()), to_mib(d.anon), to_mib(d.file));
  std::string text(line, static_cast<std::size_t>(n));
  auto part = [&](const char* f, double v) {
    std::snprintf(line, sizeof line, f, v);
    text += line;
  };
  if (d.shmem >= 64 * 1024 || d.shmem <= -64 * 1024) part(", shmem %+.1f MiB", to_mib(d.shmem));
  if (run.children_peak > 0) part(", children %.1f MiB", to_mib(run.children_peak));
  // Sampling jitter is a page or two, or a sliver of a big increment; an unsampled
  // spike is far bigger.
  const std::int64_t noise = std::max<std::int64_t>(1 << 20, std::abs(run.increment()) / 50);
  if (run.between_samples() >= noise) part(", between samples +%.1f MiB", to_mib(run.between_samples()));
  text += ")";
  if (!run.exact) text += " [sampled peak, not exact]";
  if (run.timed_out) text += " [timed out]";
  return text;
}

namespace {

void figures_json(std::ostringstream& o, const char* name, const MemFigures& f) {
  o << "\"" << name << "\": {\"rss\": " << f.rss << ", \"anon\": " << f.anon << ", \"file\": " << f.file
    << ", \"shmem\": " << f.shmem << "}";
}

void run_json(std::ostringstream& o, const MemitRun& r) {
  char num[64];
  o << "{\"peak\": " << r.peak << ", \"increment\": " << r.increment() << ", ";
  std::snprintf(num, sizeof num, "%.6f", to_mib(r.peak));
  o << "\"peak_mib\": " << num << ", ";
  std::snprintf(num, sizeof num, "%.6f", to_mib(r.increment()));
  o << "\"increment_mib\": " << num << ", ";
  figures_json(o, "baseline", r.baseline);
  o << ", ";
  figures_json(o, "increment_split", r.increment_split());
  std::snprintf(num, sizeof num, "%.6f", r.elapsed);
  o << ", \"between_samples\": " << r.between_samples() << ", \"children_peak\": " << r.children_peak
    << ", \"elapsed\": " << num << ", \"samples\": " << r.timeline.size()
    << ", \"exact\": " << (r.exact ? "true" : "false") << ", \"timed_out\": " << (r.timed_out ? "true" : "false")
    << "}";
}

}  // namespace

std::string to_json(const MemitResult& result) {
  std::ostringstream o;
  o << "{\"best\": " << result.best << ", \"peak\": " << result.peak() << ", \"increment\": " << result.increment()
    << ", \"runs\": [";
  for (std::size_t i = 0; i < result.runs.size(); ++i) {
    if (i) o << ", ";
    run_json(o, result.runs[i]);
  }
  o << "]}";
  return o.str();
}

}  // namespace mammoth::profile
