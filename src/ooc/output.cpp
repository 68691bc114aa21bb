#include "mammoth/ooc/output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "mammoth/error.hpp"

namespace mammoth::ooc {
namespace {

// "dir/C.npy" → "dir/.C.npy.tmp-<pid>.npy": beside the final name (same file system, so
// rename is atomic), hidden, and keeping the extension create_store dispatches on.
std::string temporary_name(const std::string& file) {
  const std::filesystem::path path(file);
  const std::string name =
      "." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + path.extension().string();
  return (path.parent_path() / name).string();
}

}  // namespace

AtomicOutput::AtomicOutput(const std::string& spec, const CreateOptions& options) {
  const StorePath path = parse_store_path(spec);
  final_file_ = path.file;
  const bool in_place = path.is_hdf5() && std::filesystem::exists(path.file);
  temp_file_ = in_place ? path.file : temporary_name(path.file);
  store_ = create_store(path.is_hdf5() ? temp_file_ + ":" + path.inner : temp_file_, options);
}

AtomicOutput::~AtomicOutput() {
  if (committed_ || temp_file_ == final_file_) return;
  store_.reset();
  std::remove(temp_file_.c_str());
}

void AtomicOutput::commit() {
  store_->flush();
  store_.reset();  // closes the file before it takes its final name
  committed_ = true;
  if (temp_file_ == final_file_) return;
  if (std::rename(temp_file_.c_str(), final_file_.c_str()) != 0) {
    const int err = errno;
    std::remove(temp_file_.c_str());
    throw_io_error(final_file_, "cannot rename the finished output from " + temp_file_, err);
  }
}

}  // namespace mammoth::ooc
