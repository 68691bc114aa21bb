// Helpers the HDF5 test files share.
#pragma once

#include <utility>

#include "mammoth/h5.hpp"

namespace mammoth::h5::test {

// Dataset options with a chunk shape and, when gzip_level >= 0, gzip compression.
inline DatasetOptions with_chunks(Shape chunks, int gzip_level = -1) {
  DatasetOptions o;
  o.chunks = std::move(chunks);
  o.gzip_level = gzip_level;
  return o;
}

}  // namespace mammoth::h5::test
