// An HDF5 dataset: shape, dtype, chunks and filters, hyperslab and point I/O straight
// into caller buffers, resizing, and a zero-copy view of contiguous data.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/h5/attribute.hpp"
#include "mammoth/h5/filters.hpp"
#include "mammoth/h5/handle.hpp"
#include "mammoth/h5/types.hpp"
#include "mammoth/store.hpp"

namespace mammoth {
class FileMap;
}

namespace mammoth::h5 {

constexpr std::int64_t kUnlimited = -1;

struct DatasetOptions {
  Shape chunks;              // empty: contiguous, unless a filter or maxshape needs chunks (then h5py's guess)
  bool auto_chunks = false;  // chunk with h5py's guess even without filters
  int gzip_level = -1;       // 0…9; -1 = no compression
  // A compression filter by name, as `--compression` takes it: "lzf", "zstd=3",
  // "blosc=zstd:5"… (see h5/filters.hpp); overrides gzip_level when not empty.
  std::string compression;
  bool shuffle = false;
  bool fletcher32 = false;
  std::optional<double> fill_value;  // converted to the dataset's dtype
  Shape maxshape;                    // empty = shape; kUnlimited on an axis = unlimited
  std::optional<ChunkCache> cache;   // default: cache_for_chunks()
};

enum class StorageLayout : std::uint8_t { Compact, Contiguous, Chunked, Virtual };

struct DatasetProperties {
  StorageLayout layout = StorageLayout::Contiguous;
  Shape chunks;                         // empty unless chunked
  Shape maxshape;                       // kUnlimited for unlimited axes
  std::vector<std::string> filters;     // "shuffle", "gzip(4)", "lzf", "blosc(lz4, 5, shuffle)"… (filter_text)
  std::vector<Filter> pipeline;         // the same filters: IDs and client data
  std::optional<double> fill_value;     // user-defined fill value, if any
  std::uint64_t storage_bytes = 0;      // bytes allocated in the file
  std::optional<std::uint64_t> offset;  // file offset of contiguous data once allocated
};

class Dataset {
 public:
  Dataset(Handle id, std::string file, std::string path, bool writable);

  const std::string& name() const { return path_; }  // "/group/x"
  const std::string& file_name() const { return file_; }
  std::string spec() const { return file_ + ":" + path_; }  // for messages
  // The stored element type; TypeError naming the dataset when mammoth cannot hold it.
  DType dtype() const;
  bool supported() const { return dtype_.has_value(); }
  std::string type_description() const { return type_text_; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  std::int64_t size() const { return element_count(shape_); }
  const Shape& chunks() const { return chunks_; }  // empty when not chunked
  // Bytes of one chunk in the stored type (a byte an element for a type mammoth cannot
  // hold); 0 when not chunked.
  std::size_t chunk_bytes() const;
  bool writable() const { return writable_; }
  DatasetProperties properties() const;
  // True when reads inflate this dataset's gzip (+shuffle) chunks on all cores, past
  // libhdf5's one-threaded pipeline (raw chunks through H5Dread_chunk, libdeflate):
  // in a file opened read-only.
  bool direct_chunk_reads() const;
  // True when writes of whole gzip (+shuffle) chunks deflate them on all cores (libdeflate,
  // the dataset's gzip level) and store them with H5Dwrite_chunk: in a writable file.
  bool direct_chunk_writes() const;
  Attributes attrs() const { return Attributes(id_.get(), spec()); }
  Hid id() const { return id_.get(); }

  // Hyperslab I/O: `box` (optionally every stride[i]-th element, count[i] of them)
  // to/from a C-contiguous buffer of `type` elements, with no intermediate copy when
  // `type` is the stored type in any byte order.
  void read(const Box& box, void* dst, DType type, const Shape& stride = {}) const;
  void write(const Box& box, const void* src, DType type, const Shape& stride = {});
  template <Scalar T>
  void read(const Box& box, std::span<T> dst) const {
    check_span(box, dst.size());
    read(box, dst.data(), dtype_of<T>());
  }
  template <Scalar T>
  void write(const Box& box, std::span<const T> src) {
    check_span(box, src.size());
    write(box, src.data(), dtype_of<T>());
  }

  // The whole dataset (a new array in the stored dtype, native order) / from an array of its shape.
  AnyArray read_all() const;
  template <Scalar T>
  NdArray<T> read_all_as() const {
    NdArray<T> out = NdArray<T>::empty(shape_);
    read(Box::whole(shape_), out.data(), dtype_of<T>());
    return out;
  }
  void write_all(const AnyArray& array);

  // Fancy selections, answered in the caller's order but read sorted and merged by
  // chunk (contiguous data opened read-only is gathered from the file mapping).
  // Rows: whole index-0 slices; `dst` holds rows.size() × row elements.
  void read_rows(std::span<const std::int64_t> rows, void* dst, DType type) const;
  // Points: `points` holds n × ndim coordinates; `dst` n elements.
  void read_points(std::span<const std::int64_t> points, void* dst, DType type) const;

  void resize(const Shape& shape);
  // Reopens the dataset with this cache. libhdf5 keeps one cache per open dataset, so
  // it takes effect only when no other handle of the same dataset is open.
  void set_cache(const ChunkCache& cache);
  ChunkCache cache() const { return cache_; }
  // Memory a read or write of this dataset may hold at once besides the caller's buffer:
  // the chunk cache, plus libhdf5's filter buffers or the direct chunk path's batch.
  std::size_t working_bytes() const;
  // The same when every box is a whole number of chunks: the direct gzip path's buffers
  // alone, no cache (it never fills it). Else working_bytes().
  std::size_t whole_chunk_working_bytes() const;

  // Contiguous, unfiltered, allocated data in a file opened read-only: a read-only
  // view mapped at the data's file offset (no copy). nullopt otherwise.
  std::optional<AnyArray> mapped() const;
  // One whole chunk, `box`, of unfiltered chunked data in a file opened read-only, as a
  // read-only view at its address in a mapping of the file (no copy); nullopt for any other
  // box, an unwritten chunk, or filtered data. Release its pages through FileMap::of.
  std::optional<AnyArray> chunk_view(const Box& box) const;
  // Done with `box` of the mapped view: its pages leave this process's resident set
  // (they stay in the page cache), so a pass over a large file keeps memory flat.
  void release(const Box& box) const;

 private:
  void check_span(const Box& box, std::size_t n) const;
  // The bytes of the mapping the rows of `box` span, or {0, 0} when not mapped.
  std::pair<std::size_t, std::size_t> mapped_rows(const Box& box) const;
  void refresh();
  void check_box_stride(const Box& box, const Shape& stride) const;
  void transfer(const Box& box, void* buffer, DType type, const Shape& stride, bool reading) const;
  // Reads `box` through direct_chunk_reads(); false (nothing promised in `dst`) when
  // libhdf5 must answer instead (an unwritten chunk, float16 wanted).
  bool read_direct(const Box& box, void* dst, DType type) const;
  // Writes `box` through direct_chunk_writes(); false (nothing written) when libhdf5 must
  // (a box that cuts chunks, a conversion between scalar types).
  bool write_direct(const Box& box, const void* src, DType type) const;
  // The most read_direct/write_direct hold at once: their batch of chunks and two per thread.
  std::size_t direct_working_bytes() const;
  // A pipeline of gzip or shuffle + gzip alone: sets shuffle_size_ and gzip_level_.
  bool gzip_pipeline() const;

  Handle id_;
  std::string file_;
  std::string path_;
  bool writable_;
  std::optional<DType> dtype_;
  std::string type_text_;
  bool bitfield_ = false;                     // stored as a bitfield (PyTables' bool)
  mutable std::optional<bool> direct_;        // direct_chunk_reads(), computed once
  mutable std::optional<bool> direct_write_;  // direct_chunk_writes(), computed once
  mutable std::size_t shuffle_size_ = 0;      // with direct_: the shuffle's element size, 0 without shuffle
  mutable int gzip_level_ = 0;                // with direct_ or direct_write_
  std::string type_error_;
  Shape shape_;
  Shape chunks_;
  ChunkCache cache_;
  mutable std::optional<std::optional<AnyArray>> mapping_;  // computed once
  mutable std::shared_ptr<Storage> file_mapping_;           // whole file, for chunked gathers
  // The direct chunk paths' batch and per-thread buffers (direct_chunks.cpp), kept from
  // call to call while the dataset is open: fresh ones each block had cost a page fault a
  // page (a fifth of a gzip read's time). At most working_bytes() of them.
  class DirectBuffers;
  class BufferPool;
  std::shared_ptr<BufferPool> buffers_;
  static std::shared_ptr<BufferPool> new_buffer_pool();
  bool gather_mapped_chunks(std::span<const std::int64_t> points, void* dst, DType type) const;
  // The whole file mapped, where unfiltered chunks can be read in place (read-only, no
  // filters, no user block); null otherwise. Called under detail::lock().
  FileMap* chunk_file_map() const;
  mutable bool chunks_unmapped_ = false;  // chunk_file_map() said no once
};

}  // namespace mammoth::h5
