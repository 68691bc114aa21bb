// memit: the memory a block of code takes, as IPython's %memit reports it — but with an
// exact peak and the anonymous/file-backed split.
//
//   auto r = mammoth::profile::memit([&] { auto a = NdArray<double>::full({100, 100}, 1.0); });
//   // prints "peak memory: 5.87 MiB, increment: 0.10 MiB (anon +0.10 MiB, file +0.00 MiB)"
//
// The peak is the kernel's own high-water mark (VmHWM, reset through /proc/self/clear_refs
// before the block), so a spike between samples is still caught. The sampler thread only
// draws the timeline and tells which kind of pages made the peak.
#pragma once

#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mammoth/profile/proc_status.hpp"
#include "mammoth/profile/timeline.hpp"

namespace mammoth::profile {

// As %memit's flags: -r repeat, -t timeout, -i interval, -c include children, -q quiet.
struct MemitOptions {
  int repeat = 1;                 // runs; the result is the highest peak, as memory_profiler
  double timeout = 0;             // seconds; 0: none. In-process blocks cannot be stopped: the
                                  // sampler stops and the run is marked timed_out.
  double interval = 0.1;          // seconds between timeline samples
  bool include_children = false;  // add descendant processes' memory
  bool quiet = false;             // do not print the report line
  std::ostream* out = &std::cout;
  bool trace = true;  // commands only: stop them at exec and exit (ptrace) for the exact baseline
                      // and peak; false, or ptrace refused: the highest sampled VmHWM
};

// One run of the block.
struct MemitRun {
  MemFigures baseline;             // resident memory just before the block
  std::int64_t peak = 0;           // exact highest resident memory during the block (VmHWM)
  MemFigures peak_split;           // sampled anon/file/shmem at the highest sample (rss = peak)
  std::int64_t children_peak = 0;  // highest summed descendant RSS seen (include_children)
  double elapsed = 0;              // seconds
  bool timed_out = false;
  bool exact = true;  // false when the kernel refused to reset the high-water mark
  std::vector<Sample> timeline;

  std::int64_t increment() const { return peak - baseline.rss; }
  // Of the increment, what the samples saw grow as anon / file / shmem; the rest
  // (a peak shorter than the sampling interval) is `between_samples()`.
  MemFigures increment_split() const;
  std::int64_t between_samples() const;
};

struct MemitResult {
  std::vector<MemitRun> runs;
  std::size_t best = 0;  // index of the run with the highest peak
  const MemitRun& run() const { return runs.at(best); }
  std::int64_t peak() const { return run().peak; }
  std::int64_t increment() const { return run().increment(); }
  const MemFigures& baseline() const { return run().baseline; }
};

// One measurement, started by the constructor and ended by finish(); what memit and
// MemScope are made of. Measurements may nest: resetting the high-water mark for an
// inner one first folds it into every outer one, so outer peaks stay exact.
class Measurement {
 public:
  explicit Measurement(const MemitOptions& options = {});
  ~Measurement();
  Measurement(const Measurement&) = delete;
  Measurement& operator=(const Measurement&) = delete;
  MemitRun finish();

  // Internal: the highest VmHWM seen before an inner measurement reset it.
  void carry_peak(std::int64_t hwm) { carried_peak_ = std::max(carried_peak_, hwm); }

 private:
  MemitOptions options_;
  MemFigures baseline_;
  std::int64_t carried_peak_ = 0;
  bool exact_ = true;
  bool finished_ = false;
  double start_ = 0;
  std::unique_ptr<Sampler> sampler_;
};

// Runs `fn` options.repeat times, measuring each run; prints the report unless quiet.
MemitResult memit(const std::function<void()>& fn, const MemitOptions& options = {});

// "peak memory: 438.49 MiB, increment: 387.62 MiB (anon +1.20 MiB, file +386.42 MiB)"
// — memory_profiler's line, then the split of the increment.
std::string format_memit(const MemitRun& run);
inline std::string format_memit(const MemitResult& result) { return format_memit(result.run()); }
// The result as one JSON object (bytes and MiB, per-run figures).
std::string to_json(const MemitResult& result);

}  // namespace mammoth::profile
