// Fancy selections of a dataset: lists of rows and of points, read sorted and merged
// by chunk, answered in the caller's order.
#include <algorithm>
#include <cstring>

#include "call.hpp"
#include "io_rules.hpp"
#include "mammoth/h5/dataset.hpp"
#include "mammoth/mapping.hpp"

namespace mammoth::h5 {

using detail::call;
using detail::hdf5_converts;
using detail::open;
using detail::Pick;

namespace {

// The n = heads.size() / k coordinates over the first k axes, sorted by their C-order
// position on a grid of `cell`-sized cells (cells of one element when `cell` is empty);
// each Pick remembers its caller position.
std::vector<Pick> sorted_picks(std::span<const std::int64_t> heads, std::size_t k, const Shape& shape,
                               const Shape& cell = {}) {
  const std::size_t n = heads.size() / k;
  std::vector<Pick> picks(n);
  for (std::size_t p = 0; p < n; ++p) {
    std::int64_t key = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const std::int64_t size = cell.empty() ? 1 : cell[i];
      key = key * ((shape[i] + size - 1) / size) + heads[p * k + i] / size;
    }
    picks[p] = {key, p};
  }
  std::sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) { return a.linear < b.linear; });
  return picks;
}

}  // namespace

// Unfiltered chunks of a read-only file are plain C-ordered blocks at known addresses:
// map the file once and gather each point from its chunk, as from a memory map.
FileMap* Dataset::chunk_file_map() const {
  if (writable_ || !dtype_ || bitfield_ || chunks_.empty() || chunks_unmapped_) return nullptr;
  if (!file_mapping_) {
    chunks_unmapped_ = true;  // until the checks pass
    const std::string object = spec();
    if (!properties().filters.empty()) return nullptr;
    Handle file = open("get file", object, H5Iget_file_id, id_.get());
    Handle fcpl = open("get file creation properties", object, H5Fget_create_plist, file.get());
    hsize_t userblock = 0;
    call("get user block", object, H5Pget_userblock, fcpl.get(), &userblock);
    if (userblock != 0) return nullptr;
    auto whole = FileMap::open(file_);
    if (whole->size() == 0) return nullptr;
    file_mapping_ = std::move(whole);
    chunks_unmapped_ = false;
  }
  return FileMap::of(file_mapping_);
}

std::optional<AnyArray> Dataset::chunk_view(const Box& box) const {
  if (!dtype_ || chunks_.empty() || box.offset.size() != chunks_.size()) return std::nullopt;
  for (std::size_t i = 0; i < chunks_.size(); ++i)
    if (box.offset[i] % chunks_[i] != 0 || box.count[i] != chunks_[i] || box.offset[i] + box.count[i] > shape_[i])
      return std::nullopt;
  auto guard = detail::lock();
  FileMap* map = chunk_file_map();
  if (!map) return std::nullopt;
  const std::vector<hsize_t> origin(box.offset.begin(), box.offset.end());
  unsigned mask = 0;
  haddr_t addr = HADDR_UNDEF;
  hsize_t bytes = 0;
  call("look up chunk", spec(), H5Dget_chunk_info_by_coord, id_.get(), origin.data(), &mask, &addr, &bytes);
  // An unwritten chunk (fill value) or an odd size: libhdf5 answers instead.
  if (addr == HADDR_UNDEF || bytes != chunk_bytes() || addr + bytes > map->size()) return std::nullopt;
  return AnyArray(file_mapping_, map->data() + addr, *dtype_, chunks_, contiguous_strides(chunks_, Order::C), false);
}

bool Dataset::gather_mapped_chunks(std::span<const std::int64_t> points, void* dst, DType type) const {
  auto guard = detail::lock();
  const std::string object = spec();
  auto* map = chunk_file_map();
  if (!map) return false;
  const std::size_t k = shape_.size(), n = points.size() / k, item = dtype_->itemsize();
  const std::size_t chunk_bytes = this->chunk_bytes();
  // Sort by chunk, so each chunk's address is looked up once.
  const std::vector<Pick> picks = sorted_picks(points, k, shape_, chunks_);
  auto* out = static_cast<std::byte*>(dst);
  std::vector<hsize_t> origin(k);
  const std::byte* chunk = nullptr;
  std::size_t touched = 0;
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
      // Chunks need not lie in file order: drop everything every 8 MiB of chunks touched.
      touched += chunk_bytes;
      if (touched > (8u << 20)) {
        map->release(0, map->size());
        touched = 0;
      }
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
  map->release(0, map->size());
  return ok;
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
  const std::vector<Pick> picks = sorted_picks(heads, k, shape);
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
  // In file order, releasing what lies behind every 8 MiB: the kernel maps up to 16 pages
  // around each fault, so random points would otherwise make the whole file resident.
  const std::vector<Pick> picks = sorted_picks(heads, k, shape);
  FileMap* mapping = FileMap::of(m.storage());
  constexpr std::size_t kWindow = 8 << 20;
  std::size_t released = 0;
  auto* out = static_cast<std::byte*>(dst);
  for (const Pick& pick : picks) {
    const std::size_t at = static_cast<std::size_t>(pick.linear) * src_bytes;
    if (at > released + kWindow) {
      mapping->release(released, at - released);
      released = at;
    }
    std::byte* to = out + pick.position * dst_bytes;
    if (m.dtype() == type)
      std::memcpy(to, m.data() + at, dst_bytes);
    else
      convert(m.data() + at, m.dtype(), to, type, static_cast<std::size_t>(item));
  }
  mapping->release(0, mapping->size());
}

// Chunked points: one element selection in sorted order, so libhdf5 visits each chunk
// once through its cache and copies single elements (a bounding box per chunk would
// copy whole chunks for a few points).
void read_sorted_elements(const Dataset& d, std::span<const std::int64_t> points, void* dst, DType type) {
  const std::size_t k = d.shape().size(), n = points.size() / k;
  const std::vector<Pick> picks = sorted_picks(points, k, d.shape());
  std::vector<hsize_t> coords(n * k);
  for (std::size_t p = 0; p < n; ++p)
    for (std::size_t i = 0; i < k; ++i) coords[p * k + i] = static_cast<hsize_t>(points[picks[p].position * k + i]);
  const DType stored = d.dtype();
  const DType mem = hdf5_converts(stored, type) ? type : compute_dtype(stored);
  std::vector<std::byte> sorted(n * mem.itemsize());
  {
    auto guard = detail::lock();
    const std::string object = d.spec();
    Handle file_space = open("get dataspace", object, H5Dget_space, d.id());
    call("select points", object, H5Sselect_elements, file_space.get(), H5S_SELECT_SET, n,
         static_cast<const hsize_t*>(coords.data()));
    const hsize_t count = n;
    Handle mem_space = open("create memory dataspace", object, H5Screate_simple, 1, &count, nullptr);
    detail::read_elements(d.id(), mem, mem_space.get(), file_space.get(), sorted.data(), object);
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
