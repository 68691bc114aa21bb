// gzip (+shuffle) chunks read and written past libhdf5's filter pipeline: the raw chunks
// come from H5Dread_chunk under the library lock, then inflate (libdeflate), unshuffle and
// land in the caller's box on all cores; writes of whole chunks gather, shuffle and deflate
// (libdeflate, the dataset's level) on all cores, then H5Dwrite_chunk stores them.
// libhdf5 runs zlib on the one calling thread.
#include <libdeflate.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "../deflate.hpp"
#include "../ooc/thread_pool.hpp"
#include "call.hpp"
#include "mammoth/allocation.hpp"
#include "mammoth/h5/dataset.hpp"
#include "pipeline.hpp"

namespace mammoth::h5 {

namespace {

// A shuffled chunk read as another type is unshuffled into a tile this size, then converted.
constexpr std::size_t kTileBytes = 4096;

// Chunks in flight at once, per thread: raw and inflated copies of each are held until the
// batch lands. Two chunks a thread up to this size, one above it, so every thread has a
// chunk whatever its size (a batch of 8 MiB had left one of two cores idle on 4 MB chunks):
// the batch is memory the engine charges to the budget (working_bytes()).
constexpr std::size_t kBatchBytesPerThread = std::size_t{4} << 20;

// A buffer reused for every chunk of one read: grown, never zero-filled (allocation.hpp).
struct Scratch {
  HeapBuffer<std::byte> data;
  std::size_t capacity = 0;
  std::byte* get(std::size_t bytes) {
    if (bytes > capacity) {
      data = allocate_buffer<std::byte>(bytes);
      capacity = bytes;
    }
    return data.get();
  }
};

struct RawChunk {
  std::vector<hsize_t> origin;
  unsigned mask = 0;  // bit i set: filter i of the pipeline was skipped for this chunk
  std::size_t size = 0;
  Scratch bytes;
};

struct Inflater {
  Inflater() : d(libdeflate_alloc_decompressor()) {
    if (!d) throw std::bad_alloc();
  }
  ~Inflater() { libdeflate_free_decompressor(d); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  libdeflate_decompressor* d;
};

// What one compute thread keeps from batch to batch.
struct Worker {
  Inflater inflater;
  Scratch inflated, plain;
};

// HDF5's shuffle: byte b of element i of a chunk of n elements sits at b * n + i; a tail of
// bytes that is no whole element stays where it is. Elements [first, first + count) land in
// `out`; S bytes each, composed in a register on little-endian machines so the loop
// vectorises (the byte-by-byte scatter ran at a fraction of the inflate's speed).
template <std::size_t S>
void unshuffle_fixed(const std::byte* in, std::size_t n, std::size_t first, std::size_t count, std::byte* out) {
  using U = std::conditional_t<S == 2, std::uint16_t, std::conditional_t<S == 4, std::uint32_t, std::uint64_t>>;
  const auto* p = reinterpret_cast<const unsigned char*>(in) + first;
  for (std::size_t i = 0; i < count; ++i) {
    U v = 0;
    for (std::size_t b = 0; b < S; ++b) v |= static_cast<U>(static_cast<U>(p[b * n + i]) << (8 * b));
    std::memcpy(out + i * S, &v, S);
  }
}

void unshuffle(const std::byte* in, std::size_t n, std::size_t size, std::size_t first, std::size_t count,
               std::byte* out) {
  if constexpr (std::endian::native == std::endian::little) {
    if (size == 2) return unshuffle_fixed<2>(in, n, first, count, out);
    if (size == 4) return unshuffle_fixed<4>(in, n, first, count, out);
    if (size == 8) return unshuffle_fixed<8>(in, n, first, count, out);
  }
  for (std::size_t b = 0; b < size; ++b) {
    const std::byte* plane = in + b * n + first;
    for (std::size_t i = 0; i < count; ++i) out[i * size + b] = plane[i];
  }
}

struct WriteWorker {
  explicit WriteWorker(int level) : compressor(level) {}
  mammoth::detail::DeflateCompressor compressor;
  Scratch plain, shuffled;
};

}  // namespace

class Dataset::DirectBuffers {
 public:
  std::vector<RawChunk> raw;                          // reads: a batch of stored chunks
  std::vector<std::unique_ptr<Worker>> readers;       // reads: one a thread
  std::vector<Scratch> packed;                        // writes: a batch of deflated chunks
  std::vector<std::size_t> sizes;                     // writes: their sizes
  std::vector<std::unique_ptr<WriteWorker>> writers;  // writes: one a thread
};

// One set of buffers kept; a second caller at the same time gets a set of its own.
class Dataset::BufferPool {
 public:
  std::unique_ptr<DirectBuffers> take() {
    std::lock_guard lock(mutex_);
    return kept_ ? std::move(kept_) : std::make_unique<DirectBuffers>();
  }
  void give(std::unique_ptr<DirectBuffers> buffers) {
    std::lock_guard lock(mutex_);
    if (!kept_) kept_ = std::move(buffers);
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<DirectBuffers> kept_;
};

std::shared_ptr<Dataset::BufferPool> Dataset::new_buffer_pool() { return std::make_shared<BufferPool>(); }

namespace {

// A set of buffers taken from the pool for one call, given back at its end.
template <class Pool, class Buffers>
struct Lease {
  Pool& pool;
  std::unique_ptr<Buffers> buffers = pool.take();
  ~Lease() { pool.give(std::move(buffers)); }
  Buffers* operator->() const { return buffers.get(); }
};

// The origins of the chunks `box` touches, in C order of the chunk grid.
std::vector<std::vector<hsize_t>> chunk_origins(const Box& box, const Shape& chunks) {
  std::vector<std::vector<hsize_t>> origins(1, std::vector<hsize_t>());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    std::vector<std::vector<hsize_t>> next;
    const std::int64_t first = box.offset[i] / chunks[i], last = (box.offset[i] + box.count[i] - 1) / chunks[i];
    for (const auto& o : origins)
      for (std::int64_t k = first; k <= last; ++k) {
        next.push_back(o);
        next.back().push_back(static_cast<hsize_t>(k * chunks[i]));
      }
    origins = std::move(next);
  }
  return origins;
}

int direct_threads() { return static_cast<int>(std::max(1U, std::thread::hardware_concurrency())); }

// Chunks in one batch: raw (or deflated) copies of each are held until the batch is done.
std::size_t direct_batch(std::size_t chunk_bytes, int threads) {
  return static_cast<std::size_t>(threads) *
         std::clamp<std::size_t>(kBatchBytesPerThread / std::max<std::size_t>(chunk_bytes, 1), 1, 2);
}

// Elements [0, count) of `in` (S bytes each) shuffled into a chunk of n elements at
// element `first`: byte b of element i goes to b * n + first + i.
template <std::size_t S>
void shuffle_run_fixed(const std::byte* in, std::size_t count, std::size_t n, std::size_t first, std::byte* out) {
  using U = std::conditional_t<S == 2, std::uint16_t, std::conditional_t<S == 4, std::uint32_t, std::uint64_t>>;
  auto* q = reinterpret_cast<unsigned char*>(out) + first;
  for (std::size_t i = 0; i < count; ++i) {
    U v;
    std::memcpy(&v, in + i * S, S);
    for (std::size_t b = 0; b < S; ++b) q[b * n + i] = static_cast<unsigned char>(v >> (8 * b));
  }
}

void shuffle_run(const std::byte* in, std::size_t count, std::size_t size, std::size_t n, std::size_t first,
                 std::byte* out) {
  if constexpr (std::endian::native == std::endian::little) {
    if (size == 2) return shuffle_run_fixed<2>(in, count, n, first, out);
    if (size == 4) return shuffle_run_fixed<4>(in, count, n, first, out);
    if (size == 8) return shuffle_run_fixed<8>(in, count, n, first, out);
  }
  for (std::size_t b = 0; b < size; ++b)
    for (std::size_t i = 0; i < count; ++i) out[b * n + first + i] = in[i * size + b];
}

// C-order strides, in elements.
std::vector<std::int64_t> strides_of(const Shape& shape) {
  std::vector<std::int64_t> s(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

}  // namespace

bool Dataset::gzip_pipeline() const {
  if (chunks_.empty() || !dtype_ || bitfield_ || dtype_->type() == ScalarType::Bool) return false;
  const std::vector<Filter> pipeline = properties().pipeline;
  const bool gzip = pipeline.size() == 1 && pipeline[0].id == kFilterGzip;
  const bool shuffle_gzip = pipeline.size() == 2 && pipeline[0].id == kFilterShuffle && pipeline[1].id == kFilterGzip;
  if (!gzip && !shuffle_gzip) return false;
  const Filter& deflate = pipeline.back();
  gzip_level_ = deflate.values.empty() ? 6 : static_cast<int>(std::clamp(deflate.values[0], 1U, 9U));
  shuffle_size_ = 0;
  if (shuffle_gzip) {
    // The shuffle's element size, as libhdf5 set it from the stored type.
    shuffle_size_ = pipeline[0].values.empty() ? dtype_->itemsize() : pipeline[0].values[0];
    if (shuffle_size_ == 0) return false;
  }
  return true;
}

bool Dataset::direct_chunk_reads() const {
  if (direct_) return *direct_;
  auto guard = detail::lock();
  // Read-only files only: a writer's chunk may sit dirty in libhdf5's cache, and flushing
  // it (H5Dread_chunk does) may change the size H5Dget_chunk_storage_size just gave.
  direct_ = !writable_ && gzip_pipeline();
  return *direct_;
}

bool Dataset::direct_chunk_writes() const {
  if (direct_write_) return *direct_write_;
  auto guard = detail::lock();
  // The shuffle of whole elements only (what libhdf5 sets from a numeric type).
  direct_write_ = writable_ && gzip_pipeline() && (shuffle_size_ == 0 || shuffle_size_ == dtype_->itemsize());
  return *direct_write_;
}

std::size_t Dataset::direct_working_bytes() const {
  const std::size_t chunk_bytes = this->chunk_bytes();
  const int threads = direct_threads();
  // A batch of stored (reads) or deflated (writes, up to the compress bound) chunks, and
  // each thread's whole-chunk scratch: the inflated chunk (reads; a second for a shuffle
  // whose planes are not the elements), the gathered and the shuffled chunk (writes).
  const std::size_t stored = libdeflate_zlib_compress_bound(nullptr, chunk_bytes);
  const std::size_t per_thread = writable_ || (shuffle_size_ && shuffle_size_ != dtype_->itemsize()) ? 2 : 1;
  return direct_batch(chunk_bytes, threads) * stored + per_thread * static_cast<std::size_t>(threads) * chunk_bytes;
}

bool Dataset::read_direct(const Box& box, void* dst, DType type) const {
  if (type.type() == ScalarType::Float16 || !direct_chunk_reads()) return false;
  // Whole chunks along axis 0 only: this path keeps no chunk cache, so a box that cuts a
  // chunk's rows (h5py's row loop) would inflate that chunk again for every read;
  // libhdf5's sized cache answers those (H5Selection.SizedChunkCacheReadsEachBigChunkOnce).
  const std::int64_t end = box.offset[0] + box.count[0];
  if (box.offset[0] % chunks_[0] != 0 || (end % chunks_[0] != 0 && end != shape_[0])) return false;
  const std::size_t nd = shape_.size(), item = dtype_->itemsize();
  const std::size_t chunk_bytes = this->chunk_bytes();
  const std::vector<std::vector<hsize_t>> origins = chunk_origins(box, chunks_);
  const std::vector<std::int64_t> chunk_strides = strides_of(chunks_), box_strides = strides_of(box.count);
  const int threads = direct_threads();
  const std::size_t batch = direct_batch(chunk_bytes, threads);
  const std::string object = spec();
  const unsigned shuffle_bit = shuffle_size_ ? 1U : 0U, gzip_bit = shuffle_size_ ? 2U : 1U;
  std::error_code size_error;
  const auto file_bytes = static_cast<hsize_t>(std::filesystem::file_size(file_, size_error));
  if (size_error) return false;  // libhdf5's own path reports what is wrong

  const bool same_type = type == *dtype_;
  const std::size_t chunk_elements = chunk_bytes / item;
  const Lease<BufferPool, DirectBuffers> kept{*buffers_};
  std::vector<RawChunk>& raw = kept->raw;
  raw.resize(std::max(raw.size(), std::min(batch, origins.size())));
  std::vector<std::unique_ptr<Worker>>& workers = kept->readers;
  workers.resize(std::max(workers.size(), static_cast<std::size_t>(threads)));
  // A whole chunk's scratch before any chunk is read: a chunk too big for memory is then
  // refused here, whatever else the box holds (an unwritten chunk sends it to libhdf5,
  // which would allocate the chunk as well, and faults on some hostile files).
  if (!workers[0]) workers[0] = std::make_unique<Worker>();
  workers[0]->inflated.get(chunk_bytes);
  for (std::size_t start = 0; start < origins.size(); start += batch) {
    const std::size_t count = std::min(batch, origins.size() - start);
    {
      auto guard = detail::lock();
      for (std::size_t k = 0; k < count; ++k) {
        raw[k].origin = origins[start + k];
        hsize_t nbytes = 0;
        // An unwritten chunk reads as the fill value: libhdf5 knows it, so it answers.
        if (H5Dget_chunk_storage_size(id_.get(), raw[k].origin.data(), &nbytes) < 0 || nbytes == 0) {
          H5Eclear2(H5E_DEFAULT);
          return false;
        }
        // A corrupt chunk index can claim any size; a chunk never holds more than the file.
        if (nbytes > file_bytes)
          throw FormatError(object + ": a chunk claims " + std::to_string(nbytes) + " stored bytes, but the file has " +
                            std::to_string(file_bytes) + " (corrupt chunk index)");
        raw[k].size = static_cast<std::size_t>(nbytes);
        uint32_t mask = 0;
        detail::call("read raw chunk", object, H5Dread_chunk, id_.get(), H5P_DEFAULT, raw[k].origin.data(), &mask,
                     static_cast<void*>(raw[k].bytes.get(raw[k].size)));
        raw[k].mask = mask;
      }
    }
    ooc::detail::parallel(std::min<int>(threads, static_cast<int>(count)), [&](int t, int nt) {
      auto& worker = workers[static_cast<std::size_t>(t)];
      if (!worker) worker = std::make_unique<Worker>();
      for (std::size_t k = static_cast<std::size_t>(t); k < count; k += static_cast<std::size_t>(nt)) {
        const RawChunk& c = raw[k];
        const std::byte* data = c.bytes.data.get();
        std::size_t size = c.size;
        if (!(c.mask & gzip_bit)) {
          std::size_t actual = 0;
          std::byte* inflated = worker->inflated.get(chunk_bytes);
          if (libdeflate_zlib_decompress(worker->inflater.d, data, size, inflated, chunk_bytes, &actual) !=
                  LIBDEFLATE_SUCCESS ||
              actual != chunk_bytes)
            throw FormatError(object + ": corrupt gzip chunk at " +
                              shape_string(Shape(c.origin.begin(), c.origin.end())) +
                              " (it does not inflate to the chunk's " + std::to_string(chunk_bytes) + " bytes)");
          data = inflated;
          size = actual;
        }
        if (size != chunk_bytes)
          throw FormatError(object + ": chunk at " + shape_string(Shape(c.origin.begin(), c.origin.end())) + " holds " +
                            std::to_string(size) + " bytes, not " + std::to_string(chunk_bytes));
        bool shuffled = shuffle_size_ && !(c.mask & shuffle_bit);
        if (shuffled && shuffle_size_ != item) {  // planes that are not the elements': the whole chunk first
          std::byte* whole = worker->plain.get(chunk_bytes);
          const std::size_t n = chunk_bytes / shuffle_size_;
          unshuffle(data, n, shuffle_size_, 0, n, whole);
          std::memcpy(whole + n * shuffle_size_, data + n * shuffle_size_, chunk_bytes - n * shuffle_size_);
          data = whole;
          shuffled = false;
        }
        // Unshuffled run by run straight into the box when no conversion follows; else a
        // tile at a time through `tile`, converted from there (no whole-chunk copy).
        std::byte tile[kTileBytes];
        // The part of the chunk inside the box, one run along the last axis at a time.
        Shape lo(nd), hi(nd);
        for (std::size_t i = 0; i < nd; ++i) {
          lo[i] = std::max<std::int64_t>(box.offset[i], static_cast<std::int64_t>(c.origin[i]));
          hi[i] =
              std::min<std::int64_t>(box.offset[i] + box.count[i], static_cast<std::int64_t>(c.origin[i]) + chunks_[i]);
        }
        const auto run = static_cast<std::size_t>(hi[nd - 1] - lo[nd - 1]);
        Shape at = lo;
        for (;;) {
          std::int64_t from = 0, to = 0;
          for (std::size_t i = 0; i < nd; ++i) {
            from += (at[i] - static_cast<std::int64_t>(c.origin[i])) * chunk_strides[i];
            to += (at[i] - box.offset[i]) * box_strides[i];
          }
          std::byte* target = static_cast<std::byte*>(dst) + static_cast<std::size_t>(to) * type.itemsize();
          const auto first = static_cast<std::size_t>(from);
          if (shuffled && same_type) {
            unshuffle(data, chunk_elements, shuffle_size_, first, run, target);
          } else if (shuffled) {
            const std::size_t per_tile = kTileBytes / item;
            for (std::size_t done = 0; done < run; done += per_tile) {
              const std::size_t n = std::min(per_tile, run - done);
              unshuffle(data, chunk_elements, shuffle_size_, first + done, n, tile);
              convert(tile, *dtype_, target + done * type.itemsize(), type, n);
            }
          } else {
            convert(data + first * item, *dtype_, target, type, run);
          }
          std::size_t axis = nd - 1;
          while (axis-- > 0 && ++at[axis] == hi[axis]) at[axis] = lo[axis];
          if (axis == static_cast<std::size_t>(-1)) break;
        }
      }
    });
  }
  return true;
}

bool Dataset::write_direct(const Box& box, const void* src, DType type) const {
  if (!dtype_ || type.type() != dtype_->type() || !direct_chunk_writes()) return false;
  const std::size_t nd = shape_.size(), item = dtype_->itemsize();
  // Whole chunks only (a chunk at the dataset's edge ends with it): a part of a chunk
  // would need the rest of it from the file.
  for (std::size_t i = 0; i < nd; ++i) {
    const std::int64_t end = box.offset[i] + box.count[i];
    if (box.offset[i] % chunks_[i] != 0 || (end % chunks_[i] != 0 && end != shape_[i])) return false;
  }
  const std::size_t chunk_bytes = this->chunk_bytes();
  const std::size_t chunk_elements = chunk_bytes / item;
  const std::vector<std::vector<hsize_t>> origins = chunk_origins(box, chunks_);
  const std::vector<std::int64_t> chunk_strides = strides_of(chunks_), box_strides = strides_of(box.count);
  const int threads = direct_threads();
  const std::size_t batch = direct_batch(chunk_bytes, threads);
  const std::string object = spec();
  const std::size_t bound = libdeflate_zlib_compress_bound(nullptr, chunk_bytes);
  const Lease<BufferPool, DirectBuffers> kept{*buffers_};
  std::vector<Scratch>& packed = kept->packed;
  packed.resize(std::max(packed.size(), std::min(batch, origins.size())));
  std::vector<std::size_t>& sizes = kept->sizes;
  sizes.resize(packed.size());
  std::vector<std::unique_ptr<WriteWorker>>& workers = kept->writers;
  workers.resize(std::max(workers.size(), static_cast<std::size_t>(threads)));
  for (std::size_t start = 0; start < origins.size(); start += batch) {
    const std::size_t count = std::min(batch, origins.size() - start);
    ooc::detail::parallel(std::min<int>(threads, static_cast<int>(count)), [&](int t, int nt) {
      auto& worker = workers[static_cast<std::size_t>(t)];
      if (!worker) worker = std::make_unique<WriteWorker>(gzip_level_);
      for (std::size_t k = static_cast<std::size_t>(t); k < count; k += static_cast<std::size_t>(nt)) {
        const std::vector<hsize_t>& origin = origins[start + k];
        // Shuffled while gathered (no conversion: same scalar type in the same byte order);
        // else converted into `plain` first and shuffled from there.
        const bool fused = shuffle_size_ && type == *dtype_;
        std::byte* plain = fused ? worker->shuffled.get(chunk_bytes) : worker->plain.get(chunk_bytes);
        // The part of the chunk inside the box, one run along the last axis at a time; a
        // chunk past the dataset's edge is padded with zeros (what h5py's default fill leaves).
        Shape lo(nd), hi(nd);
        bool edge = false;
        for (std::size_t i = 0; i < nd; ++i) {
          lo[i] = static_cast<std::int64_t>(origin[i]);
          hi[i] = std::min<std::int64_t>(box.offset[i] + box.count[i], lo[i] + chunks_[i]);
          edge = edge || hi[i] - lo[i] != chunks_[i];
        }
        if (edge) std::memset(plain, 0, chunk_bytes);
        const auto run = static_cast<std::size_t>(hi[nd - 1] - lo[nd - 1]);
        Shape at = lo;
        for (;;) {
          std::int64_t to = 0, from = 0;
          for (std::size_t i = 0; i < nd; ++i) {
            to += (at[i] - lo[i]) * chunk_strides[i];
            from += (at[i] - box.offset[i]) * box_strides[i];
          }
          const std::byte* in = static_cast<const std::byte*>(src) + static_cast<std::size_t>(from) * type.itemsize();
          if (fused)
            shuffle_run(in, run, item, chunk_elements, static_cast<std::size_t>(to), plain);
          else
            convert(in, type, plain + static_cast<std::size_t>(to) * item, *dtype_, run);
          std::size_t axis = nd - 1;
          while (axis-- > 0 && ++at[axis] == hi[axis]) at[axis] = lo[axis];
          if (axis == static_cast<std::size_t>(-1)) break;
        }
        const std::byte* data = plain;
        if (shuffle_size_ && !fused) {
          std::byte* shuffled = worker->shuffled.get(chunk_bytes);
          shuffle_run(plain, chunk_elements, item, chunk_elements, 0, shuffled);
          data = shuffled;
        }
        sizes[k] = libdeflate_zlib_compress(worker->compressor.get(), data, chunk_bytes, packed[k].get(bound), bound);
        if (sizes[k] == 0) throw Error(object + ": deflating the chunk at " + shape_string(lo) + " failed");
      }
    });
    auto guard = detail::lock();
    for (std::size_t k = 0; k < count; ++k)
      detail::call("write raw chunk", object, H5Dwrite_chunk, id_.get(), H5P_DEFAULT, uint32_t{0},
                   origins[start + k].data(), sizes[k], static_cast<const void*>(packed[k].data.get()));
  }
  return true;
}

}  // namespace mammoth::h5
