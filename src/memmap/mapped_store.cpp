#include <algorithm>
#include <vector>

#include "../store/backends.hpp"
#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"
#include "store_options.hpp"

namespace mammoth {

MappedStore::MappedStore(Memmap map, std::string name, std::vector<std::pair<std::string, std::string>> properties)
    : map_(std::move(map)), view_(map_.array(), name), name_(std::move(name)), properties_(std::move(properties)) {}

void MappedStore::read(const Box& box, void* dst, DType dst_type) { view_.read(box, dst, dst_type); }

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
    view_.write(box, src, src_type);
    return;
  }
  const auto first = static_cast<std::size_t>(target.data() - map_.array().data());
  const std::size_t end = first + target.nbytes();
  const std::int64_t at = map_.offset() + static_cast<std::int64_t>(first);
  if (src_type == type) {
    write_at(map_.fd(), name_, src, end - first, at);
    return;
  }
  // Convert through a bounded scratch buffer, one piece at a time.
  constexpr std::size_t kPiece = std::size_t{1} << 20;
  const std::size_t n = static_cast<std::size_t>(box.size());
  std::vector<std::byte> scratch(std::min(n, kPiece) * type.itemsize());
  const auto* in = static_cast<const std::byte*>(src);
  for (std::size_t done = 0; done < n; done += kPiece) {
    const std::size_t k = std::min(kPiece, n - done);
    convert(in + done * src_type.itemsize(), src_type, scratch.data(), type, k);
    write_at(map_.fd(), name_, scratch.data(), k * type.itemsize(),
             at + static_cast<std::int64_t>(done * type.itemsize()));
  }
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
