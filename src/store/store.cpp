#include "mammoth/store.hpp"

#include "backends.hpp"
#include "mammoth/error.hpp"

namespace mammoth {

Box Box::rows(const Shape& shape, std::int64_t begin, std::int64_t end) {
  Box box = whole(shape);
  if (!shape.empty()) {
    box.offset[0] = begin;
    box.count[0] = end - begin;
  }
  return box;
}

void check_box(const Box& box, const Shape& shape, const std::string& context) {
  bool ok = box.offset.size() == shape.size() && box.count.size() == shape.size();
  for (std::size_t i = 0; ok && i < shape.size(); ++i)
    ok = box.offset[i] >= 0 && box.count[i] >= 0 && box.offset[i] <= shape[i] - box.count[i];
  if (!ok)
    throw ShapeError(context + ": selection at " + shape_string(box.offset) + " of size " + shape_string(box.count) +
                     " lies outside the array of shape " + shape_string(shape));
}

StorePath parse_store_path(const std::string& spec) {
  // "FILE:/inner" names an object inside an HDF5 file; a bare colon elsewhere is a file name.
  const auto colon = spec.rfind(":/");
  if (colon == std::string::npos || colon == 0) return StorePath{spec, ""};
  return StorePath{spec.substr(0, colon), spec.substr(colon + 1)};
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::unique_ptr<BlockStore> open_store(const std::string& spec, Mode mode, const std::optional<RawLayout>& raw) {
  const StorePath path = parse_store_path(spec);
  if (path.is_hdf5()) return detail::open_h5_store(path, mode);
  if (raw) return detail::open_raw_store(path.file, mode, *raw);
  if (ends_with(path.file, ".npy")) return detail::open_npy_store(path.file, mode);
  throw Error(spec + ": cannot tell the format (expected FILE.npy, FILE.h5:/dataset, or a raw file with its dtype "
                     "and shape given)");
}

std::unique_ptr<BlockStore> create_store(const std::string& spec, const CreateOptions& options) {
  const StorePath path = parse_store_path(spec);
  if (path.is_hdf5()) return detail::create_h5_store(path, options);
  if (ends_with(path.file, ".npy")) return detail::create_npy_store(path.file, options);
  return detail::create_raw_store(path.file, options);
}

}  // namespace mammoth
