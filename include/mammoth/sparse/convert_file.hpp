// Sparse file conversion: the format policy (dense <-> sparse, the default format, which
// formats an HDF5 group holds, bool values) and the streaming paths, in one call.
//
// Streamed in bounded memory (options.ooc.budget), member by member through the
// out-of-core copy: a CSR or CSC .npz or HDF5 group into a .npz or HDF5 group of the same
// format (chunks, gzip and shuffle honoured for the group's datasets), and a CSR .npz or
// group into Matrix Market text. Everything else (changing the format, .mtx or dense
// sources, bsr/coo/dia) loads the matrix in memory, as scipy would.
// Every destination is written through the output commit (mammoth/output.hpp): it appears
// complete or not at all.
#pragma once

#include <string>

#include "mammoth/layout.hpp"
#include "mammoth/ooc/budget.hpp"

namespace mammoth::sparse {

struct ConvertOptions {
  std::string format;                           // destination format; "" = the source's (csr if it has none)
  bool compressed = true;                       // .npz destination: deflated members (savez_compressed)
  std::int64_t block_rows = 0, block_cols = 0;  // bsr destination; 0 = the source's, or 1
  Shape chunks;                                 // HDF5 group: chunk length of its 1-d datasets
  int gzip_level = -1;                          // HDF5 group: -1 = no compression
  bool shuffle = false;                         // HDF5 group
  ooc::Options ooc;                             // budget, threads, progress
};

// Converts the sparse matrix or dense 2-d .npy at `src` into `dst` (.npz, .mtx,
// FILE.h5:/group, or a dense .npy).
void convert_file(const std::string& src, const std::string& dst, const ConvertOptions& options = {});

// True when convert_file(src, dst, options) streams rather than loading the matrix.
bool streams(const std::string& src, const std::string& dst, const ConvertOptions& options = {});

}  // namespace mammoth::sparse
