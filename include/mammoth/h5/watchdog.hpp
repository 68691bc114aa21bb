// A watchdog over libhdf5's metadata reads. libhdf5 is not written for hostile files: a
// damaged global heap makes H5Aread spin for minutes (fuzz/known/h5_vlen_attribute_hang.h5),
// and nothing can interrupt a call in progress from inside the process. Calls that read
// only metadata (attributes) run under this watchdog: when one has not returned after the
// limit, the handler runs on the watchdog's own thread. The CLI's handler prints an error
// naming the object and ends the process (exit 1). Without a handler (a library's default)
// nothing happens, as with h5py.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace mammoth::h5 {

// `what` names the object, the call and the wait: "f.h5:/m attribute 'x': read attribute:
// libhdf5 has not returned in 30 s; the file is likely damaged (libhdf5 can spin without end
// on a corrupt heap)". Handlers add only what they do about it.
using StuckCallHandler = std::function<void(const std::string& what)>;

// MAMMOTH_HDF5_TIMEOUT in seconds (default 30: metadata reads take milliseconds, seconds on
// a loaded network file system); Error when it is not a number > 0.
std::chrono::milliseconds stuck_call_limit();

// Installs (or, with an empty handler, removes) the handler for calls stuck past `limit`.
void on_stuck_metadata_call(StuckCallHandler handler, std::chrono::milliseconds limit);

namespace detail {

// Watches the calls made during its lifetime (the outermost one counts when nested).
class MetadataWatch {
 public:
  explicit MetadataWatch(const std::string& what);
  ~MetadataWatch();
  MetadataWatch(const MetadataWatch&) = delete;
  MetadataWatch& operator=(const MetadataWatch&) = delete;

 private:
  bool armed_ = false;
};

}  // namespace detail
}  // namespace mammoth::h5
