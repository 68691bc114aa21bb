// Matrix products with A on disk: C = A·B streaming A in blocks of rows, B in memory
// or on disk (then read one panel of columns at a time) and C in memory or written to
// disk tile by tile. Products are computed in float64 (complex128 for complex input).
#pragma once

#include "mammoth/any_array.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/store.hpp"

namespace mammoth::ooc {

// A (m×k) on disk, B (k×n) in memory (not counted in the budget) → C (m×n) in memory.
AnyArray matmul(BlockStore& a, const AnyArray& b, const Options& options = {});

// A (m×k), B (k×n) and C (m×n, float64 or complex128 or any dtype it converts to) on
// disk. B is read in column panels as wide as half the budget allows; A is streamed
// once per panel. Throws Error when one column of B does not fit in half the budget.
void matmul(BlockStore& a, BlockStore& b, BlockStore& c, const Options& options = {});

}  // namespace mammoth::ooc
