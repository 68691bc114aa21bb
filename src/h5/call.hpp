// The one checked-call layer over libhdf5 (HighFive style): every call takes the library
// lock, and a negative return becomes h5::Error carrying the object and HDF5's error stack.
#pragma once

#include <hdf5.h>

#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>

#include "mammoth/h5/handle.hpp"

namespace mammoth::h5::detail {

static_assert(std::is_same_v<hid_t, Hid>, "mammoth::h5::Hid must be libhdf5's hid_t");

// Debian's libhdf5 may be built without thread safety; one recursive lock serialises
// every call, so a prefetch thread may read while another thread works.
std::recursive_mutex& library_mutex();
using Lock = std::unique_lock<std::recursive_mutex>;
inline Lock lock() { return Lock(library_mutex()); }

// Before the first call of each thread: turns libhdf5's automatic error printing off
// for that thread; once per process: registers LZF and adds the plugin folders.
void init_library();

// The messages on HDF5's current error stack, outermost call first, joined by ": ".
std::string error_stack();

// MAMMOTH_HDF5_ALIGNMENT (a size: 1MiB, 4M…) set on a file access list: objects of at least
// that size start on a multiple of it (H5Pset_alignment), as a striped file system (Lustre's
// stripe size) wants. Unset: libhdf5's packing. Junk is an error naming the variable.
void apply_alignment(hid_t fapl, const std::string& file);
[[noreturn]] void throw_error(std::string_view what, const std::string& object);

// call("open dataset", "f.h5:/x", H5Dopen2, loc, name, H5P_DEFAULT)
// The few calls whose failure is an answer rather than an error (does this link exist?
// is this an HDF5 file? is the data allocated yet?) are made directly, under lock(), and
// clear the error stack themselves.
template <class R, class... P, class... A>
R call(std::string_view what, const std::string& object, R (*fn)(P...), A&&... args) {
  Lock guard = lock();
  init_library();
  const R result = fn(std::forward<A>(args)...);
  if constexpr (std::is_signed_v<R>) {
    if (result < 0) throw_error(what, object);
  }
  return result;
}

// A call returning a new identifier, owned.
template <class... P, class... A>
Handle open(std::string_view what, const std::string& object, hid_t (*fn)(P...), A&&... args) {
  return Handle(call(what, object, fn, std::forward<A>(args)...));
}

}  // namespace mammoth::h5::detail
