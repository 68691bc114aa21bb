#include <algorithm>
#include <memory>
#include <span>
#include <vector>

#include "../store/backends.hpp"
#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"
#include "store_options.hpp"

namespace mammoth {

MappedStore::MappedStore(Memmap map, std::string name, std::vector<std::pair<std::string, std::string>> properties)
    : map_(std::move(map)), view_(map_.array(), name), name_(std::move(name)), properties_(std::move(properties)) {}

void MappedStore::read(const Box& box, void* dst, DType dst_type) {
  if (!read_runs(box, dst, dst_type)) view_.read(box, dst, dst_type);
}

namespace {

// Calls f(k, at) for run k of `box` (its extent along the last axis) of a C-contiguous
// array with `strides` (elements), whose element 0 sits at byte `base` of the file: `at`
// is the run's byte offset in the file. Runs come in C order.
template <class F>
void for_each_run(const Box& box, std::span<const std::int64_t> strides, std::int64_t base, std::int64_t item, F&& f) {
  const std::size_t nd = box.offset.size();
  const std::int64_t runs = box.size() / box.count[nd - 1];
  Shape at(nd, 0);  // the run's index within the box, last axis 0
  for (std::int64_t k = 0; k < runs; ++k) {
    std::int64_t element = 0;
    for (std::size_t i = 0; i < nd; ++i) element += (box.offset[i] + at[i]) * strides[i];
    f(k, base + element * item);
    for (std::size_t i = nd - 1; i-- > 0;) {  // next run: the leading axes count in C order
      if (++at[i] < box.count[i]) break;
      at[i] = 0;
    }
  }
}

// Elements converted at a time between a block and the file: 256 KiB stay in L2 between the
// conversion and the copy into or out of the page cache, and are below malloc's mmap
// threshold (allocation.cpp), so no block faults in fresh pages. A scratch buffer of the whole
// run or 1 Mi elements, zero-filled and mapped anew for every block, took 40 % of a
// 10,000,000 × 10 float32 matvec's time writing its float32 y (0.21 s against 0.09 s float64).
constexpr std::size_t kConvertBytes = std::size_t{256} << 10;

// The scratch for converting up to n elements of `type`: one piece, allocated once per call
// of the store (not per run: freeing it at the heap's top would hand its pages back each time).
std::size_t convert_piece(DType type) { return std::max<std::size_t>(1, kConvertBytes / type.itemsize()); }
std::unique_ptr<std::byte[]> convert_scratch(DType type, std::size_t n) {
  return std::make_unique_for_overwrite<std::byte[]>(std::min(n, convert_piece(type)) * type.itemsize());
}

// n elements of `type` at byte `at` of the file into `dst`, converted to `dst_type`.
void read_converted(int fd, const std::string& name, DType type, std::int64_t at, std::size_t n, std::byte* dst,
                    DType dst_type, std::byte* scratch) {
  const std::size_t piece = convert_piece(type);
  for (std::size_t done = 0; done < n; done += piece) {
    const std::size_t k = std::min(piece, n - done);
    read_at(fd, name, scratch, k * type.itemsize(), at + static_cast<std::int64_t>(done * type.itemsize()));
    convert(scratch, type, dst + done * dst_type.itemsize(), dst_type, k);
  }
}

// n elements of `src_type` from `src`, converted to `type`, written at byte `at` of the file.
void write_converted(int fd, const std::string& name, const std::byte* src, DType src_type, DType type, std::int64_t at,
                     std::size_t n, std::byte* scratch) {
  const std::size_t piece = convert_piece(type);
  for (std::size_t done = 0; done < n; done += piece) {
    const std::size_t k = std::min(piece, n - done);
    convert(src + done * src_type.itemsize(), src_type, scratch, type, k);
    write_at(fd, name, scratch, k * type.itemsize(), at + static_cast<std::int64_t>(done * type.itemsize()));
  }
}

}  // namespace

// Touching the rows of a column block through the mapping maps, for each row, the whole
// huge page (a 2 MiB folio of the page cache) or fault-around window around it: 40 MB
// resident to gather a 100 × 4,000 float32 block of 400 KB rows, where the budget counts
// 1.6 MB. pread copies the same bytes from the page cache and maps nothing. A private
// (copy-on-write) mapping holds the program's changes, so it is always read in memory.
bool MappedStore::read_runs(const Box& box, void* dst, DType dst_type) {
  check_box(box, shape(), name_);
  const AnyArray& a = map_.array();
  const std::size_t nd = box.offset.size();
  if (map_.storage()->is_private() || nd < 2 || box.size() == 0 || !a.is_c_contiguous()) return false;
  const DType type = dtype();
  const auto item = static_cast<std::int64_t>(type.itemsize());
  const std::int64_t run = box.count[nd - 1], runs = box.size() / run;
  // Runs that fill at least half of their rows: the mapping wastes little and takes fewer calls.
  if (runs < 2 || 2 * run > a.strides()[nd - 2]) return false;
  const auto scratch = dst_type == type ? nullptr : convert_scratch(type, static_cast<std::size_t>(run));
  auto* out = static_cast<std::byte*>(dst);
  for_each_run(box, a.strides(), map_.offset(), item, [&](std::int64_t k, std::int64_t from) {
    std::byte* into = out + k * run * static_cast<std::int64_t>(dst_type.itemsize());
    if (dst_type == type)
      read_at(map_.fd(), name_, into, static_cast<std::size_t>(run * item), from);
    else
      read_converted(map_.fd(), name_, type, from, static_cast<std::size_t>(run), into, dst_type, scratch.get());
  });
  return true;
}

// Writing a column block through the mapping faults every page of it in, makes each
// writable (ext4's page_mkwrite) and again after writeback cleans it: a quarter of a
// gzip dataset's conversion into a .npy (blocks of 100 × 20,000 of 100,000 columns).
// pwrite puts each run into the page cache with no mapping at all.
bool MappedStore::write_runs(const Box& box, const void* src, DType src_type) {
  const AnyArray& a = map_.array();
  const std::size_t nd = box.offset.size();
  if (nd < 2 || box.size() == 0 || !a.is_c_contiguous()) return false;
  const DType type = dtype();
  const auto item = static_cast<std::int64_t>(type.itemsize());
  const std::int64_t run = box.count[nd - 1];
  if (run * item < 4096) return false;  // runs under a page: the mapping's pages serve several
  const auto scratch = src_type == type ? nullptr : convert_scratch(type, static_cast<std::size_t>(run));
  const auto* in = static_cast<const std::byte*>(src);
  for_each_run(box, a.strides(), map_.offset(), item, [&](std::int64_t k, std::int64_t to) {
    const std::byte* from = in + k * run * static_cast<std::int64_t>(src_type.itemsize());
    if (src_type == type)
      write_at(map_.fd(), name_, from, static_cast<std::size_t>(run * item), to);
    else
      write_converted(map_.fd(), name_, from, src_type, type, to, static_cast<std::size_t>(run), scratch.get());
  });
  return true;
}

void MappedStore::write(const Box& box, const void* src, DType src_type) {
  check_box(box, shape(), name_);
  if (!writable()) throw Error(name_ + ": opened read-only; cannot write");
  const DType type = dtype();
  std::vector<Slice> slices;
  for (std::size_t i = 0; i < box.offset.size(); ++i)
    slices.push_back(Slice::range(box.offset[i], box.offset[i] + box.count[i]));
  const AnyArray target = map_.array().slice(slices);
  // Only a run that is contiguous in C order matches the packed source byte for byte.
  if (map_.storage()->is_private() || box.size() == 0 || !target.is_c_contiguous()) {
    if (map_.storage()->is_private() || !write_runs(box, src, src_type)) view_.write(box, src, src_type);
    return;
  }
  const auto first = static_cast<std::size_t>(target.data() - map_.array().data());
  const std::size_t end = first + target.nbytes();
  const std::int64_t at = map_.offset() + static_cast<std::int64_t>(first);
  const auto n = static_cast<std::size_t>(box.size());
  if (src_type == type)
    write_at(map_.fd(), name_, src, end - first, at);
  else
    write_converted(map_.fd(), name_, static_cast<const std::byte*>(src), src_type, type, at, n,
                    convert_scratch(type, n).get());
}

namespace detail {

void reject_hdf5_options(const std::string& path, const CreateOptions& options) {
  if (!options.chunks.empty() || options.gzip_level >= 0 || !options.compression.empty() || options.shuffle)
    throw Error(path + ": chunks, compression and shuffle need an HDF5 destination (FILE.h5:/dataset)");
}

namespace {

std::vector<std::pair<std::string, std::string>> raw_properties(const Memmap& map) {
  return {{"format", "raw"},
          {"order", map.order() == Order::C ? "C" : "F"},
          {"offset", std::to_string(map.offset())},
          {"bytes", std::to_string(map.nbytes())}};
}

}  // namespace

std::unique_ptr<BlockStore> open_raw_store(const std::string& path, Mode mode, const RawLayout& layout) {
  Memmap map = Memmap::open_raw(path, layout, mode);
  auto properties = raw_properties(map);
  return std::make_unique<MappedStore>(std::move(map), path, std::move(properties));
}

std::unique_ptr<BlockStore> create_raw_store(const std::string& path, const CreateOptions& options) {
  reject_hdf5_options(path, options);
  Memmap map = Memmap::create_raw(path, options);
  auto properties = raw_properties(map);
  return std::make_unique<MappedStore>(std::move(map), path, std::move(properties));
}

}  // namespace detail
}  // namespace mammoth
