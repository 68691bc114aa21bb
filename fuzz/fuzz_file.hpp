// What the file-reading targets share: the input as a file with the right extension
// (readers take paths), and the errors a reader may rightly raise on bad input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "mammoth/allocation.hpp"
#include "mammoth/error.hpp"

namespace mammoth::fuzz {

// An input may rightly claim a matrix of many GiB (a COO of 2e9 rows and no entries needs
// a 15 GiB indptr as CSR, in scipy too); a reader then allocates it when the machine has
// the room, and libFuzzer's -malloc_limit_mb reports that as a finding. The library's own
// cap refuses such requests with MemoryLimitError instead, as it does for a user who sets it.
inline const bool allocation_capped = ::setenv("MAMMOTH_MAX_ALLOCATION", "1GiB", 0) == 0;

// The fuzz input written to a file in /dev/shm, removed when this goes.
class InputFile {
 public:
  InputFile(const std::uint8_t* data, std::size_t size, const std::string& extension)
      : path_("/dev/shm/mammoth-fuzz-" + std::to_string(::getpid()) + extension) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) return;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  ~InputFile() { std::remove(path_.c_str()); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `fn`; a mammoth::Error is the right answer to bad input, anything else escapes
// (libFuzzer reports it), as do crashes and sanitizer findings.
// MemoryLimitError (a std::bad_alloc naming the amount) is the library's answer to a request
// larger than allowed: a dataset whose chunks claim 2.5 GiB each is legal HDF5.
template <class F>
void expect_error_or_success(F&& fn) {
  try {
    fn();
  } catch (const Error&) {
  } catch (const MemoryLimitError&) {
  }
}

}  // namespace mammoth::fuzz
