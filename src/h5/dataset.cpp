#include "mammoth/h5/dataset.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "call.hpp"
#include "mapping.hpp"

namespace mammoth::h5 {

using detail::call;
using detail::open;

namespace {

std::vector<hsize_t> dims_of(const Shape& s) { return std::vector<hsize_t>(s.begin(), s.end()); }

// HDF5 converts bool enums, complex compounds and byte orders itself; any other
// pair goes through mammoth::convert (static_cast semantics, as numpy's astype).
bool hdf5_converts(DType stored, DType type) {
  if (stored.type() == type.type()) return true;
  return stored.type() == ScalarType::Float16 && type.kind() == Kind::Float;  // convert() cannot write float16
}

DType native_of(DType stored) {
  return stored.type() == ScalarType::Float16 ? DType(ScalarType::Float32) : stored.native();
}

struct Pick {
  std::int64_t linear;  // C-order index of the head among the first k axes (or its chunk)
  std::size_t position;
};

std::string box_text(const Box& box) {
  return "selection at " + shape_string(box.offset) + " of size " + shape_string(box.count);
}

}  // namespace

Dataset::Dataset(Handle id, std::string file, std::string path, bool writable)
    : id_(std::move(id)), file_(std::move(file)), path_(std::move(path)), writable_(writable) {
  refresh();
}

void Dataset::refresh() {
  auto guard = detail::lock();
  const std::string object = spec();
  Handle type = open("get dataset type", object, H5Dget_type, id_.get());
  type_text_ = describe_type(type.get());
  try {
    dtype_ = dtype_from_type(type.get(), object);
  } catch (const TypeError& e) {
    dtype_.reset();
    type_error_ = e.what();
  }
  Handle space = open("get dataspace", object, H5Dget_space, id_.get());
  const int ndim = call("get rank", object, H5Sget_simple_extent_ndims, space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(ndim));
  call("get extent", object, H5Sget_simple_extent_dims, space.get(), dims.data(), nullptr);
  shape_.assign(dims.begin(), dims.end());
  Handle dcpl = open("get creation properties", object, H5Dget_create_plist, id_.get());
  chunks_.clear();
  if (call("get layout", object, H5Pget_layout, dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> c(static_cast<std::size_t>(std::max(ndim, 1)));
    call("get chunk shape", object, H5Pget_chunk, dcpl.get(), ndim, c.data());
    chunks_.assign(c.begin(), c.begin() + ndim);
  }
  Handle dapl = open("get access properties", object, H5Dget_access_plist, id_.get());
  std::size_t slots = 0, bytes = 0;
  double w0 = 0;
  call("get chunk cache", object, H5Pget_chunk_cache, dapl.get(), &slots, &bytes, &w0);
  cache_ = ChunkCache{bytes, slots, w0};
}

DType Dataset::dtype() const {
  if (!dtype_) throw TypeError(type_error_);
  return *dtype_;
}

DatasetProperties Dataset::properties() const {
  auto guard = detail::lock();
  const std::string object = spec();
  DatasetProperties p;
  Handle dcpl = open("get creation properties", object, H5Dget_create_plist, id_.get());
  switch (call("get layout", object, H5Pget_layout, dcpl.get())) {
    case H5D_COMPACT:
      p.layout = StorageLayout::Compact;
      break;
    case H5D_CHUNKED:
      p.layout = StorageLayout::Chunked;
      break;
    case H5D_VIRTUAL:
      p.layout = StorageLayout::Virtual;
      break;
    default:
      p.layout = StorageLayout::Contiguous;
      break;
  }
  p.chunks = chunks_;
  Handle space = open("get dataspace", object, H5Dget_space, id_.get());
  std::vector<hsize_t> maxdims(shape_.size());
  call("get extent", object, H5Sget_simple_extent_dims, space.get(), nullptr, maxdims.data());
  for (hsize_t m : maxdims) p.maxshape.push_back(m == H5S_UNLIMITED ? kUnlimited : static_cast<std::int64_t>(m));
  const int nfilters = call("count filters", object, H5Pget_nfilters, dcpl.get());
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, config = 0;
    std::size_t nvalues = 8;
    unsigned values[8] = {};
    char name[64] = {};
    const H5Z_filter_t id = call("get filter", object, H5Pget_filter2, dcpl.get(), static_cast<unsigned>(i), &flags,
                                 &nvalues, values, sizeof name, name, &config);
    switch (id) {
      case H5Z_FILTER_DEFLATE:
        p.filters.push_back("gzip(" + std::to_string(nvalues ? values[0] : 0) + ")");
        break;
      case H5Z_FILTER_SHUFFLE:
        p.filters.push_back("shuffle");
        break;
      case H5Z_FILTER_FLETCHER32:
        p.filters.push_back("fletcher32");
        break;
      case H5Z_FILTER_SZIP:
        p.filters.push_back("szip");
        break;
      case H5Z_FILTER_SCALEOFFSET:
        p.filters.push_back("scaleoffset");
        break;
      case H5Z_FILTER_NBIT:
        p.filters.push_back("nbit");
        break;
      default:
        p.filters.push_back("filter " + std::to_string(id) + (*name ? " (" + std::string(name) + ")" : ""));
    }
  }
  H5D_fill_value_t fill_status{};
  call("get fill value status", object, H5Pfill_value_defined, dcpl.get(), &fill_status);
  if (fill_status == H5D_FILL_VALUE_USER_DEFINED && dtype_ && dtype_->kind() != Kind::Complex) {
    double value = 0;
    call("get fill value", object, H5Pget_fill_value, dcpl.get(), H5T_NATIVE_DOUBLE, static_cast<void*>(&value));
    p.fill_value = value;
  }
  p.storage_bytes = H5Dget_storage_size(id_.get());
  if (p.layout == StorageLayout::Contiguous) {
    const haddr_t addr = H5Dget_offset(id_.get());
    H5Eclear2(H5E_DEFAULT);  // unallocated data is not an error here
    if (addr != HADDR_UNDEF) p.offset = addr;
  }
  return p;
}

void Dataset::check_span(const Box& box, std::size_t n) const {
  if (static_cast<std::int64_t>(n) != box.size())
    throw ShapeError(spec() + ": buffer of " + std::to_string(n) + " elements for a " + box_text(box) + " of " +
                     std::to_string(box.size()) + " elements");
}

void Dataset::check_box_stride(const Box& box, const Shape& stride) const {
  if (stride.empty()) return check_box(box, shape_, spec());
  bool ok = stride.size() == shape_.size() && box.offset.size() == shape_.size() && box.count.size() == shape_.size();
  for (std::size_t i = 0; ok && i < shape_.size(); ++i)
    ok = stride[i] >= 1 && box.offset[i] >= 0 && box.count[i] >= 0 &&
         (box.count[i] == 0 || box.offset[i] + (box.count[i] - 1) * stride[i] < shape_[i]);
  if (!ok)
    throw ShapeError(spec() + ": " + box_text(box) + " with stride " + shape_string(stride) +
                     " lies outside the dataset of shape " + shape_string(shape_));
}

void Dataset::transfer(const Box& box, void* buffer, DType type, const Shape& stride, bool reading) const {
  const DType stored = dtype();
  check_box_stride(box, stride);
  if (box.size() == 0) return;
  const DType native = native_of(stored);
  if (!hdf5_converts(stored, type) && !shape_.empty() && box.count[0] > 1) {
    // Converting through a scratch buffer: keep it under 8 MiB by going a slab of rows at a time.
    const auto row = static_cast<std::size_t>(box.size() / box.count[0]);
    const auto slab = static_cast<std::int64_t>(std::max<std::size_t>(1, (8u << 20) / (row * native.itemsize())));
    if (slab < box.count[0]) {
      const std::int64_t step = stride.empty() ? 1 : stride[0];
      auto* bytes = static_cast<std::byte*>(buffer);
      for (std::int64_t start = 0; start < box.count[0]; start += slab) {
        Box part = box;
        part.offset[0] = box.offset[0] + start * step;
        part.count[0] = std::min(slab, box.count[0] - start);
        transfer(part, bytes + static_cast<std::size_t>(start) * row * type.itemsize(), type, stride, reading);
      }
      return;
    }
  }
  auto guard = detail::lock();
  const std::string object = spec();
  Handle file_space = open("get dataspace", object, H5Dget_space, id_.get());
  Handle mem_space;
  if (!shape_.empty()) {
    const auto offset = dims_of(box.offset), count = dims_of(box.count);
    const auto step = stride.empty() ? std::vector<hsize_t>(shape_.size(), 1) : dims_of(stride);
    call("select hyperslab", object, H5Sselect_hyperslab, file_space.get(), H5S_SELECT_SET, offset.data(), step.data(),
         count.data(), nullptr);
    mem_space = open("create memory dataspace", object, H5Screate_simple, static_cast<int>(count.size()), count.data(),
                     nullptr);
  } else {
    mem_space = open("create memory dataspace", object, H5Screate, H5S_SCALAR);
  }
  const auto n = static_cast<std::size_t>(box.size());
  if (hdf5_converts(stored, type)) {
    Handle mem_type = make_file_type(type);
    if (reading)
      call("read", object, H5Dread, id_.get(), mem_type.get(), mem_space.get(), file_space.get(), H5P_DEFAULT, buffer);
    else
      call("write", object, H5Dwrite, id_.get(), mem_type.get(), mem_space.get(), file_space.get(), H5P_DEFAULT,
           static_cast<const void*>(buffer));
    return;
  }
  // Element types HDF5 cannot convert between (bool enum ↔ numbers, complex ↔ real).
  std::vector<std::byte> scratch(n * native.itemsize());
  Handle mem_type = make_file_type(native);
  if (reading) {
    call("read", object, H5Dread, id_.get(), mem_type.get(), mem_space.get(), file_space.get(), H5P_DEFAULT,
         static_cast<void*>(scratch.data()));
    convert(scratch.data(), native, buffer, type, n);
  } else {
    convert(buffer, type, scratch.data(), native, n);
    call("write", object, H5Dwrite, id_.get(), mem_type.get(), mem_space.get(), file_space.get(), H5P_DEFAULT,
         static_cast<const void*>(scratch.data()));
  }
}

void Dataset::read(const Box& box, void* dst, DType type, const Shape& stride) const {
  transfer(box, dst, type, stride, true);
}

void Dataset::write(const Box& box, const void* src, DType type, const Shape& stride) {
  if (!writable_) throw Error(spec() + ": the file is open read-only; cannot write");
  transfer(box, const_cast<void*>(src), type, stride, false);
}

AnyArray Dataset::read_all() const {
  AnyArray out = AnyArray::empty(native_of(dtype()), shape_);
  read(Box::whole(shape_), out.data(), out.dtype());
  return out;
}

void Dataset::write_all(const AnyArray& array) {
  if (array.shape() != shape_)
    throw ShapeError(spec() + ": cannot write an array of shape " + shape_string(array.shape()) +
                     " into a dataset of shape " + shape_string(shape_));
  const AnyArray packed = array.is_c_contiguous() ? array : array.copy();
  write(Box::whole(shape_), packed.data(), packed.dtype());
}

void Dataset::resize(const Shape& shape) {
  if (!writable_) throw Error(spec() + ": the file is open read-only; cannot resize");
  if (shape.size() != shape_.size())
    throw ShapeError(spec() + ": cannot resize a " + std::to_string(shape_.size()) + "-d dataset to " +
                     shape_string(shape));
  if (chunks_.empty()) throw ShapeError(spec() + ": only chunked datasets can be resized (create it with a maxshape)");
  const auto dims = dims_of(shape);
  call("resize", spec() + " to " + shape_string(shape), H5Dset_extent, id_.get(), dims.data());
  refresh();
}

void Dataset::set_cache(const ChunkCache& cache) {
  auto guard = detail::lock();
  const std::string object = spec();
  Handle file = open("get file", object, H5Iget_file_id, id_.get());
  Handle dapl = open("create access properties", object, H5Pcreate, H5P_DATASET_ACCESS);
  call("set chunk cache", object, H5Pset_chunk_cache, dapl.get(), cache.slots, cache.bytes, cache.w0);
  // libhdf5 shares one chunk cache among all open handles of a dataset, made at the
  // first open: this handle must close before the reopen can take the new settings.
  id_.reset();
  id_ = open("reopen dataset", object, H5Dopen2, file.get(), path_.c_str(), dapl.get());
  cache_ = cache;
}

std::optional<AnyArray> Dataset::mapped() const {
  if (mapping_) return *mapping_;
  auto guard = detail::lock();
  mapping_.emplace(std::nullopt);
  // A writer's data may still sit in libhdf5's sieve buffer, so only read-only files map.
  if (writable_ || !dtype_ || !chunks_.empty() || shape_.empty()) return std::nullopt;
  const DatasetProperties p = properties();
  if (p.layout != StorageLayout::Contiguous || !p.offset || !p.filters.empty()) return std::nullopt;
  const std::size_t bytes = static_cast<std::size_t>(size()) * dtype_->itemsize();
  if (bytes == 0 || static_cast<std::int64_t>(*p.offset + bytes) > detail::file_size(file_)) return std::nullopt;
  auto storage = std::make_shared<detail::FileMapping>(file_, *p.offset, bytes);
  std::byte* data = storage->data();
  mapping_.emplace(AnyArray(std::move(storage), data, *dtype_, shape_, contiguous_strides(shape_, Order::C), false));
  return *mapping_;
}

// Unfiltered chunks of a read-only file are plain C-ordered blocks at known addresses:
// map the file once and gather each point from its chunk, as from a memory map.
bool Dataset::gather_mapped_chunks(std::span<const std::int64_t> points, void* dst, DType type) const {
  if (writable_ || !dtype_ || chunks_.empty()) return false;
  auto guard = detail::lock();
  const std::string object = spec();
  if (!file_mapping_) {
    if (!properties().filters.empty()) return false;
    Handle file = open("get file", object, H5Iget_file_id, id_.get());
    Handle fcpl = open("get file creation properties", object, H5Fget_create_plist, file.get());
    hsize_t userblock = 0;
    call("get user block", object, H5Pget_userblock, fcpl.get(), &userblock);
    const std::int64_t size = detail::file_size(file_);
    if (userblock != 0 || size <= 0) return false;
    file_mapping_ = std::make_shared<detail::FileMapping>(file_, 0, static_cast<std::size_t>(size));
  }
  auto* map = static_cast<detail::FileMapping*>(file_mapping_.get());
  const std::size_t k = shape_.size(), n = points.size() / k, item = dtype_->itemsize();
  std::size_t chunk_bytes = item;
  for (auto c : chunks_) chunk_bytes *= static_cast<std::size_t>(c);
  // Sort by chunk, so each chunk's address is looked up once.
  std::vector<Pick> picks(n);
  for (std::size_t p = 0; p < n; ++p) {
    std::int64_t key = 0;
    for (std::size_t i = 0; i < k; ++i)
      key = key * ((shape_[i] + chunks_[i] - 1) / chunks_[i]) + points[p * k + i] / chunks_[i];
    picks[p] = {key, p};
  }
  std::sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) { return a.linear < b.linear; });
  auto* out = static_cast<std::byte*>(dst);
  std::vector<hsize_t> origin(k);
  const std::byte* chunk = nullptr;
  bool ok = true;
  for (std::size_t p = 0; p < n && ok; ++p) {
    const std::int64_t* at = &points[picks[p].position * k];
    if (p == 0 || picks[p].linear != picks[p - 1].linear) {
      for (std::size_t i = 0; i < k; ++i) origin[i] = static_cast<hsize_t>(at[i] / chunks_[i] * chunks_[i]);
      unsigned mask = 0;
      haddr_t addr = HADDR_UNDEF;
      hsize_t bytes = 0;
      call("look up chunk", object, H5Dget_chunk_info_by_coord, id_.get(), static_cast<const hsize_t*>(origin.data()),
           &mask, &addr, &bytes);
      // An unwritten chunk (fill value) or an odd size: libhdf5 answers instead.
      ok = addr != HADDR_UNDEF && bytes == chunk_bytes && addr + bytes <= map->size();
      chunk = ok ? map->data() + addr : nullptr;
    }
    if (!ok) break;
    std::int64_t index = 0;
    for (std::size_t i = 0; i < k; ++i) index = index * chunks_[i] + (at[i] - static_cast<std::int64_t>(origin[i]));
    std::byte* to = out + picks[p].position * type.itemsize();
    if (*dtype_ == type)
      std::memcpy(to, chunk + index * static_cast<std::int64_t>(item), item);
    else
      convert(chunk + index * static_cast<std::int64_t>(item), *dtype_, to, type, 1);
  }
  map->release_pages();
  return ok;
}

std::pair<std::size_t, std::size_t> Dataset::mapped_rows(const Box& box) const {
  if (!mapping_ || !*mapping_ || shape_.empty()) return {0, 0};
  check_box(box, shape_, spec());
  // The rows the box spans, as one byte range of the C-ordered data.
  std::int64_t row = static_cast<std::int64_t>(dtype_->itemsize());
  for (std::size_t i = 1; i < shape_.size(); ++i) row *= shape_[i];
  return {static_cast<std::size_t>(box.offset[0] * row),
          static_cast<std::size_t>((box.offset[0] + box.count[0]) * row)};
}

void Dataset::release(const Box& box) const {
  const auto [begin, end] = mapped_rows(box);
  if (end > begin) static_cast<const detail::FileMapping*>((*mapping_)->storage().get())->release_pages(begin, end);
}

void Dataset::prefetch(const Box& box) const {
  const auto [begin, end] = mapped_rows(box);
  if (end > begin) static_cast<const detail::FileMapping*>((*mapping_)->storage().get())->prefetch_pages(begin, end);
}

namespace {

// Reads `heads` (n × k coordinates over the first k axes; each names the sub-array of
// the remaining axes) in sorted order, one bounding box per group of heads sharing a
// `group` cell, and places each at its caller position in `dst`.
void gather_groups(const Dataset& d, std::span<const std::int64_t> heads, std::size_t k, const Shape& group, void* dst,
                   DType type) {
  const Shape& shape = d.shape();
  const std::size_t ndim = shape.size();
  std::int64_t item = 1;
  for (std::size_t i = k; i < ndim; ++i) item *= shape[i];
  const std::size_t item_bytes = static_cast<std::size_t>(item) * type.itemsize();
  const std::size_t n = heads.size() / k;
  std::vector<Pick> picks(n);
  for (std::size_t p = 0; p < n; ++p) {
    std::int64_t lin = 0;
    for (std::size_t i = 0; i < k; ++i) lin = lin * shape[i] + heads[p * k + i];
    picks[p] = {lin, p};
  }
  std::sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) { return a.linear < b.linear; });
  const auto head = [&](std::size_t p, std::size_t i) { return heads[picks[p].position * k + i]; };
  const auto same_cell = [&](std::size_t a, std::size_t b) {
    for (std::size_t i = 0; i < k; ++i)
      if (head(a, i) / group[i] != head(b, i) / group[i]) return false;
    return true;
  };
  std::vector<std::byte> scratch;
  auto* out = static_cast<std::byte*>(dst);
  for (std::size_t first = 0; first < n;) {
    std::size_t last = first + 1;
    while (last < n && same_cell(first, last)) ++last;
    Box box = Box::whole(shape);
    for (std::size_t i = 0; i < k; ++i) {
      std::int64_t lo = head(first, i), hi = lo;
      for (std::size_t p = first; p < last; ++p) lo = std::min(lo, head(p, i)), hi = std::max(hi, head(p, i));
      box.offset[i] = lo;
      box.count[i] = hi - lo + 1;
    }
    scratch.resize(static_cast<std::size_t>(box.size()) * type.itemsize());
    d.read(box, scratch.data(), type);
    for (std::size_t p = first; p < last; ++p) {
      std::int64_t at = 0;
      for (std::size_t i = 0; i < k; ++i) at = at * box.count[i] + (head(p, i) - box.offset[i]);
      std::memcpy(out + picks[p].position * item_bytes, scratch.data() + static_cast<std::size_t>(at) * item_bytes,
                  item_bytes);
    }
    first = last;
  }
}

// Gathers from a mapping: each head's sub-array is one contiguous run of the file.
void gather_mapped(const AnyArray& m, std::span<const std::int64_t> heads, std::size_t k, void* dst, DType type) {
  const Shape& shape = m.shape();
  std::int64_t item = 1;
  for (std::size_t i = k; i < shape.size(); ++i) item *= shape[i];
  const std::size_t src_bytes = static_cast<std::size_t>(item) * m.dtype().itemsize();
  const std::size_t dst_bytes = static_cast<std::size_t>(item) * type.itemsize();
  auto* out = static_cast<std::byte*>(dst);
  for (std::size_t p = 0; p < heads.size() / k; ++p) {
    std::int64_t lin = 0;
    for (std::size_t i = 0; i < k; ++i) lin = lin * shape[i] + heads[p * k + i];
    const std::byte* src = m.data() + static_cast<std::size_t>(lin) * src_bytes;
    if (m.dtype() == type)
      std::memcpy(out + p * dst_bytes, src, dst_bytes);
    else
      convert(src, m.dtype(), out + p * dst_bytes, type, static_cast<std::size_t>(item));
  }
  static_cast<const detail::FileMapping*>(m.storage().get())->release_pages();
}

// Chunked points: one element selection in sorted order, so libhdf5 visits each chunk
// once through its cache and copies single elements (a bounding box per chunk would
// copy whole chunks for a few points).
void read_sorted_elements(const Dataset& d, std::span<const std::int64_t> points, void* dst, DType type) {
  const std::size_t k = d.shape().size(), n = points.size() / k;
  std::vector<Pick> picks(n);
  for (std::size_t p = 0; p < n; ++p) {
    std::int64_t lin = 0;
    for (std::size_t i = 0; i < k; ++i) lin = lin * d.shape()[i] + points[p * k + i];
    picks[p] = {lin, p};
  }
  std::sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) { return a.linear < b.linear; });
  std::vector<hsize_t> coords(n * k);
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t i = 0; i < k; ++i) coords[p * k + i] = static_cast<hsize_t>(points[picks[p].position * k + i]);
  const DType stored = d.dtype();
  const DType mem = hdf5_converts(stored, type) ? type : native_of(stored);
  std::vector<std::byte> sorted(n * mem.itemsize());
  {
    auto guard = detail::lock();
    const std::string object = d.spec();
    Handle file_space = open("get dataspace", object, H5Dget_space, d.id());
    call("select points", object, H5Sselect_elements, file_space.get(), H5S_SELECT_SET, n,
         static_cast<const hsize_t*>(coords.data()));
    const hsize_t count = n;
    Handle mem_space = open("create memory dataspace", object, H5Screate_simple, 1, &count, nullptr);
    Handle mem_type = make_file_type(mem);
    call("read points", object, H5Dread, d.id(), mem_type.get(), mem_space.get(), file_space.get(), H5P_DEFAULT,
         static_cast<void*>(sorted.data()));
  }
  auto* out = static_cast<std::byte*>(dst);
  for (std::size_t p = 0; p < n; ++p) {
    const std::byte* src = sorted.data() + p * mem.itemsize();
    std::byte* to = out + picks[p].position * type.itemsize();
    if (mem == type)
      std::memcpy(to, src, type.itemsize());
    else
      convert(src, mem, to, type, 1);
  }
}

void check_heads(const Dataset& d, std::span<const std::int64_t> heads, std::size_t k, const char* what) {
  if (k == 0 || heads.size() % k != 0)
    throw ShapeError(d.spec() + ": " + std::to_string(heads.size()) + " coordinates do not make " + what + " of a " +
                     std::to_string(d.ndim()) + "-d dataset");
  for (std::size_t p = 0; p < heads.size(); ++p)
    if (heads[p] < 0 || heads[p] >= d.shape()[p % k])
      throw ShapeError(d.spec() + ": index " + std::to_string(heads[p]) + " on axis " + std::to_string(p % k) +
                       " is out of range for shape " + shape_string(d.shape()));
}

// Cells of at most `budget` bytes of `type`: the chunks when chunked, else runs along the last axes.
Shape group_cells(const Dataset& d, std::size_t k, DType type) {
  const Shape& shape = d.shape();
  std::int64_t item = static_cast<std::int64_t>(type.itemsize());
  for (std::size_t i = k; i < shape.size(); ++i) item *= shape[i];
  Shape cell(k, 1);
  if (d.chunks().empty()) {
    cell[k - 1] = std::max<std::int64_t>(1, (64 << 10) / std::max<std::int64_t>(item, 1));
    return cell;
  }
  for (std::size_t i = 0; i < k; ++i) cell[i] = d.chunks()[i];
  // A band of whole rows can be far larger than a chunk; keep each read under 8 MiB.
  cell[k - 1] = std::min(cell[k - 1], std::max<std::int64_t>(1, (8 << 20) / std::max<std::int64_t>(item, 1)));
  return cell;
}

}  // namespace

void Dataset::read_rows(std::span<const std::int64_t> rows, void* dst, DType type) const {
  if (shape_.empty()) throw ShapeError(spec() + ": a scalar dataset has no rows");
  check_heads(*this, rows, 1, "rows");
  if (rows.empty()) return;
  if (auto m = mapped()) return gather_mapped(*m, rows, 1, dst, type);
  gather_groups(*this, rows, 1, group_cells(*this, 1, type), dst, type);
}

void Dataset::read_points(std::span<const std::int64_t> points, void* dst, DType type) const {
  if (shape_.empty()) throw ShapeError(spec() + ": a scalar dataset has no points");
  const auto k = shape_.size();
  check_heads(*this, points, k, "points");
  if (points.empty()) return;
  if (auto m = mapped()) return gather_mapped(*m, points, k, dst, type);
  if (!chunks_.empty()) {
    if (gather_mapped_chunks(points, dst, type)) return;
    return read_sorted_elements(*this, points, dst, type);
  }
  gather_groups(*this, points, k, group_cells(*this, k, type), dst, type);
}

}  // namespace mammoth::h5
