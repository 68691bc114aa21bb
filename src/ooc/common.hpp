// Helpers shared by the algorithms of src/ooc/.
#pragma once

#include <algorithm>
#include <complex>
#include <optional>
#include <string>
#include <type_traits>

#include "mammoth/error.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/store.hpp"

namespace mammoth::ooc::detail {

inline bool is_complex(DType t) { return t.kind() == Kind::Complex; }

// float64, or complex128 when any is complex.
inline DType accumulator_type(bool complex) { return DType(complex ? ScalarType::Complex128 : ScalarType::Float64); }

inline void require_matrix(const BlockStore& a, const std::string& what) {
  if (a.shape().size() != 2)
    throw ShapeError(a.name() + ": " + what + " needs a 2-d array, found shape " + shape_string(a.shape()));
}

// Whether every block of this shape is a whole number of chunks (or ends with the array).
inline bool whole_chunks(const Shape& block, const Shape& chunks, const Shape& shape) {
  if (chunks.empty() || chunks.size() != block.size()) return false;
  for (std::size_t i = 0; i < block.size(); ++i)
    if (block[i] % chunks[i] != 0 && block[i] != shape[i]) return false;
  return true;
}

// The block shape `block_for(working)` gives when the stores' back ends take `working`
// bytes: with `whole` (their whole_chunk_working_bytes) when that block is whole chunks,
// else with `working` (their working_bytes). Blocks of whole chunks need no chunk cache
// where the chunks pass libhdf5's cache whole (gzip, read or written directly): charging it
// anyway left room only for slivers of chunks, which are then inflated again for every
// sliver (a gzip matvec inflated each chunk 2.8 times) or assembled in that cache on one core.
template <class BlockFor>
Shape block_of_whole_chunks_or(const Shape& shape, const Shape& chunks, const Options& options, std::size_t fixed,
                               std::size_t whole, std::size_t working, BlockFor&& block_for) {
  if (!chunks.empty() && fixed + whole + 4096 <= options.budget) {
    Shape block = block_for(whole);
    if (whole_chunks(block, chunks, shape)) return block;
  }
  return block_for(working);
}

// The store's zero-copy view of its first chunk (unfiltered HDF5: BlockStore::mapped(box)),
// which says whether its chunks can be read in place; nullopt when it has none, or no
// chunks that fit inside its shape.
inline std::optional<AnyArray> first_chunk_view(BlockStore& store) {
  const Shape chunks = store.chunk_shape();
  const Shape& shape = store.shape();
  if (chunks.empty() || chunks.size() != shape.size()) return std::nullopt;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (chunks[i] > shape[i]) return std::nullopt;
  return store.mapped(Box{Shape(shape.size(), 0), chunks});
}

// One chunk a block, when `store` gives zero-copy views of its chunks in `type`
// (first_chunk_view) and four fit beside `fixed` (two read in place, two buffers for the
// edge chunks, which are read): every other block is then read in place, as a contiguous
// dataset's are, with no copy. nullopt otherwise.
inline std::optional<Shape> chunk_view_block(BlockStore& store, DType type, const Options& options, std::size_t fixed) {
  const Shape chunks = store.chunk_shape();
  const std::size_t bytes = static_cast<std::size_t>(element_count(chunks)) * type.itemsize();
  if (fixed + 4 * bytes + store.whole_chunk_working_bytes() > options.budget) return std::nullopt;
  const std::optional<AnyArray> first = first_chunk_view(store);
  if (!first || !(first->dtype() == type)) return std::nullopt;
  return chunks;
}

// Bytes of consumed chunk views that may stay mapped, to be dropped together
// (Input::release_batch): what the budget leaves beside chunk_view_block's four chunks, at
// most the mapped block cap (the block a contiguous dataset would be read in).
inline std::size_t chunk_view_batch(const BlockStore& store, DType type, const Options& options, std::size_t fixed) {
  const std::size_t bytes = static_cast<std::size_t>(element_count(store.chunk_shape())) * type.itemsize();
  const std::size_t used = fixed + 4 * bytes + store.whole_chunk_working_bytes();
  return used >= options.budget ? 0 : std::min(options.mapped_block_bytes, options.budget - used);
}

// `options` with the block cap of `store`'s read path: mapped_block_bytes when the engine
// reads it in place (a C-contiguous mapping of `type`), block_bytes when it copies.
inline Options block_options(const Options& options, BlockStore& store, DType type) {
  const std::optional<AnyArray> map = store.mapped();
  Options o = options;
  if (map && map->dtype() == type && map->is_c_contiguous())
    o.block_bytes = std::max(options.block_bytes, options.mapped_block_bytes);
  return o;
}

inline std::uint64_t total_bytes(const BlockStore& s) {
  return static_cast<std::uint64_t>(element_count(s.shape())) * s.dtype().itemsize();
}

inline std::string label_or(const Options& options, const std::string& fallback) {
  return options.label.empty() ? fallback : options.label;
}

// Runs f(type_identity<Acc>) with Acc = double or std::complex<double>.
template <class F>
decltype(auto) visit_accumulator(DType acc, F&& f) {
  if (is_complex(acc)) return f(std::type_identity<std::complex<double>>{});
  return f(std::type_identity<double>{});
}

}  // namespace mammoth::ooc::detail
