// Shared by every test program: scratch folders and running the mammoth CLI.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "mammoth/profile/memit.hpp"

namespace mammoth::testing {

// Under AddressSanitizer freed heap sits in a quarantine and every allocation carries
// redzones and shadow memory, so bounds on resident heap memory do not hold there.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

// A fresh folder under $TMPDIR, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int status;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};

// Runs the built `mammoth` binary with `args` (no shell).
CliResult run_cli(const std::vector<std::string>& args);

// Peak resident growth while `fn` runs, in MiB, from mammoth's own memit (VmHWM reset
// before, read after: exact, not sampled).
inline double peak_increment_mib(const std::function<void()>& fn) {
  profile::MemitOptions options;
  options.quiet = true;
  return static_cast<double>(profile::memit(fn, options).increment()) / (1 << 20);
}

// Writes `bytes` to `path`, replacing it.
void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);

// Resident KiB of the mapping that contains `address` (its VMA's Rss in /proc/self/smaps),
// -1 when no mapping does. Unlike RssFile it counts no other mapping: the kernel may fold
// the test program's own text into huge pages at any moment (khugepaged), 64 MiB at once.
double mapping_rss_kib(const void* address);

}  // namespace mammoth::testing
