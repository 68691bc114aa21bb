// Filling arrays with reproducible random numbers. Element i of the C-order sequence
// comes from the generator of block i / kRandomBlock, seeded from (seed, block) alone, and
// every distribution consumes a fixed number of generator outputs per element (or per
// pair of elements), so any block can start anywhere without generating what precedes it.
#include <omp.h>

#include <cmath>
#include <cstring>
#include <exception>
#include <numbers>
#include <vector>

#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/random.hpp"

namespace mammoth {
namespace {

// 64×64→128-bit products for unbiased range reduction (GCC/Clang extension).
__extension__ using Wide = unsigned __int128;

void skip(Xoshiro256pp& g, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) g();
}

// Elements [from, to) of one block, as values of the real type R.
template <class R>
void generate(Xoshiro256pp& g, R* out, std::int64_t from, std::int64_t to, const RandomSpec& spec) {
  switch (spec.dist) {
    case Distribution::Uniform: {
      const R low = static_cast<R>(spec.low), width = static_cast<R>(spec.high - spec.low);
      const bool unit = spec.low == 0.0 && spec.high == 1.0;
      auto put = [&](R u) { *out++ = unit ? u : low + width * u; };
      if constexpr (std::is_same_v<R, float>) {
        // 24 bits make a float32, so one 64-bit output serves two elements: 2p from the high
        // bits, 2p + 1 from bits 8..31 (xoshiro256++ has no weak low bits).
        skip(g, from / 2);
        std::int64_t i = from;
        if (i % 2 == 1 && i < to) {
          put(static_cast<float>((g() >> 8) & 0xffffff) * 0x1.0p-24f);
          ++i;
        }
        for (; i + 1 < to; i += 2) {
          const std::uint64_t x = g();
          put(static_cast<float>(x >> 40) * 0x1.0p-24f);
          put(static_cast<float>((x >> 8) & 0xffffff) * 0x1.0p-24f);
        }
        if (i < to) put(static_cast<float>(g() >> 40) * 0x1.0p-24f);
      } else {
        skip(g, from);
        for (std::int64_t i = from; i < to; ++i) put(static_cast<R>(g.uniform()));
      }
      return;
    }
    case Distribution::Normal: {
      // Box-Muller: two outputs per pair of normals, so a block can start mid-way.
      skip(g, from / 2 * 2);
      for (std::int64_t i = from / 2 * 2; i < to; i += 2) {
        const double u1 = 1.0 - g.uniform();  // (0, 1]: log is finite
        const double u2 = g.uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double z0 = r * std::cos(2.0 * std::numbers::pi * u2), z1 = r * std::sin(2.0 * std::numbers::pi * u2);
        if (i >= from) *out++ = static_cast<R>(spec.mean + spec.stddev * z0);
        if (i + 1 >= from && i + 1 < to) *out++ = static_cast<R>(spec.mean + spec.stddev * z1);
      }
      return;
    }
    case Distribution::Integers: {
      // One output per element (multiply-shift, bias below range / 2^64), so blocks skip cheaply.
      skip(g, from);
      const auto low = static_cast<std::int64_t>(std::floor(spec.low));
      const auto range = static_cast<std::uint64_t>(static_cast<std::int64_t>(std::ceil(spec.high)) - low);
      for (std::int64_t i = from; i < to; ++i) {
        const auto v = static_cast<std::uint64_t>((static_cast<Wide>(g()) * range) >> 64);
        *out++ = static_cast<R>(low + static_cast<std::int64_t>(v));
      }
      return;
    }
  }
}

void check_spec(DType dtype, const RandomSpec& spec) {
  const Kind kind = dtype.kind();
  if (spec.dist != Distribution::Integers && kind != Kind::Float && kind != Kind::Complex)
    throw TypeError("random: " + std::string(spec.dist == Distribution::Uniform ? "uniform" : "normal") +
                    " numbers need a float or complex dtype, not " + dtype.name() + " (use the integers distribution)");
  constexpr double kLimit = 0x1p62;  // int64 arithmetic on the bounds stays exact and defined
  if (spec.dist == Distribution::Integers && !(std::abs(spec.low) <= kLimit && std::abs(spec.high) <= kLimit))
    throw Error("random: integer bounds must lie within ±2^62");
  if (spec.dist == Distribution::Integers && !(std::ceil(spec.high) > std::floor(spec.low)))
    throw Error("random: integers need low < high (got [" + std::to_string(spec.low) + ", " +
                std::to_string(spec.high) + "))");
  if (spec.dist == Distribution::Uniform && !(spec.high > spec.low)) throw Error("random: uniform needs low < high");
}

// Below ~10 ms of work a parallel region costs more than it saves on a busy machine:
// libgomp's idle threads spin at the region's end, stealing the CPU from the others (the
// tour's row loop of 1e6-element rows: 2.5 s parallel, 0.45-0.9 s serial, at load 10).
constexpr std::int64_t kParallelBlocks = 64;

// Fills count reals of type R whose global sequence starts at `first`.
template <class R>
void fill_reals(R* dst, std::int64_t first, std::int64_t count, const RandomSpec& spec) {
  if (count <= 0) return;
  const std::int64_t b0 = first / kRandomBlock, b1 = (first + count - 1) / kRandomBlock;
#pragma omp parallel for schedule(static) if (b1 - b0 >= kParallelBlocks)
  for (std::int64_t b = b0; b <= b1; ++b) {
    const std::int64_t lo = std::max(first, b * kRandomBlock);
    const std::int64_t hi = std::min(first + count, (b + 1) * kRandomBlock);
    Xoshiro256pp g = Xoshiro256pp::stream(spec.seed, static_cast<std::uint64_t>(b));
    generate<R>(g, dst + (lo - first), lo - b * kRandomBlock, hi - b * kRandomBlock, spec);
  }
}

// Raw and .npy stores write disjoint boxes safely from several threads (pwrite), so each
// thread generates and writes its own blocks: no thread idles while another writes.
void fill_in_parallel(BlockStore& store, const RandomSpec& spec, std::size_t max_bytes, std::int64_t first) {
  const DType dtype = store.dtype();
  const std::size_t item = dtype.itemsize();
  const Shape& shape = store.shape();
  const std::size_t per_thread = std::max(max_bytes / static_cast<std::size_t>(omp_get_max_threads()), item);
  std::vector<Box> boxes;
  for_each_block(shape, item, per_thread, [&](const Box& box) { boxes.push_back(box); });
  std::exception_ptr failure;
#pragma omp parallel
  {
    std::vector<std::byte> buffer(per_thread / item * item);
#pragma omp for schedule(dynamic)
    for (std::size_t i = 0; i < boxes.size(); ++i) {
      try {
        fill_random(buffer.data(), dtype, first + linear_index(shape, boxes[i].offset), boxes[i].size(), spec);
        store.write(boxes[i], buffer.data(), dtype);
        store.release(boxes[i]);
      } catch (...) {
#pragma omp critical
        if (!failure) failure = std::current_exception();
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

Distribution RandomSpec::parse_distribution(const std::string& text) {
  if (text == "uniform") return Distribution::Uniform;
  if (text == "normal") return Distribution::Normal;
  if (text == "integers") return Distribution::Integers;
  throw Error("random: unknown distribution '" + text + "' (expected uniform, normal or integers)");
}

void fill_random(void* dst, DType dtype, std::int64_t first, std::int64_t count, const RandomSpec& spec) {
  check_spec(dtype, spec);
  const DType native = dtype.native();
  const bool complex = dtype.kind() == Kind::Complex;
  // Complex numbers are pairs of reals drawn from the real sequence at 2i and 2i + 1.
  const std::int64_t first_real = complex ? 2 * first : first, reals = complex ? 2 * count : count;
  switch (native.type()) {
    case ScalarType::Float16: {  // float32's sequence, rounded to nearest (numpy draws no float16)
      std::vector<float> wide(static_cast<std::size_t>(count));
      fill_reals(wide.data(), first, count, spec);
      convert(wide.data(), DType(ScalarType::Float32), dst, dtype, wide.size());
      return;
    }
    case ScalarType::Float32:
    case ScalarType::Complex64:
      fill_reals(static_cast<float*>(dst), first_real, reals, spec);
      break;
    case ScalarType::Float64:
    case ScalarType::Complex128:
      fill_reals(static_cast<double*>(dst), first_real, reals, spec);
      break;
    default:
      visit_scalar(native.type(), [&]<class T>(std::type_identity<T>) {
        if constexpr (std::is_same_v<T, bool>) {
          std::vector<std::uint8_t> bytes(static_cast<std::size_t>(count));
          fill_reals(bytes.data(), first, count, spec);
          auto* out = static_cast<bool*>(dst);
          for (std::int64_t i = 0; i < count; ++i) out[i] = bytes[static_cast<std::size_t>(i)] != 0;
        } else if constexpr (std::is_integral_v<T>) {
          fill_reals(static_cast<T*>(dst), first, count, spec);
        }
      });
  }
  if (!dtype.is_native()) byteswap(dst, static_cast<std::size_t>(count), dtype);
}

void fill_random(const AnyArray& array, const RandomSpec& spec, std::int64_t first) {
  if (!array.writable()) throw Error("random: the array is read-only (opened with mode 'r')");
  const DType dtype = array.dtype();
  const std::size_t item = dtype.itemsize();
  if (array.is_c_contiguous() && !(array.storage() && array.storage()->is_mapped())) {
    fill_random(array.data(), dtype, first, array.size(), spec);
    return;
  }
  // Strided views, and file mappings: threads faulting in fresh pages of one shared file
  // mapping contend in the kernel (measured up to 4x slower than one thread), so generate
  // in parallel into a buffer and copy in with one thread, as numpy does.
  constexpr std::int64_t kChunk = std::int64_t{1} << 20;
  std::vector<std::byte> buffer(static_cast<std::size_t>(std::min(array.size(), kChunk)) * item);
  const Shape& shape = array.shape();
  Shape index(shape.size(), 0);
  for (std::int64_t done = 0; done < array.size(); done += kChunk) {
    const std::int64_t n = std::min(kChunk, array.size() - done);
    fill_random(buffer.data(), dtype, first + done, n, spec);
    if (array.is_c_contiguous()) {
      std::memcpy(array.data() + done * static_cast<std::int64_t>(item), buffer.data(),
                  static_cast<std::size_t>(n) * item);
      continue;
    }
    for (std::int64_t k = 0; k < n; ++k) {  // scatter in C order, odometer over `index`
      std::int64_t offset = 0;
      for (std::size_t d = 0; d < shape.size(); ++d) offset += index[d] * array.strides()[d];
      std::memcpy(array.data() + offset * static_cast<std::int64_t>(item),
                  buffer.data() + k * static_cast<std::int64_t>(item), item);
      for (std::size_t d = shape.size(); d-- > 0;) {
        if (++index[d] < shape[d]) break;
        index[d] = 0;
      }
    }
  }
}

// Blocks of whole trailing axes (so each is one run of the C-order sequence), as many
// leading rows as `max_bytes` holds, rounded to whole chunks: an HDF5 block then covers
// whole chunks, which the store compresses in parallel and writes directly (a partial
// chunk is assembled in libhdf5's cache on one core). Empty when one row is too big.
Shape whole_row_blocks(const Shape& shape, std::size_t item, std::size_t max_bytes, const Shape& chunks) {
  if (shape.empty()) return {};
  const auto max_elements = static_cast<std::int64_t>(std::max<std::size_t>(max_bytes / item, 1));
  Shape block = ooc::block_shape(shape, max_elements, chunks);
  for (std::size_t k = 1; k < shape.size(); ++k)
    if (block[k] != shape[k]) return {};
  return block;
}

void fill_random(BlockStore& store, const RandomSpec& spec, std::size_t max_bytes, std::int64_t first) {
  const DType dtype = store.dtype();
  check_spec(dtype, spec);
  if (!store.writable()) throw Error(store.name() + ": opened read-only; cannot write random data");
  const std::size_t item = dtype.itemsize();
  const Shape& shape = store.shape();
  // Generated into a buffer and written as whole blocks: for a mapped store that is one
  // pwrite per block, cheaper than faulting every page of the mapping in.
  if (dynamic_cast<MappedStore*>(&store) != nullptr) {
    fill_in_parallel(store, spec, max_bytes, first);
    return;
  }
  // On the engine: a block is generated while the I/O thread writes the one before.
  const Shape block = whole_row_blocks(shape, item, max_bytes, store.chunk_shape());
  if (!block.empty()) {
    ooc::stream(ooc::BlockGrid(shape, block), {}, ooc::Output{&store, dtype, {}}, nullptr, [&](const ooc::Block& b) {
      fill_random(b.out, dtype, first + linear_index(shape, b.box.offset), b.box.size(), spec);
    });
    return;
  }
  std::vector<std::byte> buffer(std::max(max_bytes / item, std::size_t{1}) * item);
  for_each_block(shape, item, max_bytes, [&](const Box& box) {
    fill_random(buffer.data(), dtype, first + linear_index(shape, box.offset), box.size(), spec);
    store.write(box, buffer.data(), dtype);
    store.release(box);
  });
}

}  // namespace mammoth
