// Reductions of an array on disk along axis 0, axis 1 or all of it, streaming it once.
#pragma once

#include <optional>
#include <string_view>

#include "mammoth/any_array.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/store.hpp"

namespace mammoth::ooc {

enum class ReduceOp { Sum, Mean, Min, Max, Norm };

// "sum", "mean", "min", "max", "norm"; Error otherwise.
ReduceOp parse_reduce_op(std::string_view text);

// Reduces a 1-d or 2-d array along `axis` (0 or 1; nullopt = every element). Results
// as numpy's with float64 accumulation: sum/mean → float64 (complex128 for complex
// input), norm (2-norm, sqrt of the sum of |x|²) → float64, min/max → the array's own
// dtype (NaN propagates, as numpy's). min/max of complex or empty input throw.
// The result has the array's shape without `axis` (shape () for all).
AnyArray reduce(BlockStore& a, ReduceOp op, std::optional<int> axis, const Options& options = {});

// The dtype of reduce()'s result for an array of dtype `a`.
DType reduce_type(DType a, ReduceOp op);

// reduce() into `out` (of reduce_type and the result's shape). A result along axis 0 of a
// tall matrix (axis 1, one element per row) that does not fit in half the budget is
// written block by block.
void reduce(BlockStore& a, ReduceOp op, std::optional<int> axis, BlockStore& out, const Options& options = {});

}  // namespace mammoth::ooc
