#include "mammoth/ooc/output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "../write_behind.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/path.hpp"

namespace mammoth::ooc {
namespace {

// The store being written, under the destination's name: what it reports and the errors
// it raises name what the user asked for, not the temporary.
class DestinationStore final : public BlockStore {
 public:
  DestinationStore(std::unique_ptr<BlockStore> store, const OutputCommit& commit)
      : store_(std::move(store)), commit_(commit) {}

  std::string name() const override { return commit_.name_destination(store_->name()); }
  DType dtype() const override { return store_->dtype(); }
  const Shape& shape() const override { return store_->shape(); }
  Shape chunk_shape() const override { return store_->chunk_shape(); }
  bool writable() const override { return store_->writable(); }
  void read(const Box& box, void* dst, DType dst_type) override {
    renamed([&] { store_->read(box, dst, dst_type); });
  }
  // Every writer's loop passes here, so a Ctrl-C stops it at the next block.
  void write(const Box& box, const void* src, DType src_type) override {
    if (cancel_requested()) throw Cancelled();
    renamed([&] { store_->write(box, src, src_type); });
  }
  std::optional<AnyArray> mapped() override { return store_->mapped(); }
  std::optional<AnyArray> mapped(const Box& box) override { return store_->mapped(box); }
  void reading_in_place(const Box& box) override { store_->reading_in_place(box); }
  void release(const Box& box) override {
    store_->release(box);
    if (!behind_ && !behind_tried_) {
      behind_ = write_behind(commit_);  // at the first block written: no thread for a small result
      behind_tried_ = true;
    }
    if (behind_) behind_->request();
  }
  void flush() override {
    renamed([&] { store_->flush(); });
    if (behind_)
      if (const int err = behind_->drain())
        throw IoError(name() + ": cannot write the output to disk: " + std::strerror(err), err);
  }
  std::size_t cache_bytes() const override { return store_->cache_bytes(); }
  std::size_t working_bytes() const override { return store_->working_bytes(); }
  std::size_t whole_chunk_working_bytes() const override { return store_->whole_chunk_working_bytes(); }
  std::vector<std::pair<std::string, std::string>> properties() const override { return store_->properties(); }

 private:
  void renamed(const std::function<void()>& f) { commit_.write(f); }

  // An HDF5 file libhdf5 writes with its own calls, new or an existing one the object joins:
  // its written blocks are made durable behind the writer (src/write_behind.hpp), as a mapped
  // output's are by its mapping, so the commit's syncs find little left.
  static std::unique_ptr<detail::WriteBehind> write_behind(const OutputCommit& commit) {
    const StorePath path = parse_store_path(commit.spec());
    if (!path.is_hdf5()) return nullptr;
    const int fd = ::open(path.file.c_str(), O_RDONLY | O_CLOEXEC);
    return fd < 0 ? nullptr : std::make_unique<detail::WriteBehind>(fd, true);  // none: the commit syncs it all
  }

  std::unique_ptr<BlockStore> store_;
  const OutputCommit& commit_;
  std::unique_ptr<detail::WriteBehind> behind_;
  bool behind_tried_ = false;
};

std::int64_t expected_bytes(const std::string& spec, const CreateOptions& options) {
  const auto item = static_cast<std::int64_t>(options.dtype.itemsize());
  return element_count(options.shape, options.dtype.itemsize(), spec) * item;
}

}  // namespace

AtomicOutput::AtomicOutput(const std::string& spec, const CreateOptions& options)
    : commit_(spec, expected_bytes(spec, options)) {
  try {
    store_ = std::make_unique<DestinationStore>(create_store(commit_.spec(), options), commit_);
  } catch (const IoError& e) {
    throw IoError(commit_.name_destination(e.what()), e.errnum());
  } catch (const Cancelled&) {
    throw;
  } catch (const Error& e) {
    throw Error(commit_.name_destination(e.what()));
  }
  // An object new inside an existing HDF5 file reaches the disk before any data: a SIGKILL
  // from here on leaves that file's metadata whole, holding one stale temporary link. A
  // temporary file of its own needs no such sync (it only ever becomes the destination
  // through commit(), whose sync and rename follow): one synchronous write less per command
  // (0.3 ms on this disk, more on a network file system).
  if (commit_.in_place()) store_->flush();
}

void AtomicOutput::commit() {
  store_->flush();
  store_.reset();  // closes the file before it takes its final name
  commit_.commit();
}

}  // namespace mammoth::ooc
