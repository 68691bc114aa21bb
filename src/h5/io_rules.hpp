// Rules shared by the dataset I/O files: which element-type pairs libhdf5 converts
// itself, and the (sort key, caller position) pairs fancy selections sort.
#pragma once

#include <cstddef>
#include <cstdint>

#include <hdf5.h>

#include <string>

#include "mammoth/dtype.hpp"
#include "mammoth/h5/handle.hpp"

namespace mammoth::h5::detail {

// HDF5 converts bool enums, complex compounds and byte orders itself; any other
// pair goes through mammoth::convert (static_cast semantics, as numpy's astype).
inline bool hdf5_converts(DType stored, DType type) { return stored.type() == type.type(); }

// The memory type elements of `type` travel in to or from a file type: h5py's, except
// that bools of an 8-bit bitfield (PyTables' bool) stay a bitfield, which libhdf5
// converts to no enum. Sets `bitfield` when so.
Handle memory_type(DType type, hid_t file_type, const std::string& object, bool& bitfield);
// Bytes of a bitfield read as bool become 0/1: any other byte is not a valid bool.
void normalize_bools(void* data, std::size_t n);

// H5Dread / H5Dwrite of the selected elements through call(), in memory_type(): a
// failure caused by a missing filter says which filter and what to install.
void read_elements(hid_t dataset, DType type, hid_t mem_space, hid_t file_space, void* dst, const std::string& object);
void write_elements(hid_t dataset, DType type, hid_t mem_space, hid_t file_space, const void* src,
                    const std::string& object);

struct Pick {
  std::int64_t linear;  // C-order index of the head among the first k axes (or its chunk)
  std::size_t position;
};

}  // namespace mammoth::h5::detail
