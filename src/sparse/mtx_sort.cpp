// sort_mtx: the external merge sort of a Matrix Market coordinate file into CSR members.
#include "mtx_sort.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <complex>
#include <cstring>
#include <filesystem>
#include <queue>
#include <tuple>

#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/output.hpp"
#include "mammoth/sparse/mtx.hpp"

namespace mammoth::sparse::detail {

// A scratch file written and read with pwrite/pread (never mapped: its pages stay in the
// page cache, out of this process's memory), removed when destroyed.
class ScratchFile {
 public:
  explicit ScratchFile(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) throw_io_error(path_, "cannot create a scratch file", errno);
  }
  ~ScratchFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }

  void append(const void* src, std::size_t bytes) {
    const auto* p = static_cast<const char*>(src);
    for (std::size_t done = 0; done < bytes;) {
      const ssize_t n = ::pwrite(fd_, p + done, bytes - done, static_cast<off_t>(size_ + done));
      if (n < 0) throw_io_error(path_, "cannot write", errno);
      done += static_cast<std::size_t>(n);
    }
    size_ += bytes;
  }
  void read(std::uint64_t offset, void* dst, std::size_t bytes) const {
    auto* p = static_cast<char*>(dst);
    for (std::size_t done = 0; done < bytes;) {
      const ssize_t n = ::pread(fd_, p + done, bytes - done, static_cast<off_t>(offset + done));
      if (n < 0) throw_io_error(path_, "cannot read", errno);
      if (n == 0) throw IoError(path_ + ": the scratch file ends early", EIO);
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

MtxScratch::MtxScratch() = default;
MtxScratch::~MtxScratch() {
  source.members.clear();  // the stores close before their files go
}

namespace {

template <class V>
struct Entry {
  std::int64_t row, col;
  V value;
};

template <class V>
V value_of(const MtxData& d, std::size_t k) {
  if constexpr (std::is_same_v<V, std::complex<double>>) {
    return {d.re[k], d.im[k]};
  } else if constexpr (std::is_same_v<V, std::int64_t>) {
    return d.ints[k];
  } else {
    return d.info.field == MtxField::Pattern ? 1.0 : d.re[k];
  }
}

// Appends elements to a scratch file through a buffer of `capacity` elements.
template <class T>
class Appender {
 public:
  Appender(ScratchFile& file, std::size_t capacity) : file_(file) {
    buffer_.reserve(std::max<std::size_t>(capacity, 1));
  }
  void push(const T& v) {
    buffer_.push_back(v);
    if (buffer_.size() == buffer_.capacity()) flush();
  }
  void flush() {
    file_.append(buffer_.data(), buffer_.size() * sizeof(T));
    buffer_.clear();
  }

 private:
  ScratchFile& file_;
  std::vector<T> buffer_;
};

// One sorted run being merged: its next entries, refilled from the runs file.
template <class V>
struct Run {
  std::uint64_t next = 0, end = 0;  // entry positions in the runs file
  std::vector<Entry<V>> buffer;
  std::size_t at = 0;

  bool refill(const ScratchFile& runs, std::size_t capacity) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, end - next));
    buffer.resize(n);
    if (n > 0) runs.read(next * sizeof(Entry<V>), buffer.data(), n * sizeof(Entry<V>));
    next += n;
    at = 0;
    return n > 0;
  }
};

template <class V, class I>
void sort_into(const std::string& path, const MtxInfo& info, const std::string& scratch, const ooc::Options& options,
               MtxScratch& out) {
  using E = Entry<V>;
  const std::size_t budget = options.budget;
  auto file = [&](const std::string& what) {
    out.files.push_back(std::make_unique<ScratchFile>(scratch + what));
    return out.files.back().get();
  };
  ScratchFile& runs = *file(".runs");
  // Half the budget for the run being formed (stable_sort takes half as much again), about a
  // sixtieth for the text block (its parsed entries take up to twelve times the text).
  const std::size_t run_capacity = std::max<std::size_t>(budget / 2 / (sizeof(E) * 3 / 2), 1024);
  const std::size_t text_bytes = std::max<std::size_t>(budget / 64, 64 << 10);
  std::vector<E> run;
  run.reserve(run_capacity);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> bounds;  // entry ranges of the runs
  const auto close_run = [&] {
    if (run.empty()) return;
    // Stable: duplicates keep their file order, so they are summed in it.
    std::stable_sort(run.begin(), run.end(),
                     [](const E& a, const E& b) { return std::tie(a.row, a.col) < std::tie(b.row, b.col); });
    const std::uint64_t first = runs.size() / sizeof(E);
    runs.append(run.data(), run.size() * sizeof(E));
    bounds.emplace_back(first, first + run.size());
    run.clear();
  };
  read_mtx_blocks(path, text_bytes, [&](MtxData& d) {
    if (ooc::cancel_requested()) throw ooc::Cancelled();
    for (std::size_t k = 0; k < d.row.size(); ++k) {
      run.push_back(E{d.row[k], d.col[k], value_of<V>(d, k)});
      if (run.size() == run_capacity) close_run();
    }
  });
  close_run();
  std::vector<E>().swap(run);

  // The merge: a heap of the runs' heads; duplicates (same row and column) are adjacent.
  const std::size_t out_elements = std::max<std::size_t>(budget / 8 / sizeof(V), 1024);
  ScratchFile &indptr_file = *file(".indptr"), &indices_file = *file(".indices"), &data_file = *file(".data");
  Appender<I> indptr(indptr_file, out_elements / 2), indices(indices_file, out_elements);
  Appender<V> data(data_file, out_elements);
  std::vector<Run<V>> heads(bounds.size());
  const std::size_t run_buffer =
      std::max<std::size_t>(budget / 2 / sizeof(E) / std::max<std::size_t>(bounds.size(), 1), 1024);
  using Key = std::tuple<std::int64_t, std::int64_t, std::size_t>;  // row, col, run: ties in file order
  std::priority_queue<Key, std::vector<Key>, std::greater<>> heap;
  for (std::size_t r = 0; r < bounds.size(); ++r) {
    heads[r].next = bounds[r].first;
    heads[r].end = bounds[r].second;
    if (heads[r].refill(runs, run_buffer)) heap.emplace(heads[r].buffer[0].row, heads[r].buffer[0].col, r);
  }
  std::int64_t nnz = 0, next_row = 0;  // entries written; rows whose start is written
  bool pending = false;
  E current{};
  const auto emit = [&] {
    for (; next_row <= current.row; ++next_row) indptr.push(static_cast<I>(nnz));
    indices.push(static_cast<I>(current.col));
    data.push(current.value);
    ++nnz;
  };
  for (std::uint64_t popped = 0; !heap.empty(); ++popped) {
    if ((popped & 0xfffff) == 0 && ooc::cancel_requested()) throw ooc::Cancelled();
    const std::size_t r = std::get<2>(heap.top());
    heap.pop();
    Run<V>& head = heads[r];
    const E& e = head.buffer[head.at];
    if (pending && e.row == current.row && e.col == current.col) {
      current.value += e.value;
    } else {
      if (pending) emit();
      current = e;
      pending = true;
    }
    if (++head.at < head.buffer.size() || head.refill(runs, run_buffer))
      heap.emplace(head.buffer[head.at].row, head.buffer[head.at].col, r);
    else
      std::vector<E>().swap(head.buffer);
  }
  if (pending) emit();
  for (; next_row <= info.rows; ++next_row) indptr.push(static_cast<I>(nnz));
  indptr.flush();
  indices.flush();
  data.flush();

  SparseSource& s = out.source;
  s.name = path;
  s.format = Format::Csr;
  s.rows = info.rows;
  s.cols = info.cols;
  s.detail = "mtx";
  const auto member = [&](const char* name, ScratchFile& f, DType type, std::int64_t n) {
    s.members.emplace(name, open_store(f.path(), Mode::Read, RawLayout{type, {n}, 0, Order::C}));
  };
  member("indptr", indptr_file, dtype_of<I>(), info.rows + 1);
  member("indices", indices_file, dtype_of<I>(), nnz);
  member("data", data_file, dtype_of<V>(), nnz);
}

}  // namespace

std::unique_ptr<MtxScratch> sort_mtx(const std::string& path, const std::string& near, const ooc::Options& options) {
  const MtxInfo info = mtx_info(path);
  if (info.array) throw Error(path + ": an array (dense) Matrix Market file is not sorted in blocks");
  const std::filesystem::path where(near);
  const std::string scratch = (where.parent_path() / temporary_name(where.filename().string())).string();
  auto out = std::make_unique<MtxScratch>();
  const std::int64_t stored = info.symmetry == MtxSymmetry::General ? info.entries : 2 * info.entries;
  const bool wide = !fits_int32(info.rows, info.cols, stored);
  const auto with_index = [&](auto value_tag) {
    using V = typename decltype(value_tag)::type;
    if (wide)
      sort_into<V, std::int64_t>(path, info, scratch, options, *out);
    else
      sort_into<V, std::int32_t>(path, info, scratch, options, *out);
  };
  switch (info.field) {
    case MtxField::Integer:
      with_index(std::type_identity<std::int64_t>{});
      break;
    case MtxField::Complex:
      with_index(std::type_identity<std::complex<double>>{});
      break;
    default:
      with_index(std::type_identity<double>{});
      break;
  }
  return out;
}

}  // namespace mammoth::sparse::detail
