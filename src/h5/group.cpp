#include "mammoth/h5/group.hpp"

#include <set>
#include <utility>

#include "call.hpp"
#include "pipeline.hpp"

namespace mammoth::h5 {

using detail::call;
using detail::open;

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : path) {
    if (c == '/') {
      if (!part.empty()) parts.push_back(std::move(part));
      part.clear();
    } else {
      part += c;
    }
  }
  if (!part.empty()) parts.push_back(std::move(part));
  return parts;
}

herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

// The object `name` leads to (through soft links), or nullopt when nothing is there.
std::optional<H5O_info_t> object_info(hid_t loc, const std::string& name) {
  auto guard = detail::lock();
  detail::init_library();
  if (name.empty() || name == "/" || name == ".") {
    H5O_info_t info{};
    if (H5Oget_info2(loc, &info, H5O_INFO_BASIC) < 0) return std::nullopt;
    return info;
  }
  // Every step must exist before libhdf5 may be asked about the next one.
  std::string prefix = name.front() == '/' ? "/" : "";
  for (const std::string& part : split_path(name)) {
    prefix += (prefix.empty() || prefix.back() == '/' ? "" : "/") + part;
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0 || H5Oexists_by_name(loc, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return std::nullopt;
    }
  }
  H5O_info_t info{};
  if (H5Oget_info_by_name2(loc, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  return info;
}

ObjectKind kind_of(const std::optional<H5O_info_t>& info) {
  if (!info) return ObjectKind::Missing;
  switch (info->type) {
    case H5O_TYPE_GROUP:
      return ObjectKind::Group;
    case H5O_TYPE_DATASET:
      return ObjectKind::Dataset;
    case H5O_TYPE_NAMED_DATATYPE:
      return ObjectKind::NamedType;
    default:
      return ObjectKind::Missing;
  }
}

std::string soft_link_target(hid_t loc, const std::string& name) {
  H5L_info_t info{};
  if (H5Lget_info(loc, name.c_str(), &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_SOFT) {
    H5Eclear2(H5E_DEFAULT);
    return "";
  }
  std::string target(info.u.val_size, '\0');
  if (H5Lget_val(loc, name.c_str(), target.data(), target.size(), H5P_DEFAULT) < 0) return "";
  target.resize(target.find('\0') == std::string::npos ? target.size() : target.find('\0'));
  return target;
}

Handle link_creation_plist(const std::string& object) {
  Handle lcpl = open("create link properties", object, H5Pcreate, H5P_LINK_CREATE);
  call("set intermediate groups", object, H5Pset_create_intermediate_group, lcpl.get(), 1u);
  return lcpl;
}

}  // namespace

Group::Group(Handle id, std::string file, std::string path, bool writable)
    : id_(std::move(id)), file_(std::move(file)), path_(std::move(path)), writable_(writable) {}

std::string Group::full_path(const std::string& path) const {
  std::string out = path.starts_with('/') ? "" : path_;
  for (const std::string& part : split_path(path)) out += (out.empty() || out.back() != '/' ? "/" : "") + part;
  return out.empty() ? "/" : out;
}

void Group::require_writable(const std::string& what) const {
  if (!writable_) throw Error(file_ + ": the file is open read-only; cannot " + what);
}

bool Group::contains(const std::string& path) const { return object_info(id_.get(), path).has_value(); }

ObjectKind Group::kind(const std::string& path) const { return kind_of(object_info(id_.get(), path)); }

std::vector<Member> Group::members() const {
  auto guard = detail::lock();
  std::vector<std::string> names;
  hsize_t idx = 0;
  call("list members", file_ + ":" + path_, H5Literate, id_.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_link,
       static_cast<void*>(&names));
  std::vector<Member> out;
  for (auto& n : names) out.push_back(Member{n, kind(n), soft_link_target(id_.get(), n)});
  return out;
}

void Group::visit(const std::function<void(const Member&)>& fn) const {
  // Soft links may point back up the tree: each object is visited once, by address.
  std::set<haddr_t> seen;
  if (auto self = object_info(id_.get(), "")) seen.insert(self->addr);
  std::function<void(const std::string&)> walk = [&](const std::string& prefix) {
    const Group g = prefix.empty() ? group(".") : group(prefix);
    for (const Member& m : g.members()) {
      const std::string rel = prefix.empty() ? m.name : prefix + "/" + m.name;
      fn(Member{rel, m.kind, m.soft_link});
      if (m.kind != ObjectKind::Group) continue;
      const auto info = object_info(id_.get(), rel);
      if (info && seen.insert(info->addr).second) walk(rel);
    }
  };
  walk("");
}

Group Group::group(const std::string& path) const {
  const std::string full = full_path(path);
  const ObjectKind k = kind(path);
  if (k == ObjectKind::Missing) throw Error(file_ + ":" + full + ": no such group");
  if (k != ObjectKind::Group) throw Error(file_ + ":" + full + ": is a " + kind_name(k) + ", not a group");
  return Group(open("open group", file_ + ":" + full, H5Gopen2, id_.get(), path.c_str(), H5P_DEFAULT), file_, full,
               writable_);
}

Group Group::create_group(const std::string& path) {
  require_writable("create group " + full_path(path));
  auto guard = detail::lock();
  const std::string full = file_ + ":" + full_path(path);
  if (contains(path)) throw Error(full + ": already exists");
  Handle lcpl = link_creation_plist(full);
  return Group(open("create group", full, H5Gcreate2, id_.get(), path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
               file_, full_path(path), writable_);
}

Group Group::require_group(const std::string& path) { return contains(path) ? group(path) : create_group(path); }

namespace {

// Reading unfiltered chunks of at least 64 KiB, libhdf5 copies straight from the file
// into the caller's buffer when the chunk does not fit its cache (as h5py's row loops
// do with the 1 MiB default): a cache would only add a copy and hold memory a budget
// must count. Filtered or small chunks keep a cache sized for a band of rows.
ChunkCache read_cache_for(const Dataset& d) {
  if (d.chunk_bytes() >= (std::size_t{64} << 10) && d.properties().filters.empty()) return ChunkCache{0, 521, 0.75};
  return cache_for_chunks(d.shape(), d.chunks(), d.dtype().itemsize());
}

}  // namespace

Dataset Group::dataset(const std::string& path, const std::optional<ChunkCache>& cache) const {
  auto guard = detail::lock();
  const std::string full = full_path(path);
  const std::string object = file_ + ":" + full;
  const ObjectKind k = kind(path);
  if (k == ObjectKind::Missing) throw Error(object + ": no such dataset");
  if (k != ObjectKind::Dataset) throw Error(object + ": is a " + kind_name(k) + ", not a dataset");
  Dataset d(open("open dataset", object, H5Dopen2, id_.get(), path.c_str(), H5P_DEFAULT), file_, full, writable_);
  if (cache) {
    d.set_cache(*cache);
  } else if (!d.chunks().empty() && d.supported()) {
    // A cache set for the whole file wins; otherwise libhdf5's 1 MiB default gives way
    // to one that holds the chunks a band of rows touches.
    Handle file = open("get file", object, H5Iget_file_id, id_.get());
    Handle fapl = open("get file access properties", object, H5Fget_access_plist, file.get());
    int mdc = 0;
    std::size_t slots = 0, bytes = 0;
    double w0 = 0;
    call("get file cache", object, H5Pget_cache, fapl.get(), &mdc, &slots, &bytes, &w0);
    const ChunkCache fallback;
    if (bytes == fallback.bytes && slots == fallback.slots)
      d.set_cache(writable_ ? cache_for_chunks(d.shape(), d.chunks(), d.dtype().itemsize()) : read_cache_for(d));
  }
  return d;
}

Dataset Group::create_dataset(const std::string& path, const Shape& shape, DType dtype, const DatasetOptions& options) {
  require_writable("create dataset " + full_path(path));
  auto guard = detail::lock();
  const std::string full = full_path(path);
  const std::string object = file_ + ":" + full;
  if (contains(path)) throw Error(object + ": already exists");
  element_count(shape, dtype.itemsize(), object);
  Shape maxshape = options.maxshape.empty() ? shape : options.maxshape;
  if (maxshape.size() != shape.size())
    throw ShapeError(object + ": maxshape " + shape_string(maxshape) + " does not match shape " + shape_string(shape));
  bool resizable = false;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (maxshape[i] != kUnlimited && maxshape[i] < shape[i])
      throw ShapeError(object + ": maxshape " + shape_string(maxshape) + " is smaller than shape " +
                       shape_string(shape));
    resizable |= maxshape[i] != shape[i];
  }
  if (options.gzip_level > 9) throw Error(object + ": gzip level " + std::to_string(options.gzip_level) + " (0…9)");
  const std::optional<Filter> compression =
      options.compression.empty() ? parse_compression(options.gzip_level >= 0 ? "gzip" : "none", options.gzip_level)
                                  : parse_compression(options.compression, std::max(options.gzip_level, 4));
  const bool filtered = compression || options.shuffle || options.fletcher32;
  const bool chunked = !options.chunks.empty() || options.auto_chunks || filtered || resizable;
  if (chunked && shape.empty()) throw ShapeError(object + ": a scalar dataset cannot be chunked or filtered");

  Handle space;
  if (shape.empty()) {
    space = open("create dataspace", object, H5Screate, H5S_SCALAR);
  } else {
    std::vector<hsize_t> dims(shape.begin(), shape.end()), maxdims;
    for (auto m : maxshape) maxdims.push_back(m == kUnlimited ? H5S_UNLIMITED : static_cast<hsize_t>(m));
    space =
        open("create dataspace", object, H5Screate_simple, static_cast<int>(dims.size()), dims.data(), maxdims.data());
  }
  Handle dcpl = open("create dataset properties", object, H5Pcreate, H5P_DATASET_CREATE);
  if (chunked) {
    const Shape chunks = options.chunks.empty() ? guess_chunks(shape, dtype.itemsize()) : options.chunks;
    if (chunks.size() != shape.size())
      throw ShapeError(object + ": chunks " + shape_string(chunks) + " do not match shape " + shape_string(shape));
    for (std::size_t i = 0; i < chunks.size(); ++i)
      if (chunks[i] < 1 || (maxshape[i] != kUnlimited && chunks[i] > std::max<std::int64_t>(maxshape[i], 1)))
        throw ShapeError(object + ": chunk shape " + shape_string(chunks) +
                         " must be positive and no larger than the maximum shape " + shape_string(maxshape));
    std::vector<hsize_t> c(chunks.begin(), chunks.end());
    call("set chunks", object, H5Pset_chunk, dcpl.get(), static_cast<int>(c.size()), c.data());
    // h5py's filter order: shuffle, then the compressor, then the checksum.
    if (options.shuffle) call("set shuffle", object, H5Pset_shuffle, dcpl.get());
    if (compression) detail::add_filter(dcpl.get(), *compression, object);
    if (options.fletcher32) call("set fletcher32", object, H5Pset_fletcher32, dcpl.get());
  }
  if (options.fill_value) {
    const DType native = compute_dtype(dtype);
    std::vector<std::byte> value(native.itemsize());
    convert(&*options.fill_value, DType(ScalarType::Float64), value.data(), native, 1);
    Handle type = make_file_type(native);
    call("set fill value", object, H5Pset_fill_value, dcpl.get(), type.get(), static_cast<const void*>(value.data()));
  }
  Handle type = make_file_type(dtype);
  Handle lcpl = link_creation_plist(object);
  Handle id = open("create dataset", object, H5Dcreate2, id_.get(), path.c_str(), type.get(), space.get(), lcpl.get(),
                   dcpl.get(), H5P_DEFAULT);
  id.reset();
  return dataset(path, options.cache);
}

Dataset Group::create_dataset(const std::string& path, const AnyArray& array, const DatasetOptions& options) {
  Dataset d = create_dataset(path, array.shape(), array.dtype(), options);
  d.write_all(array);
  return d;
}

void Group::create_soft_link(const std::string& path, const std::string& target) {
  require_writable("create link " + full_path(path));
  auto guard = detail::lock();
  const std::string object = file_ + ":" + full_path(path);
  if (contains(path) || soft_link_target(id_.get(), path) != "") throw Error(object + ": already exists");
  Handle lcpl = link_creation_plist(object);
  call("create soft link", object, H5Lcreate_soft, target.c_str(), id_.get(), path.c_str(), lcpl.get(), H5P_DEFAULT);
}

void Group::remove(const std::string& path) {
  require_writable("remove " + full_path(path));
  call("unlink", file_ + ":" + full_path(path), H5Ldelete, id_.get(), path.c_str(), H5P_DEFAULT);
}

void Group::move(const std::string& from, const std::string& to) {
  require_writable("move " + full_path(from));
  Handle lcpl = link_creation_plist(file_ + ":" + full_path(to));
  call("move link", file_ + ":" + full_path(from), H5Lmove, id_.get(), from.c_str(), id_.get(), to.c_str(), lcpl.get(),
       H5P_DEFAULT);
}

}  // namespace mammoth::h5
