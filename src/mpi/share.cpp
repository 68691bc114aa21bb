#include "mammoth/mpi/share.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "mammoth/error.hpp"

namespace mammoth::mpi {
namespace {

// Where the cut before rank `k` of `ranks` falls in `rows` rows.
std::int64_t even_cut(std::int64_t rows, int k, int ranks) {
  // rows * k / ranks without overflow for any int64 row count.
  const std::int64_t q = rows / ranks, r = rows % ranks;
  return q * k + r * k / ranks;
}

void check_rank(int rank, int ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw Error("rank " + std::to_string(rank) + " of " + std::to_string(ranks) + ": no such rank");
}

class RowsStore final : public BlockStore {
 public:
  RowsStore(BlockStore& whole, RowRange range, std::function<void()> before_io)
      : whole_(whole), range_(range), shape_(whole.shape()), before_io_(std::move(before_io)) {
    if (shape_.empty()) throw ShapeError(whole.name() + ": a 0-d array has no rows to share out");
    check_box(Box::rows(shape_, range.begin, range.end), shape_, whole.name());
    shape_[0] = range.size();
  }
  std::string name() const override { return whole_.name(); }
  DType dtype() const override { return whole_.dtype(); }
  const Shape& shape() const override { return shape_; }
  Shape chunk_shape() const override { return whole_.chunk_shape(); }
  bool writable() const override { return whole_.writable(); }
  void read(const Box& box, void* dst, DType dst_type) override {
    if (before_io_) before_io_();
    whole_.read(shifted(box), dst, dst_type);
  }
  void write(const Box& box, const void* src, DType src_type) override {
    if (before_io_) before_io_();
    whole_.write(shifted(box), src, src_type);
  }
  std::optional<AnyArray> mapped() override {
    std::optional<AnyArray> all = whole_.mapped();
    if (!all) return all;
    std::vector<Slice> slices(shape_.size());
    slices[0] = Slice::range(range_.begin, range_.end);
    return all->slice(slices);
  }
  void reading_in_place(const Box&) override {
    if (before_io_) before_io_();
  }
  std::optional<AnyArray> mapped(const Box& box) override { return whole_.mapped(shifted(box)); }
  void release(const Box& box) override { whole_.release(shifted(box)); }
  void flush() override { whole_.flush(); }
  std::size_t cache_bytes() const override { return whole_.cache_bytes(); }
  std::size_t working_bytes() const override { return whole_.working_bytes(); }
  std::size_t whole_chunk_working_bytes() const override { return whole_.whole_chunk_working_bytes(); }
  std::vector<std::pair<std::string, std::string>> properties() const override { return whole_.properties(); }

 private:
  Box shifted(const Box& box) const {
    check_box(box, shape_,
              whole_.name() + " (rows " + std::to_string(range_.begin) + ":" + std::to_string(range_.end) + ")");
    Box out = box;
    out.offset[0] += range_.begin;
    return out;
  }

  BlockStore& whole_;
  RowRange range_;
  Shape shape_;
  std::function<void()> before_io_;
};

}  // namespace

RowRange rank_share(std::int64_t rows, int rank, int ranks, std::int64_t align) {
  check_rank(rank, ranks);
  if (rows < 0) throw Error("rank_share: a negative row count");
  align = std::max<std::int64_t>(align, 1);
  // Cut in units of `align` rows; the last unit may be short.
  const std::int64_t units = (rows + align - 1) / align;
  const auto cut = [&](int k) { return std::min(rows, even_cut(units, k, ranks) * align); };
  return RowRange{cut(rank), cut(rank + 1)};
}

RowRange weighted_share(std::span<const std::int64_t> prefix, int rank, int ranks) {
  if (prefix.empty()) throw Error("weighted_share: the prefix sum needs rows + 1 entries");
  return weighted_share(
      static_cast<std::int64_t>(prefix.size()) - 1, [&](std::int64_t i) { return prefix[static_cast<std::size_t>(i)]; },
      rank, ranks);
}

std::int64_t weighted_cut(std::int64_t rows, const std::function<std::int64_t(std::int64_t)>& prefix_at, int k,
                          int ranks) {
  if (ranks < 1 || k < 0 || k > ranks)
    throw Error("the cut before rank " + std::to_string(k) + " of " + std::to_string(ranks) + ": no such cut");
  if (rows < 0) throw Error("weighted_share: a negative row count");
  if (k == 0) return 0;
  if (k == ranks) return rows;
  // The row boundary whose running weight is nearest k/ranks of the total; the even row
  // split when there is no weight.
  const std::int64_t first = prefix_at(0), total = prefix_at(rows) - first;
  if (total <= 0) return even_cut(rows, k, ranks);
  const std::int64_t target = first + even_cut(total, k, ranks);
  // The first boundary whose running weight reaches the target, or the one before it
  // when that is nearer.
  std::int64_t lo = 0, hi = rows + 1;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (prefix_at(mid) < target)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo > 0 && (lo > rows || target - prefix_at(lo - 1) <= prefix_at(lo) - target)) --lo;
  return std::min(rows, lo);
}

RowRange weighted_share(std::int64_t rows, const std::function<std::int64_t(std::int64_t)>& prefix_at, int rank,
                        int ranks) {
  check_rank(rank, ranks);
  const std::int64_t begin = weighted_cut(rows, prefix_at, rank, ranks);
  return RowRange{begin, std::max(begin, weighted_cut(rows, prefix_at, rank + 1, ranks))};
}

std::unique_ptr<BlockStore> rows_of(BlockStore& whole, RowRange range, std::function<void()> before_io) {
  return std::make_unique<RowsStore>(whole, range, std::move(before_io));
}

}  // namespace mammoth::mpi
