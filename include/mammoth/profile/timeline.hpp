// Memory over time: a sampler thread that reads /proc/<pid>/status at a fixed interval,
// and memory_profiler's mprofile_*.dat text format to keep and plot what it saw.
//
// The sampler gives the timeline and the anon/file split; it never decides the peak
// (a sample can fall either side of a short spike). Peaks come from VmHWM.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mammoth/profile/proc_status.hpp"

namespace mammoth::profile {

struct ChildSample {
  pid_t pid = 0;
  std::int64_t rss = 0;
};

struct Sample {
  double time = 0;                // seconds since the Unix epoch (mprof's clock)
  MemFigures self;                // the watched process
  std::int64_t hwm = 0;           // its VmHWM at that moment
  std::int64_t children_rss = 0;  // sum over its living descendants (when watched)
  std::vector<ChildSample> children;
  bool has_split = true;  // false for samples read from a file without SPLIT lines

  std::int64_t total() const { return self.rss + children_rss; }
};

struct SamplerOptions {
  double interval = 0.1;  // seconds between samples
  bool include_children = false;
  double timeout = 0;  // stop sampling after this many seconds; 0: never
};

// Samples `pid` (0: this process) on its own thread from construction until stop();
// the constructor returns once the first sample is taken.
class Sampler {
 public:
  Sampler(pid_t pid, SamplerOptions options);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Ends sampling (taking one last sample first) and returns everything seen.
  std::vector<Sample> stop();
  // Highest VmHWM seen per descendant pid (children are only watched with include_children).
  std::map<pid_t, std::int64_t> children_peaks() const;
  // Highest VmHWM seen for the watched process itself.
  std::int64_t self_peak() const;
  // Reads one sample now, on the calling thread; false when the process is gone.
  bool take(Sample& out);

 private:
  void run();

  pid_t pid_;
  SamplerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool first_taken_ = false;
  std::vector<Sample> samples_;
  std::map<pid_t, std::int64_t> children_peaks_;
  std::int64_t self_peak_ = 0;
  std::thread thread_;
};

// What an mprofile file holds.
struct Timeline {
  std::string cmdline;
  std::vector<Sample> samples;
  std::int64_t exact_peak = 0;  // the VmHWM-based peak when known (our "PEAK" line); 0: unknown
};

// memory_profiler's format: "CMDLINE <cmd>", then per sample "MEM <MiB> <unix time>"
// (MiB of the process, or of the whole tree with include_children, as `mprof run -C`),
// "CHLD <pid> <MiB> <time>" per child, and our own "SPLIT <anon> <file> <shmem> <time>"
// lines and a final "PEAK <MiB>" (the exact peak), which mprof's reader skips as unknown fields.
void write_mprofile(std::ostream& out, const Timeline& timeline, bool include_children);
// Reads what write_mprofile (or `mprof run`) wrote; throws FormatError naming `name`.
Timeline read_mprofile(std::istream& in, const std::string& name);

struct PlotOptions {
  int width = 900;
  int height = 540;
  std::string title;  // default: the command line
};

// An SVG line chart: MiB over seconds, the peak marked, anon/file split as stacked
// areas when recorded, children as dashed lines.
std::string plot_svg(const Timeline& timeline, const PlotOptions& options = {});

}  // namespace mammoth::profile
