#include "call.hpp"

#include "pipeline.hpp"

#include <vector>

namespace mammoth::h5 {

void Handle::reset(Hid id) noexcept {
  if (id_ >= 0) {
    auto guard = detail::lock();
    H5E_BEGIN_TRY { H5Idec_ref(id_); }
    H5E_END_TRY;
  }
  id_ = id;
}

namespace detail {

std::recursive_mutex& library_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

namespace {

// libhdf5 closes what is still open at exit, but a file whose close failed (a write
// error: disk full, RLIMIT_FSIZE) is left half torn down, and closing it again at exit
// crashes (SIGSEGV in H5F__close_cb / H5D_close, HDF5 1.10.8). Every mammoth handle
// closes itself (RAII), so that teardown is turned off. It must be before the library
// starts, and any H5P_/H5T_ constant starts it: hence at program start.
[[maybe_unused]] const bool kNoTeardownAtExit = H5dont_atexit() >= 0;

}  // namespace

void init_library() {
  static const bool started = H5open() >= 0;
  // Debian's libhdf5 is thread-safe, which gives each thread its own error stack that
  // prints itself (HDF5-DIAG) until told not to: every thread that calls in says so.
  thread_local const bool quiet = H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0;
  static const bool filters = [] {
    register_lzf();
    add_plugin_paths();
    return true;
  }();
  (void)started;
  (void)quiet;
  (void)filters;
}

namespace {

// libhdf5's I/O failures read "file write failed: time = …\n, filename = '…', …,
// error message = 'File too large', …": keep what failed and why, on one line.
std::string one_line(std::string text) {
  const std::size_t time = text.find(": time = ");
  const std::size_t why = text.find("error message = '");
  if (time != std::string::npos && why != std::string::npos) {
    const std::size_t begin = why + 17;
    const std::size_t end = text.find('\'', begin);
    text = text.substr(0, time) + ": " + text.substr(begin, end == std::string::npos ? end : end - begin);
  }
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

herr_t collect(unsigned, const H5E_error2_t* err, void* data) {
  auto& messages = *static_cast<std::vector<std::string>*>(data);
  if (err->desc && *err->desc) {
    std::string text = one_line(err->desc);
    if (messages.empty() || messages.back() != text) messages.push_back(std::move(text));
  }
  return 0;
}

}  // namespace

std::string error_stack() {
  std::vector<std::string> messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &messages);
  H5Eclear2(H5E_DEFAULT);
  if (messages.empty()) return "unknown HDF5 error";
  // The outermost says what failed, the innermost why; the middle is libhdf5's plumbing.
  if (messages.size() == 1) return messages.front();
  return messages.front() + ": " + messages.back();
}

void throw_error(std::string_view what, const std::string& object) {
  throw Error(object + ": cannot " + std::string(what) + " (HDF5: " + error_stack() + ")");
}

}  // namespace detail
}  // namespace mammoth::h5
