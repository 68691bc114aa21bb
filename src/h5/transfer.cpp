// Element transfers between memory and a dataset, in the one place that knows the
// memory-type exceptions (PyTables' bitfield bools) and names missing filters.
#include <cstring>

#include "call.hpp"
#include "io_rules.hpp"
#include "mammoth/h5/types.hpp"
#include "pipeline.hpp"

namespace mammoth::h5::detail {

Handle memory_type(DType type, hid_t file_type, const std::string& object, bool& bitfield) {
  bitfield = type.type() == ScalarType::Bool && call("get type class", object, H5Tget_class, file_type) == H5T_BITFIELD;
  if (bitfield) return open("copy type", object, H5Tcopy, H5T_NATIVE_B8);
  return make_file_type(type);
}

void normalize_bools(void* data, std::size_t n) {
  auto* bytes = static_cast<unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = bytes[i] != 0;
}

namespace {

Handle dataset_memory_type(hid_t dataset, DType type, const std::string& object, bool& bitfield) {
  Handle file_type = open("get dataset type", object, H5Dget_type, dataset);
  return memory_type(type, file_type.get(), object, bitfield);
}

}  // namespace

void read_elements(hid_t dataset, DType type, hid_t mem_space, hid_t file_space, void* dst, const std::string& object) {
  auto guard = lock();
  bool bitfield = false;
  Handle mem_type = dataset_memory_type(dataset, type, object, bitfield);
  try {
    call("read", object, H5Dread, dataset, mem_type.get(), mem_space, file_space, H5P_DEFAULT, dst);
  } catch (const Error&) {
    throw_if_filter_missing(dataset, object);
    throw;
  }
  if (bitfield) {
    const hssize_t n = call("count selected elements", object, H5Sget_select_npoints, mem_space);
    normalize_bools(dst, static_cast<std::size_t>(n));
  }
}

void write_elements(hid_t dataset, DType type, hid_t mem_space, hid_t file_space, const void* src,
                    const std::string& object) {
  auto guard = lock();
  bool bitfield = false;
  Handle mem_type = dataset_memory_type(dataset, type, object, bitfield);
  try {
    call("write", object, H5Dwrite, dataset, mem_type.get(), mem_space, file_space, H5P_DEFAULT, src);
  } catch (const Error&) {
    throw_if_filter_missing(dataset, object);
    throw;
  }
}

}  // namespace mammoth::h5::detail
