// Small value types shared by the h5 classes: what an object is, chunk-cache settings,
// and the HDF5 file type of a dtype as h5py writes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "mammoth/dtype.hpp"
#include "mammoth/h5/handle.hpp"
#include "mammoth/layout.hpp"

namespace mammoth::h5 {

enum class ObjectKind : std::uint8_t { Group, Dataset, NamedType, Missing };
std::string kind_name(ObjectKind kind);

// libhdf5's raw-data chunk cache: `bytes` of chunks in a hash table of `slots`,
// `w0` = preference for evicting fully read/written chunks (0…1).
struct ChunkCache {
  std::size_t bytes = 1 << 20;
  std::size_t slots = 521;
  double w0 = 0.75;
};

// The HDF5 datatype h5py writes for `dtype`: bool → enum(int8){FALSE=0, TRUE=1},
// complex → compound{r, i}, float16 → h5py's 2-byte IEEE type, byte order kept.
Handle make_file_type(DType dtype);
// The dtype of an HDF5 datatype; TypeError naming `object` for compound records,
// strings, references and other types an NdArray cannot hold.
DType dtype_from_type(Hid type, const std::string& object);
// "32-bit little-endian integer", "variable-length string"… for messages and `ls`.
std::string describe_type(Hid type);

// h5py's guess_chunk: halve the axes in turn until a chunk is near a target of
// 16 KiB × 2^log10(dataset MiB), kept between 8 KiB and 1 MiB.
Shape guess_chunks(const Shape& shape, std::size_t itemsize);
// A cache that holds every chunk one band of rows touches (one chunk along axis 0,
// all chunks along the others) plus one, at least libhdf5's 1 MiB, at most 64 MiB + one chunk.
ChunkCache cache_for_chunks(const Shape& shape, const Shape& chunks, std::size_t itemsize);

}  // namespace mammoth::h5
