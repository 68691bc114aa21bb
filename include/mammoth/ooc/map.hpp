// Element-wise operations from one array on disk into another, and transposition to disk.
#pragma once

#include <functional>
#include <span>

#include "mammoth/ooc/budget.hpp"
#include "mammoth/store.hpp"

namespace mammoth::ooc {

// dst[i] = f(src[i]) for every element, in float64. `f` is called on spans of the
// block from several threads at once (it must be thread-safe) and rewrites them in
// place. src and dst have the same shape; dst's dtype converts as numpy's astype.
// Complex arrays throw TypeError.
void map(BlockStore& src, BlockStore& dst, const std::function<void(std::span<double>)>& f,
         const Options& options = {});

// y ← alpha·x + y, in place in `y` (same shape as x), in float64 (complex128 when either is complex).
void axpy(double alpha, BlockStore& x, BlockStore& y, const Options& options = {});

// dst (n×m) ← srcᵀ (src m×n), in square-ish tiles so both sides are read and written
// in runs, converting to dst's dtype.
void transpose(BlockStore& src, BlockStore& dst, const Options& options = {});

}  // namespace mammoth::ooc
