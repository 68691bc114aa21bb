// One block read/write interface over every storage back end — in memory, raw and
// .npy memory maps, HDF5 datasets — so out-of-core algorithms are written once.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/dtype.hpp"
#include "mammoth/layout.hpp"
#include "mammoth/mode.hpp"
#include "mammoth/path.hpp"

namespace mammoth {

// A rectangular selection: `count[i]` elements from `offset[i]` on each axis.
struct Box {
  Shape offset;
  Shape count;

  std::int64_t size() const { return element_count(count); }
  static Box whole(const Shape& shape) { return Box{Shape(shape.size(), 0), shape}; }
  // Rows [begin, end) of an array of `shape` (all of every other axis).
  static Box rows(const Shape& shape, std::int64_t begin, std::int64_t end);
  friend bool operator==(const Box&, const Box&) = default;
};

// Throws ShapeError naming `context` unless `box` lies inside `shape`.
void check_box(const Box& box, const Shape& shape, const std::string& context);

class BlockStore {
 public:
  virtual ~BlockStore() = default;

  // For messages: "data.npy", "file.h5:/group/x".
  virtual std::string name() const = 0;
  // Element type as stored (possibly non-native byte order).
  virtual DType dtype() const = 0;
  virtual const Shape& shape() const = 0;
  // The natural unit of I/O (HDF5 chunk shape); empty when any box is as cheap as any other.
  virtual Shape chunk_shape() const { return {}; }
  virtual bool writable() const = 0;

  // Reads `box` into `dst`, C-contiguous, converting elements to `dst_type`.
  virtual void read(const Box& box, void* dst, DType dst_type) = 0;
  // Writes `src` (C-contiguous, elements of `src_type`) into `box`.
  virtual void write(const Box& box, const void* src, DType src_type) = 0;

  // The whole array as a zero-copy view, when its bytes are mapped in memory.
  virtual std::optional<AnyArray> mapped() { return std::nullopt; }
  // `box` alone as a zero-copy C-ordered view in a file mapping (FileMap::of its storage),
  // when the store holds exactly that box as one run: an unfiltered HDF5 chunk. nullopt
  // otherwise (then read() it). Valid while the store is open.
  virtual std::optional<AnyArray> mapped(const Box&) { return std::nullopt; }
  // The engine is about to use `box` in place (from mapped() or mapped(box)), no read()
  // call following (a distributed share checks here whether another rank failed).
  virtual void reading_in_place(const Box&) {}
  // The caller is done with `box` (mapped back ends drop its pages, so resident memory
  // stays bounded). There is no read-ahead hint: see mapping.hpp on MADV_WILLNEED.
  virtual void release(const Box&) {}
  virtual void flush() {}
  // Memory the back end itself holds between calls (HDF5's chunk cache).
  virtual std::size_t cache_bytes() const { return 0; }
  // Memory the back end holds at most while it reads or writes a block, its cache
  // included (HDF5's filter buffers, the parallel gzip path's batch of chunks): what an
  // algorithm counts against its memory budget besides its own blocks.
  virtual std::size_t working_bytes() const { return cache_bytes(); }
  // The same when every block read or written is a whole number of chunk_shape()'s chunks:
  // a gzip dataset then needs no chunk cache (its chunks go past libhdf5's pipeline whole).
  virtual std::size_t whole_chunk_working_bytes() const { return working_bytes(); }
  // Format-specific facts for `mammoth info` ("format": "npy 1.0", "chunks": "(100, 100)"…).
  virtual std::vector<std::pair<std::string, std::string>> properties() const { return {}; }
};

// A store over an array already in memory or mapped (heap, memmap, .npy).
class ArrayStore : public BlockStore {
 public:
  ArrayStore(AnyArray array, std::string name);
  std::string name() const override { return name_; }
  DType dtype() const override { return array_.dtype(); }
  const Shape& shape() const override { return array_.shape(); }
  bool writable() const override { return array_.writable(); }
  void read(const Box& box, void* dst, DType dst_type) override;
  void write(const Box& box, const void* src, DType src_type) override;
  std::optional<AnyArray> mapped() override { return array_; }
  const AnyArray& array() const { return array_; }

 private:
  AnyArray array_;
  std::string name_;
};

// How to read a raw (headerless) file: numpy.memmap's dtype, shape, offset, order.
struct RawLayout {
  DType dtype;
  Shape shape;  // empty: one axis, as many items as the file holds
  std::int64_t offset = 0;
  Order order = Order::C;
};

// What a new array on disk looks like.
struct CreateOptions {
  DType dtype;
  Shape shape;
  Order order = Order::C;
  Shape chunks;             // HDF5: chunk shape; empty = contiguous unless a filter needs chunks
  int gzip_level = -1;      // HDF5: -1 = no compression
  std::string compression;  // HDF5: a filter by name ("lzf", "zstd=3"…, h5/filters.hpp); wins over gzip_level
  bool shuffle = false;     // HDF5
  bool preallocate = true;  // memmap/.npy: allocate the blocks now (a full disk fails here)
};

// Opens an existing array: `.npy`, `FILE.h5:/path`, or a raw file when `raw` is given.
std::unique_ptr<BlockStore> open_store(const std::string& spec, Mode mode = Mode::Read,
                                       const std::optional<RawLayout>& raw = std::nullopt);
// Creates (or truncates) an array on disk; the kind comes from the spec as in open_store
// (a spec that is neither `.npy` nor HDF5 makes a raw file).
std::unique_ptr<BlockStore> create_store(const std::string& spec, const CreateOptions& options);

}  // namespace mammoth
