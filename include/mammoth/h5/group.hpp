// An HDF5 group: a folder of groups and datasets. Paths are relative to the group or
// absolute ("/a/b"); soft links are followed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mammoth/h5/attribute.hpp"
#include "mammoth/h5/dataset.hpp"
#include "mammoth/h5/handle.hpp"
#include "mammoth/h5/types.hpp"

namespace mammoth::h5 {

struct Member {
  std::string name;       // relative to the group ("x"; "sub/x" in visit)
  ObjectKind kind;        // of the object reached (through a soft link); Missing when dangling
  std::string soft_link;  // the soft link's target path, empty for hard links
};

class Group {
 public:
  Group(Handle id, std::string file, std::string path, bool writable);
  Group(Group&&) noexcept = default;
  Group& operator=(Group&&) noexcept = default;
  virtual ~Group() = default;

  const std::string& name() const { return path_; }  // "/" for the root
  const std::string& file_name() const { return file_; }
  bool writable() const { return writable_; }
  Attributes attrs() const { return Attributes(id_.get(), file_ + ":" + path_); }
  Hid id() const { return id_.get(); }

  // True when `path` names an object (through soft links; a dangling link is absent).
  bool contains(const std::string& path) const;
  ObjectKind kind(const std::string& path) const;
  // Members in name order.
  std::vector<Member> members() const;
  // Every link below, depth first, in name order (paths relative to this group); a group
  // reached twice (hard links, soft links) is descended into only once.
  void visit(const std::function<void(const Member&)>& fn) const;

  Group group(const std::string& path) const;
  // Creates the group and any missing intermediate groups; an existing group is an error.
  Group create_group(const std::string& path);
  // The group, created (with intermediates) when missing.
  Group require_group(const std::string& path);

  Dataset dataset(const std::string& path, const std::optional<ChunkCache>& cache = std::nullopt) const;
  Dataset create_dataset(const std::string& path, const Shape& shape, DType dtype, const DatasetOptions& options = {});
  // Creates a dataset holding `array`.
  Dataset create_dataset(const std::string& path, const AnyArray& array, const DatasetOptions& options = {});
  // A soft link at `path` to `target` (an absolute path; it may dangle), as h5py's SoftLink.
  void create_soft_link(const std::string& path, const std::string& target);
  // Unlinks `path` (the space is reclaimed only by h5repack, as in h5py).
  void remove(const std::string& path);
  // Renames the link `from` to `to` (intermediate groups created); `to` must not exist.
  void move(const std::string& from, const std::string& to);

 protected:
  std::string full_path(const std::string& path) const;
  void require_writable(const std::string& what) const;

  Handle id_;
  std::string file_;
  std::string path_;
  bool writable_;
};

}  // namespace mammoth::h5
