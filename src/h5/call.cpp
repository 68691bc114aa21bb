#include "call.hpp"

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

void init_library() {
  static const bool done = [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

namespace {

herr_t collect(unsigned, const H5E_error2_t* err, void* data) {
  auto& messages = *static_cast<std::vector<std::string>*>(data);
  if (err->desc && *err->desc) {
    std::string text(err->desc);
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
