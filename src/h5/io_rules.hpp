// Rules shared by the dataset I/O files: which element-type pairs libhdf5 converts
// itself, and the (sort key, caller position) pairs fancy selections sort.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mammoth/dtype.hpp"

namespace mammoth::h5::detail {

// HDF5 converts bool enums, complex compounds and byte orders itself; any other
// pair goes through mammoth::convert (static_cast semantics, as numpy's astype).
inline bool hdf5_converts(DType stored, DType type) { return stored.type() == type.type(); }

struct Pick {
  std::int64_t linear;  // C-order index of the head among the first k axes (or its chunk)
  std::size_t position;
};

}  // namespace mammoth::h5::detail
