// What watching memory costs: one /proc/self/status read, and a sampler at 100 Hz
// (target: under 1% of a core), alone and with the children scan.
#include <benchmark/benchmark.h>
#include <time.h>

#include <chrono>
#include <thread>

#include "mammoth/profile/memit.hpp"
#include "mammoth/profile/proc_status.hpp"
#include "mammoth/profile/timeline.hpp"

namespace {

double cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void BM_ReadProcStatus(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(mammoth::profile::read_proc_status());
}
BENCHMARK(BM_ReadProcStatus);

void BM_ResetPeak(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(mammoth::profile::reset_peak());
}
BENCHMARK(BM_ResetPeak);

// The process sleeps while the sampler runs, so all CPU time is the sampler's.
void sampler_cost(benchmark::State& state, bool children) {
  const double seconds = 2.0;
  for (auto _ : state) {
    mammoth::profile::SamplerOptions o;
    o.interval = 0.01;
    o.include_children = children;
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    std::size_t samples = 0;
    {
      mammoth::profile::Sampler sampler(0, o);
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      samples = sampler.stop().size();
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.counters["core_percent"] = 100.0 * (cpu_seconds() - cpu0) / wall;
    state.counters["samples_per_s"] = static_cast<double>(samples) / wall;
  }
}
void BM_Sampler100Hz(benchmark::State& state) { sampler_cost(state, false); }
void BM_Sampler100HzWithChildren(benchmark::State& state) { sampler_cost(state, true); }
BENCHMARK(BM_Sampler100Hz)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Sampler100HzWithChildren)->Iterations(1)->Unit(benchmark::kMillisecond);

// A whole memit of an empty block: sampler start/stop, reset and reads.
void BM_MemitEmptyBlock(benchmark::State& state) {
  mammoth::profile::MemitOptions o;
  o.quiet = true;
  for (auto _ : state) benchmark::DoNotOptimize(mammoth::profile::memit([] {}, o));
}
BENCHMARK(BM_MemitEmptyBlock)->Unit(benchmark::kMicrosecond);

}  // namespace
