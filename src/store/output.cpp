#include "mammoth/output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "mammoth/error.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/path.hpp"

namespace mammoth {
namespace {

std::atomic<int> counter{0};

// ".NAME.mammoth-tmp-PID-N" plus the extension, so the temporary has the destination's format.
std::string temporary_name(const std::string& name, const std::string& extension) {
  return "." + name + ".mammoth-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + extension;
}

// "/a/b/x" -> {"/a/b", "x"}
std::pair<std::string, std::string> split_inner(const std::string& inner) {
  const auto slash = inner.rfind('/');
  return {slash == 0 ? "/" : inner.substr(0, slash), inner.substr(slash + 1)};
}

void fsync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io_error(path, "cannot open to sync", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_io_error(path, "cannot sync the finished output to disk", err);
}

}  // namespace

OutputCommit::OutputCommit(const std::string& spec) : final_spec_(spec) {
  const StorePath path = parse_store_path(spec);
  in_place_ = path.is_hdf5() && std::filesystem::exists(path.file);
  if (in_place_) {
    file_ = path.file;
    final_inner_ = path.inner;
    const auto [dir, name] = split_inner(path.inner);
    temp_inner_ = (dir == "/" ? "/" : dir + "/") + temporary_name(name, "");
    temp_spec_ = file_ + ":" + temp_inner_;
    return;
  }
  const std::filesystem::path p(path.file);
  file_ = (p.parent_path() / temporary_name(p.filename().string(), p.extension().string())).string();
  temp_spec_ = path.is_hdf5() ? file_ + ":" + path.inner : file_;
}

OutputCommit::~OutputCommit() {
  if (!done_) discard();
}

void OutputCommit::discard() noexcept {
  try {
    if (!in_place_) {
      std::remove(file_.c_str());
      return;
    }
    h5::File file(file_, Mode::ReadWrite);
    if (file.contains(temp_inner_)) file.remove(temp_inner_);
  } catch (...) {
    // Nothing better to do while already failing: the temporary keeps its telling name.
  }
}

void OutputCommit::commit() {
  if (in_place_) {
    h5::File file(file_, Mode::ReadWrite);
    if (file.contains(final_inner_)) file.remove(final_inner_);
    file.move(temp_inner_, final_inner_);
    file.flush();
    done_ = true;
    return;
  }
  fsync_file(file_);
  if (std::rename(file_.c_str(), parse_store_path(final_spec_).file.c_str()) != 0) {
    const int err = errno;
    discard();
    done_ = true;
    throw_io_error(parse_store_path(final_spec_).file, "cannot rename the finished output from " + file_, err);
  }
  done_ = true;
}

}  // namespace mammoth
