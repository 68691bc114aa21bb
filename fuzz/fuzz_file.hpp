// What the file-reading targets share: the input as a file with the right extension
// (readers take paths), and the errors a reader may rightly raise on bad input.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <new>
#include <string>

#include "mammoth/error.hpp"

namespace mammoth::fuzz {

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
template <class F>
void expect_error_or_success(F&& fn) {
  try {
    fn();
  } catch (const Error&) {
  }
}

}  // namespace mammoth::fuzz
