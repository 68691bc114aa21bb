#include "mammoth/h5/dataset.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "call.hpp"
#include "io_rules.hpp"
#include "mammoth/allocation.hpp"
#include "mammoth/mapping.hpp"
#include "pipeline.hpp"

namespace mammoth::h5 {

using detail::call;
using detail::hdf5_converts;
using detail::open;

namespace {

std::vector<hsize_t> dims_of(const Shape& s) { return std::vector<hsize_t>(s.begin(), s.end()); }

std::string box_text(const Box& box) {
  return "selection at " + shape_string(box.offset) + " of size " + shape_string(box.count);
}

}  // namespace

Dataset::Dataset(Handle id, std::string file, std::string path, bool writable)
    : id_(std::move(id)),
      file_(std::move(file)),
      path_(std::move(path)),
      writable_(writable),
      buffers_(new_buffer_pool()) {
  refresh();
}

void Dataset::refresh() {
  auto guard = detail::lock();
  const std::string object = spec();
  Handle type = open("get dataset type", object, H5Dget_type, id_.get());
  type_text_ = describe_type(type.get());
  bitfield_ = call("get type class", object, H5Tget_class, type.get()) == H5T_BITFIELD;
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
    // libhdf5 writes no chunk of zero extent (H5Pset_chunk refuses one); a file that
    // says so is damaged, and every chunk grid would divide by it.
    for (const std::int64_t extent : chunks_)
      if (extent < 1)
        throw FormatError(object + ": chunk shape " + shape_string(chunks_) +
                          " has an extent below 1 (a damaged file?)");
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
  p.pipeline = detail::read_pipeline(dcpl.get(), object);
  for (const Filter& f : p.pipeline) p.filters.push_back(filter_text(f));
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
  if (reading && stride.empty() && read_direct(box, buffer, type)) return;
  if (!reading && stride.empty() && write_direct(box, buffer, type)) return;
  const DType native = compute_dtype(stored);
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
    if (reading)
      detail::read_elements(id_.get(), type, mem_space.get(), file_space.get(), buffer, object);
    else
      detail::write_elements(id_.get(), type, mem_space.get(), file_space.get(), buffer, object);
    return;
  }
  // Element types HDF5 cannot convert between (bool enum ↔ numbers, complex ↔ real).
  std::vector<std::byte> scratch(n * native.itemsize());
  if (reading) {
    detail::read_elements(id_.get(), native, mem_space.get(), file_space.get(), scratch.data(), object);
    convert(scratch.data(), native, buffer, type, n);
  } else {
    convert(buffer, type, scratch.data(), native, n);
    detail::write_elements(id_.get(), native, mem_space.get(), file_space.get(), scratch.data(), object);
  }
}

void Dataset::read(const Box& box, void* dst, DType type, const Shape& stride) const {
  try {
    transfer(box, dst, type, stride, true);
  } catch (const MemoryLimitError& e) {
    // A chunk's buffers: a legal file may declare chunks of many GiB.
    throw MemoryLimitError(spec() + ": reading " + shape_string(box.count) + " at " + shape_string(box.offset), e);
  }
}

void Dataset::write(const Box& box, const void* src, DType type, const Shape& stride) {
  if (!writable_) throw Error(spec() + ": the file is open read-only; cannot write");
  transfer(box, const_cast<void*>(src), type, stride, false);
}

AnyArray Dataset::read_all() const {
  AnyArray out = AnyArray::empty(compute_dtype(dtype()), shape_);
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

std::size_t Dataset::chunk_bytes() const {
  if (chunks_.empty()) return 0;
  return static_cast<std::size_t>(element_count(chunks_)) * (dtype_ ? dtype_->itemsize() : 1);
}

std::size_t Dataset::working_bytes() const {
  if (chunks_.empty()) return 0;
  // libhdf5 reads a chunk through its filters into buffers of its own (the stored bytes,
  // then the inflated ones), which no cache setting bounds; a read or write takes either
  // that path or the direct one.
  const std::size_t pipeline = 2 * chunk_bytes();
  const std::size_t direct = direct_chunk_reads() || direct_chunk_writes() ? direct_working_bytes() : 0;
  return cache_.bytes + std::max(pipeline, direct);
}

std::size_t Dataset::whole_chunk_working_bytes() const {
  if (chunks_.empty() || !(direct_chunk_reads() || direct_chunk_writes())) return working_bytes();
  return direct_working_bytes();
}

std::optional<AnyArray> Dataset::mapped() const {
  if (mapping_) return *mapping_;
  auto guard = detail::lock();
  mapping_.emplace(std::nullopt);
  // A writer's data may still sit in libhdf5's sieve buffer, so only read-only files map.
  // A bitfield's bytes need not be 0/1, so its bools are never viewed in place.
  if (writable_ || !dtype_ || bitfield_ || !chunks_.empty() || shape_.empty()) return std::nullopt;
  const DatasetProperties p = properties();
  if (p.layout != StorageLayout::Contiguous || !p.offset || !p.filters.empty()) return std::nullopt;
  const std::size_t bytes = static_cast<std::size_t>(size()) * dtype_->itemsize();
  if (bytes == 0) return std::nullopt;
  std::shared_ptr<FileMap> storage;
  try {
    storage = FileMap::open(file_, *p.offset, bytes);
  } catch (const FormatError&) {
    return std::nullopt;  // a truncated file: libhdf5's reads give the error
  }
  std::byte* data = storage->data();
  mapping_.emplace(AnyArray(std::move(storage), data, *dtype_, shape_, contiguous_strides(shape_, Order::C), false));
  return *mapping_;
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
  // Whole rows are whole data; a block of columns shares its rows' pages with the blocks
  // beside it, whose write-back must wait until they are filled.
  bool whole_rows = true;
  for (std::size_t i = 1; i < box.count.size(); ++i) whole_rows = whole_rows && box.count[i] == shape_[i];
  if (end > begin) FileMap::of((*mapping_)->storage())->release(begin, end - begin, whole_rows);
}

}  // namespace mammoth::h5
