// Matrix-vector products with the matrix on disk: y = A·x and y = Aᵀ·x, streaming A
// once in blocks of rows under the memory budget. Accumulation is in float64
// (complex128 when A or x is complex), whatever A's dtype.
#pragma once

#include "mammoth/any_array.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/store.hpp"

namespace mammoth::ooc {

// The dtype of A·x: complex128 when either is complex, float64 otherwise.
DType product_type(DType a, DType x);

// A (m×n) · x (n) → y (m). x may be of any dtype; it is held in memory as the result
// type (counted in the budget). Throws ShapeError when the shapes do not match.
AnyArray matvec(BlockStore& a, const AnyArray& x, const Options& options = {});
// Aᵀ (n×m) · y (m) → (n), reading A in the same row order as matvec.
AnyArray rmatvec(BlockStore& a, const AnyArray& y, const Options& options = {});

// The vectors on disk too: writes A·x (Aᵀ·x when `transpose`) into `y`, of shape (m)
// (or (n)). Both vectors are held in memory when they take at most half the budget;
// otherwise the one of length m streams beside A (y of matvec is written block by block,
// x of rmatvec read block by block) and the one of length n must fit in half the budget.
// Error when it does not.
void matvec(BlockStore& a, BlockStore& x, BlockStore& y, bool transpose, const Options& options = {});

}  // namespace mammoth::ooc
