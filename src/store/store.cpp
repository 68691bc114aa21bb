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

std::unique_ptr<BlockStore> open_store(const std::string& spec, Mode mode, const std::optional<RawLayout>& raw) {
  const StorePath path = parse_store_path(spec);
  if (path.is_hdf5()) return detail::open_h5_store(path, mode);
  if (raw) return detail::open_raw_store(path.file, mode, *raw);
  switch (file_format(path.file)) {
    case FileFormat::Npy:
      return detail::open_npy_store(path.file, mode);
    case FileFormat::Hdf5:
      throw Error(spec + ": an HDF5 file; name the dataset inside it as " + spec + ":/path");
    case FileFormat::Npz:
    case FileFormat::Mtx:
      throw Error(spec + ": a sparse matrix file, not a dense array");
    case FileFormat::Raw:
      break;
  }
  throw Error(spec +
              ": cannot tell the format (expected FILE.npy, FILE.h5:/dataset, or a raw file with its dtype "
              "and shape given)");
}

std::unique_ptr<BlockStore> create_store(const std::string& spec, const CreateOptions& options) {
  const StorePath path = parse_store_path(spec);
  if (path.is_hdf5()) return detail::create_h5_store(path, options);
  if (extension_format(path.file) == FileFormat::Npy) return detail::create_npy_store(path.file, options);
  return detail::create_raw_store(path.file, options);
}

}  // namespace mammoth
