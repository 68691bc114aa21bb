// The one error hierarchy: every failure mammoth reports is a mammoth::Error whose
// message names the file or object, what was found and what was expected.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace mammoth {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// File content that is corrupt, truncated or not what its format promises.
class FormatError : public Error {
 public:
  using Error::Error;
};

// The operating system refused (open, mmap, write, fallocate…); carries errno.
class IoError : public Error {
 public:
  IoError(const std::string& message, int errnum) : Error(message), errnum_(errnum) {}
  int errnum() const noexcept { return errnum_; }

 private:
  int errnum_;
};

// Shapes that do not fit, indices out of range, selections outside the array.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// Element types that are unknown, unsupported or do not match.
class TypeError : public Error {
 public:
  using Error::Error;
};

// "<context>: <what> (<strerror(errnum)>)" as an IoError.
[[noreturn]] void throw_io_error(std::string_view context, std::string_view what, int errnum);

}  // namespace mammoth
