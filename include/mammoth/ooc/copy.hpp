// Copies an array between back ends (.npy, raw, HDF5, memory) block by block: any size
// in bounded memory, converting the dtype and re-chunking on the way. `mammoth
// convert` streams through it.
#pragma once

#include "mammoth/ooc/budget.hpp"
#include "mammoth/store.hpp"

namespace mammoth::ooc {

// dst ← src, element by element converted to dst's dtype (numpy's astype with
// casting='unsafe'). Shapes must match. Blocks are aligned to dst's chunks (then
// src's), so a chunked destination is written one whole chunk row at a time.
void copy(BlockStore& src, BlockStore& dst, const Options& options = {});

}  // namespace mammoth::ooc
