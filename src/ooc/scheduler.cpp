#include "mammoth/ooc/scheduler.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <future>
#include <memory>
#include <optional>

#include "io_thread.hpp"
#include "mammoth/allocation.hpp"
#include "mammoth/mapping.hpp"

namespace mammoth::ooc {
namespace {

std::atomic<bool> cancel_flag{false};
std::atomic<bool> writes_beside{true};

// A C-contiguous view of `box` inside a mapped array, or null when the bytes of the
// box are not one run (or not of the wanted type).
const std::byte* view_of(const std::optional<AnyArray>& map, const Box& box, DType type) {
  if (!map || !(map->dtype() == type) || !map->is_c_contiguous() || !is_contiguous_box(box, map->shape()))
    return nullptr;
  std::int64_t offset = 0;
  for (std::size_t k = 0; k < box.offset.size(); ++k) offset += box.offset[k] * map->strides()[k];
  return map->data() + offset * static_cast<std::int64_t>(type.itemsize());
}

// The mapping behind a view, for the page policy (mapping.hpp); null for heap arrays.
FileMap* file_map(const std::optional<AnyArray>& map) { return map ? FileMap::of(map->storage()) : nullptr; }

// FileMap::populate, with the error naming the store and the block.
void populate(FileMap& map, const std::byte* view, std::size_t bytes, const BlockStore& store, const Box& box) {
  try {
    map.populate(map.offset_of(view), bytes);
  } catch (const IoError&) {
    throw IoError(store.name() + ": the file ended inside the block at " + shape_string(box.offset) + " of size " +
                      shape_string(box.count) + " (truncated while being read?)",
                  EIO);
  }
}

struct Buffer {
  HeapBuffer<std::byte> bytes;
  std::byte* get(std::size_t size) {
    // No zero-fill (allocation.hpp): pages become resident only as the reads fill them.
    if (!bytes) bytes = allocate_buffer<std::byte>(size);
    return bytes.get();
  }
};

// A block read in place: its bytes, the mapping they lie in (null for a heap array), and
// the store's view of the block alone when it came from one (kept alive until released).
struct Placed {
  const std::byte* data = nullptr;
  FileMap* map = nullptr;
  std::optional<AnyArray> part;
  bool staged = false;  // Block::staged: the compute copies it from the page cache
};

// Consumed ranges of a mapping, dropped together: a release is a madvise, and in a
// process whose threads run on several cores each one stops them all to flush their TLBs
// (an IPI), so blocks of one 4 MB HDF5 chunk each paid it 100 times for 400 MB. Adjacent
// ranges are joined up to `limit` bytes (Input::release_batch, which the algorithm counts
// in the budget; 0 drops each at once). Run on the I/O thread.
class ReleaseBatch {
 public:
  ReleaseBatch() = default;
  ReleaseBatch(const ReleaseBatch&) = delete;
  ReleaseBatch& operator=(const ReleaseBatch&) = delete;
  ReleaseBatch(ReleaseBatch&& other) noexcept { *this = std::move(other); }
  ReleaseBatch& operator=(ReleaseBatch&& other) noexcept {
    flush();
    std::swap(map_, other.map_);
    std::swap(begin_, other.begin_);
    std::swap(end_, other.end_);
    std::swap(views_, other.views_);
    return *this;
  }
  ~ReleaseBatch() { flush(); }

  // `view` (may be empty) keeps the range's mapping alive until it is dropped.
  void add(FileMap& map, std::size_t offset, std::size_t bytes, std::optional<AnyArray> view, std::size_t limit) {
    if (&map != map_ || offset != end_) flush();
    if (!map_) {
      map_ = &map;
      begin_ = end_ = offset;
    }
    end_ += bytes;
    if (view) views_.push_back(std::move(*view));
    if (end_ - begin_ >= limit) flush();
  }
  void flush() noexcept {
    if (map_) map_->release(begin_, end_ - begin_);
    map_ = nullptr;
    views_.clear();
  }

 private:
  FileMap* map_ = nullptr;
  std::size_t begin_ = 0, end_ = 0;
  std::vector<AnyArray> views_;
};

struct Source {
  Input input;
  std::optional<AnyArray> map;
  std::array<Buffer, 2> buffers;
  std::array<Placed, 2> placed;  // per slot, until the block is released
  FileMap* streamed = nullptr;   // the last mapping hinted Streamed (mapping.hpp)
  ReleaseBatch released;         // declared after `map`: dropped while it still holds the mapping
  Box box(const Box& grid_box) const { return input.box_of ? input.box_of(grid_box) : grid_box; }
  // `box` in place, kept in `slot`: from the store's whole mapping (mapped()), else from its
  // view of that box alone (mapped(box): an unfiltered HDF5 chunk); null when neither
  // holds it in the wanted type, and the block is read.
  const std::byte* in_place(const Box& box, int slot) {
    Placed& p = placed[static_cast<std::size_t>(slot)];
    p = Placed{};
    if (const std::byte* view = view_of(map, box, input.type)) {
      input.store->reading_in_place(box);
      p.data = view;
      p.map = file_map(map);
      return view;
    }
    if (input.private_copy) return nullptr;
    std::optional<AnyArray> v = input.store->mapped(box);
    if (!v || !(v->dtype() == input.type) || !v->is_c_contiguous() || v->shape() != box.count ||
        !FileMap::of(v->storage()))
      return nullptr;
    input.store->reading_in_place(box);
    p.data = v->data();
    p.map = FileMap::of(v->storage());
    p.part = std::move(v);
    return p.data;
  }
};

std::size_t box_bytes(const Box& box, DType type) { return static_cast<std::size_t>(box.size()) * type.itemsize(); }

// The row bands of an output. Blocks of columns (the tiles of a chunked source) release
// their boxes one by one, but their rows' pages are shared with the tiles beside them, so
// write-back can start only once the band is whole: a release of each tile's span that
// started it took 8-15 ms a call and wrote pages twice. Boxes are written in grid order,
// so a box of other rows means the band before it is whole; it is released again then,
// as one run. Called on the thread that writes the output.
class Bands {
 public:
  // Returns the band `box` completes, when it is the first box of another band.
  std::optional<Box> add(const Box& box) {
    std::optional<Box> done;
    if (band_ && !same_rows(*band_, box)) done = std::exchange(band_, std::nullopt);
    if (done && tiles_ < 2) done.reset();  // a band of one box: released whole already
    if (!band_) {
      band_ = box;
      tiles_ = 0;
    }
    for (std::size_t k = 0; k < box.offset.size(); ++k) {
      const std::int64_t end = std::max(band_->offset[k] + band_->count[k], box.offset[k] + box.count[k]);
      band_->offset[k] = std::min(band_->offset[k], box.offset[k]);
      band_->count[k] = end - band_->offset[k];
    }
    ++tiles_;
    return done;
  }
  std::optional<Box> last() { return tiles_ >= 2 ? std::exchange(band_, std::nullopt) : std::nullopt; }

 private:
  static bool same_rows(const Box& a, const Box& b) {
    return a.offset.size() >= 2 && a.offset[0] == b.offset[0] && a.count[0] == b.count[0];
  }
  std::optional<Box> band_;
  int tiles_ = 0;
};

}  // namespace

void request_cancel() noexcept { cancel_flag.store(true, std::memory_order_relaxed); }
void set_writes_beside_reads(bool on) noexcept { writes_beside.store(on, std::memory_order_relaxed); }
bool writes_beside_reads() noexcept { return writes_beside.load(std::memory_order_relaxed); }
void clear_cancel() noexcept { cancel_flag.store(false, std::memory_order_relaxed); }
bool cancel_requested() noexcept { return cancel_flag.load(std::memory_order_relaxed); }

std::size_t bytes_per_element(std::span<const Input> inputs, double output_per_element, std::size_t output_itemsize) {
  double bytes = 0;
  for (const Input& in : inputs) bytes += 2.0 * static_cast<double>(in.type.itemsize());
  bytes += 2.0 * output_per_element * static_cast<double>(output_itemsize);
  return static_cast<std::size_t>(std::ceil(bytes));
}

void stream(const BlockGrid& grid, std::span<const Input> inputs, const Output& output, Progress* progress,
            const std::function<void(const Block&)>& compute, const std::function<void()>& meanwhile) {
  const std::int64_t n = grid.size();
  if (n == 0) {
    if (meanwhile) meanwhile();
    return;
  }
  const Box whole_block{Shape(grid.shape().size(), 0), grid.block()};
  std::vector<Source> sources;
  for (const Input& in : inputs) {
    Source s{in, std::nullopt, {}, {}, nullptr, {}};
    if (!in.private_copy) s.map = in.store->mapped();
    sources.push_back(std::move(s));
  }
  const auto out_box = [&](const Box& box) { return output.box_of ? output.box_of(box) : box; };
  std::array<Buffer, 2> out_buffers;
  const bool own_output = output.store && output.from_input < 0;
  const std::size_t out_capacity = own_output ? box_bytes(out_box(whole_block), output.type) : 0;
  std::array<std::vector<const std::byte*>, 2> ready;  // per slot: the input blocks, once read
  std::array<std::vector<Staged>, 2> staged;           // per slot: where staged blocks are
  std::array<std::future<void>, 2> reads, releases;
  std::array<std::shared_future<void>, 2> writes;
  Bands bands;  // the output writer's, until every write has returned
  // Writes run on a thread of their own beside the reads (a gzip chunk inflates while the
  // block before is written), unless the output is one of the inputs or the caller asked
  // for one I/O thread (an MPI without MPI_THREAD_MULTIPLE): each store then still sees
  // one caller, the reader for the inputs, the writer for the output.
  bool own_writer = output.store && writes_beside_reads();
  for (const Input& in : inputs) own_writer = own_writer && in.store != output.store;
  // Declared last: destroyed first, so no job outlives the buffers.
  detail::IoThread io;
  std::optional<detail::IoThread> writer;
  if (own_writer) writer.emplace();

  // The write of the block in `slot` when that write reads an input's block (a copy): the
  // input's buffer is refilled, and its pages released, only once it is done. Else none.
  const auto input_written = [&](int slot) {
    return output.from_input >= 0 ? writes[slot] : std::shared_future<void>{};
  };
  const auto read_block = [&](std::int64_t index) {
    const int slot = static_cast<int>(index % 2);
    ready[slot].assign(sources.size(), nullptr);
    staged[slot].assign(sources.size(), Staged{});
    reads[slot] = io.submit([&, index, slot, written = input_written(slot)] {
      if (written.valid()) written.wait();  // its error is the main loop's to raise
      for (std::size_t i = 0; i < sources.size(); ++i) {
        Source& s = sources[i];
        const Box box = s.box(grid[index]);
        if (const std::byte* view = s.in_place(box, slot)) {
          Placed& p = s.placed[static_cast<std::size_t>(slot)];
          if (s.input.stage && p.map && p.map->copyable() &&
              p.map->resident(p.map->offset_of(view), box_bytes(box, s.input.type))) {
            staged[slot][i] = Staged{p.map, p.map->offset_of(view)};
            p.staged = true;
          } else if (FileMap* fm = p.map) {
            // Page tables filled here, on the I/O thread, so the compute finds them resident.
            if (fm != s.streamed) fm->advise(Access::Streamed, 0, fm->size());
            s.streamed = fm;
            populate(*fm, view, box_bytes(box, s.input.type), *s.input.store, box);
          }
          ready[slot][i] = view;
        } else {
          std::byte* dst = s.buffers[slot].get(box_bytes(s.box(whole_block), s.input.type));
          s.input.store->read(box, dst, s.input.type);
          ready[slot][i] = dst;
        }
      }
    });
  };

  read_block(0);
  if (n > 1) read_block(1);
  if (meanwhile) meanwhile();
  for (std::int64_t k = 0; k < n; ++k) {
    const int slot = static_cast<int>(k % 2);
    if (cancel_requested()) throw Cancelled();
    reads[slot].get();
    if (writes[slot].valid()) writes[slot].get();  // the output buffer of block k - 2 is free
    if (releases[slot].valid()) releases[slot].get();
    const Box box = grid[k];
    std::byte* out = own_output     ? out_buffers[slot].get(out_capacity)
                     : output.store ? const_cast<std::byte*>(ready[slot][static_cast<std::size_t>(output.from_input)])
                                    : nullptr;
    compute(Block{box, k, ready[slot], out, staged[slot]});
    const auto write = [&, box, out] {
      if (!output.store) return;
      const Box target = out_box(box);
      output.store->write(target, out, output.type);
      output.store->release(target);  // a mapped destination drops the pages just written
      if (const std::optional<Box> band = bands.add(target)) output.store->release(*band);
    };
    const auto release = [&, box, slot] {
      for (std::size_t i = 0; i < sources.size(); ++i) {
        Source& s = sources[i];
        const Box in_box = s.box(box);
        // A block read in place drops its pages from the mapping it was read from, so the
        // budget holds over any back end; the store releases any other block (its cache).
        Placed& p = s.placed[static_cast<std::size_t>(slot)];
        const std::size_t bytes = box_bytes(in_box, s.input.type);
        if (p.staged) {
          // copied from the page cache: nothing was mapped in
        } else if (p.map) {
          s.released.add(*p.map, p.map->offset_of(p.data), bytes, std::move(p.part), s.input.release_batch);
        } else {
          s.input.store->release(in_box);
        }
        p = Placed{};
      }
    };
    if (writer) {
      writes[slot] = writer->submit(write).share();
      // Released sooner, a mapped input block would only make its write fault the pages back in.
      releases[slot] = io.submit([release, written = input_written(slot)] {
        if (written.valid()) written.wait();
        release();
      });
    } else {
      writes[slot] = io.submit([write, release] {
                         write();
                         release();
                       }).share();
    }
    if (progress && !sources.empty()) progress->advance(box_bytes(box, sources[0].input.store->dtype()));
    if (k + 2 < n) read_block(k + 2);
  }
  for (auto& w : writes)
    if (w.valid()) w.get();
  for (auto& r : releases)
    if (r.valid()) r.get();
  // Every write has returned, so this thread may look at the writer's bands; the release
  // itself stays on the thread that writes the output.
  if (const std::optional<Box> band = bands.last()) {
    const auto last_band = [&] { output.store->release(*band); };
    (writer ? writer->submit(last_band) : io.submit(last_band)).get();
  }
}

}  // namespace mammoth::ooc
