// The owner of one libhdf5 identifier, and the error every libhdf5 failure becomes.
// Public headers never include <hdf5.h>: an hid_t is a 64-bit integer in libhdf5 1.10+.
#pragma once

#include <cstdint>
#include <string>

#include "mammoth/error.hpp"

namespace mammoth::h5 {

using Hid = std::int64_t;

// A libhdf5 call failed; the message carries the object path and HDF5's error stack.
class Error : public mammoth::Error {
 public:
  using mammoth::Error::Error;
};

// Move-only owner of an hid_t: closes it (H5Idec_ref, under the library lock) when it goes.
class Handle {
 public:
  Handle() = default;
  explicit Handle(Hid id) : id_(id) {}
  Handle(Handle&& other) noexcept : id_(other.release()) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  Hid get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  explicit operator bool() const { return valid(); }
  Hid release() noexcept {
    const Hid id = id_;
    id_ = -1;
    return id;
  }
  void reset(Hid id = -1) noexcept;

 private:
  Hid id_ = -1;
};

}  // namespace mammoth::h5
