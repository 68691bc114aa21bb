// convert_file: the streamed member-wise copies, and the in-memory fallback.
#include "mammoth/sparse/convert_file.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/path.hpp"

#include <cstdio>
#include <cstring>
#include <optional>

#include "loads.hpp"
#include "mammoth/ooc/copy.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/output.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/source.hpp"
#include "mammoth/sparse/stream.hpp"
#include "mammoth/sparse/vector_io.hpp"
#include "mtx_sort.hpp"

namespace mammoth::sparse {
namespace {

bool is_compressed_format(Format f) { return f == Format::Csr || f == Format::Csc; }

// The destination's format: the one asked for, else the source's; an HDF5 group holds
// csr or csc only, and .mtx sources have none (csr).
Format target_format(const std::string& asked, const std::string& source_format, FileFormat source_kind,
                     FileFormat dst_kind) {
  if (!asked.empty()) return parse_format(asked);
  if (source_kind == FileFormat::Mtx || source_kind == FileFormat::Npy) return Format::Csr;
  const Format f = parse_format(source_format);
  if (dst_kind == FileFormat::Hdf5 && f != Format::Csc) return Format::Csr;
  return f;
}

// ---- streamed: member by member ----

void write_group_attributes(const std::string& spec, Format format, std::int64_t rows, std::int64_t cols) {
  const StorePath where = parse_store_path(spec);
  h5::File file(where.file, Mode::Append);
  if (file.contains(where.inner)) file.remove(where.inner);
  h5::Group g = file.require_group(where.inner);
  g.attrs().write("encoding-type", format == Format::Csr ? "csr_matrix" : "csc_matrix");
  g.attrs().write("encoding-version", "0.1.0");
  g.attrs().write("shape", AnyArray(NdArray<std::int64_t>::from({rows, cols}, {2})));
  file.flush();
}

void copy_to_group(const SparseSource& a, const std::string& spec, const ConvertOptions& options) {
  write_group_attributes(spec, a.format, a.rows, a.cols);
  const StorePath where = parse_store_path(spec);
  const std::string base = where.file + ":" + (where.inner == "/" ? "" : where.inner) + "/";
  for (const char* name : {"data", "indices", "indptr"}) {
    BlockStore& member = a.member(name);
    CreateOptions create;
    create.dtype = member.dtype();
    create.shape = member.shape();
    const std::int64_t n = element_count(create.shape);
    if (n > 0) {
      if (!options.chunks.empty()) create.chunks = {std::clamp<std::int64_t>(element_count(options.chunks), 1, n)};
      create.gzip_level = options.gzip_level;
      create.shuffle = options.shuffle;
    }
    auto out = create_store(base + name, create);
    ooc::Options copy = options.ooc;
    copy.label = "convert " + std::string(name);
    ooc::copy(member, *out, copy);
    out->flush();
  }
}

// Feeds a zip member from a store in blocks of `block` bytes, releasing what was read.
class MemberFeed {
 public:
  MemberFeed(BlockStore& store, std::size_t block)
      : store_(store),
        itemsize_(store.dtype().itemsize()),
        total_(static_cast<std::uint64_t>(element_count(store.shape())) * store.dtype().itemsize()) {
    row_elements_ = 1;
    for (std::size_t k = 1; k < store.shape().size(); ++k) row_elements_ *= store.shape()[k];
    rows_per_block_ = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(block / itemsize_) / std::max<std::int64_t>(row_elements_, 1));
    // Whole chunks along axis 0 when one fits: a gzip member is then inflated on all cores
    // past libhdf5's pipeline (h5::Dataset::direct_chunk_reads), each chunk once.
    const Shape chunks = store.chunk_shape();
    if (!chunks.empty() && rows_per_block_ >= chunks[0]) rows_per_block_ -= rows_per_block_ % chunks[0];
  }
  void pull(char* dst, std::uint64_t offset, std::size_t bytes) {
    while (bytes > 0) {
      if (offset < begin_ || offset >= begin_ + buffer_.size()) fill(offset);
      const std::size_t n = std::min<std::size_t>(bytes, static_cast<std::size_t>(begin_ + buffer_.size() - offset));
      std::memcpy(dst, buffer_.data() + (offset - begin_), n);
      dst += n;
      offset += n;
      bytes -= n;
    }
    if (offset >= total_) buffer_ = {};  // the member is written: its buffer is not held for the next
  }

 private:
  void fill(std::uint64_t offset) {
    if (ooc::cancel_requested()) throw ooc::Cancelled();
    const std::uint64_t row_bytes = static_cast<std::uint64_t>(row_elements_) * itemsize_;
    const std::int64_t first = static_cast<std::int64_t>(offset / row_bytes);
    const std::int64_t rows = std::min(rows_per_block_, store_.shape()[0] - first);
    const Box box = Box::rows(store_.shape(), first, first + rows);
    buffer_.resize(static_cast<std::size_t>(box.size()) * itemsize_);
    store_.read(box, buffer_.data(), store_.dtype());
    store_.release(box);
    begin_ = static_cast<std::uint64_t>(first) * row_bytes;
  }

  BlockStore& store_;
  std::size_t itemsize_;
  std::uint64_t total_;
  std::int64_t row_elements_ = 1, rows_per_block_ = 1;
  std::vector<char> buffer_;
  std::uint64_t begin_ = 0;
};

void copy_to_npz(const SparseSource& a, const std::string& path, const ConvertOptions& options) {
  // One block at a time is held (libzip pulls the members in order while it writes),
  // beside the source stores' caches, the one member being read's working buffers and the
  // writer's deflate buffers.
  std::size_t caches = 0, reading = 0;
  for (const std::string& name : a.member_names()) {
    const BlockStore& member = a.member(name);
    caches += member.cache_bytes();
    reading = std::max(reading, member.working_bytes() - member.cache_bytes());
  }
  caches += reading;
  // The deflating threads take at most a quarter of the budget (one at least).
  const int threads = ZipWriter::threads_within(options.ooc.budget / 4);
  const std::size_t avail =
      ooc::block_budget(options.ooc, ZipWriter::working_bytes(options.compressed, threads), caches, path + ": convert");
  const std::size_t block = std::max<std::size_t>(std::min(avail / 4, options.ooc.block_bytes), 4096);
  ZipWriter zip(path, options.compressed, threads);
  std::vector<std::unique_ptr<MemberFeed>> feeds;
  for (const std::string& name : a.member_names()) {
    BlockStore& member = a.member(name);
    feeds.push_back(std::make_unique<MemberFeed>(member, block));
    const std::size_t bytes = static_cast<std::size_t>(element_count(member.shape())) * member.dtype().itemsize();
    zip.add(
        name, format_npy_header(member.dtype(), member.shape(), Order::C), bytes,
        [feed = feeds.back().get()](char* dst, std::uint64_t offset, std::size_t n) { feed->pull(dst, offset, n); });
  }
  const std::string format = format_name(a.format);
  const std::int64_t shape[2] = {a.rows, a.cols};
  zip.add("format", format_npy_header("|S" + std::to_string(format.size()), {}), format.data(), format.size());
  zip.add("shape", format_npy_header("<i8", {2}), shape, sizeof(shape));
  zip.close();
}

// CSR into Matrix Market text: row-aligned blocks of (indices, data) on the scheduler,
// each formatted and written while the next is read.
template <class I>
void write_mtx_rows(const SparseSource& a, const std::string& path, const ConvertOptions& options) {
  BlockStore& ptr = a.member("indptr");
  std::vector<I> indptr(static_cast<std::size_t>(a.rows) + 1);
  if (ptr.shape() != Shape{a.rows + 1}) throw FormatError(ptr.name() + ": indptr does not have rows + 1 entries");
  ptr.read(Box::whole(ptr.shape()), indptr.data(), dtype_of<I>());
  try {
    check_indptr("csr", a.rows, a.cols, indptr.data(), a.rows, a.nnz());
  } catch (const ShapeError& e) {
    throw FormatError(a.name + ": " + e.what());
  }
  const DType value = a.data().dtype();
  const bool complex = value.kind() == Kind::Complex;
  const bool integer = value.kind() == Kind::Int || value.kind() == Kind::UInt || value.kind() == Kind::Bool;
  const DType held(complex ? ScalarType::Complex128 : integer ? ScalarType::Int64 : ScalarType::Float64);
  MtxInfo info;
  info.rows = a.rows;
  info.cols = a.cols;
  info.entries = a.nnz();
  info.field = complex ? MtxField::Complex : integer ? MtxField::Integer : MtxField::Real;
  const ooc::Input inputs[2] = {{&a.member("indices"), dtype_of<I>()}, {&a.data(), held}};
  // A block's text, counted in the budget beside the two buffers: "row col value\n" takes
  // up to ~50 bytes an entry (~80 complex), reserved once so the string never doubles.
  const std::size_t text = complex ? 80 : 50;
  const std::size_t fixed = indptr.size() * sizeof(I);
  const std::size_t avail = ooc::block_budget(options.ooc, fixed, 0, path + ": convert");
  const std::int64_t max_nnz =
      ooc::max_block_elements(options.ooc, avail, ooc::bytes_per_element(inputs) + text, held.itemsize());
  const ooc::BlockGrid grid = ooc::BlockGrid::of_boxes({a.nnz()}, nnz_blocks(indptr, max_nnz));
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw_io_error(path, "cannot create", errno);
  std::string out = mtx_banner(info, "");
  out.reserve(out.size() + static_cast<std::size_t>(std::min(max_nnz, a.nnz())) * text);
  ooc::Progress progress(options.ooc.label.empty() ? "convert" : options.ooc.label,
                         static_cast<std::uint64_t>(a.nnz()) * a.member("indices").dtype().itemsize(),
                         options.ooc.progress);
  ooc::stream(grid, inputs, ooc::Output{}, &progress, [&](const ooc::Block& b) {
    const std::int64_t k0 = b.box.offset[0], n = b.box.count[0];
    const Loads<I> j{b.in[0]};  // members of a .npz sit at any byte offset
    std::int64_t r = std::upper_bound(indptr.begin(), indptr.end(), static_cast<I>(k0)) - indptr.begin() - 1;
    for (std::int64_t k = 0; k < n; ++k) {
      while (indptr[static_cast<std::size_t>(r) + 1] <= k0 + k) ++r;
      if (j[k] < 0 || j[k] >= a.cols)
        throw FormatError(a.name + ": indices[" + std::to_string(k0 + k) + "] = " + std::to_string(j[k]) +
                          " is outside [0, " + std::to_string(a.cols) + ")");
      if (complex) {
        const auto v = Loads<std::complex<double>>{b.in[1]}[k];
        append_mtx_entry(out, info, r, j[k], v.real(), v.imag(), 0);
      } else if (integer) {
        append_mtx_entry(out, info, r, j[k], 0, 0, Loads<std::int64_t>{b.in[1]}[k]);
      } else {
        append_mtx_entry(out, info, r, j[k], Loads<double>{b.in[1]}[k], 0, 0);
      }
    }
    if (std::fwrite(out.data(), 1, out.size(), f.get()) != out.size()) throw_io_error(path, "cannot write", errno);
    out.clear();
  });
  if (!out.empty() && std::fwrite(out.data(), 1, out.size(), f.get()) != out.size())
    throw_io_error(path, "cannot write", errno);
  if (std::fflush(f.get()) != 0) throw_io_error(path, "cannot write", errno);
  progress.finish();
}

void copy_to_mtx(const SparseSource& a, const std::string& path, const ConvertOptions& options) {
  const BlockStore& idx = a.member("indices");
  if (idx.dtype().itemsize() > 4 || a.member("indptr").dtype().itemsize() > 4 || idx.dtype().kind() == Kind::UInt)
    write_mtx_rows<std::int64_t>(a, path, options);
  else
    write_mtx_rows<std::int32_t>(a, path, options);
}

// ---- in memory ----

SaveOptions save_options(Format format, bool compressed, bool bool_values) {
  SaveOptions opt;
  opt.format = format;
  opt.compressed = compressed;
  opt.bool_values = bool_values;
  return opt;
}

void dense_to_sparse(const std::string& src, const std::string& dst, Format format, const ConvertOptions& options) {
  const NpyHeader h = read_npy_header(src);
  if (h.shape.size() != 2)
    throw ShapeError(src + ": a sparse matrix needs a 2-d array, found shape " + shape_string(h.shape));
  SaveOptions opt = save_options(format, options.compressed, h.dtype.type() == ScalarType::Bool);
  opt.block_rows = std::max<std::int64_t>(options.block_rows, 1);
  opt.block_cols = std::max<std::int64_t>(options.block_cols, 1);
  const std::int64_t cells = h.shape[0] * h.shape[1];
  visit_held(held_type(h.dtype), !fits_int32(h.shape[0], h.shape[1], cells), [&](auto tv, auto ti) {
    using T = typename decltype(tv)::type;
    using I = typename decltype(ti)::type;
    save_sparse_file(dst, csr_from_dense<I>(read_npy_array<T>(src)), opt);
  });
}

void convert_in_memory(const std::string& src, const std::string& dst, FileFormat dst_kind,
                       const std::string& requested, const ConvertOptions& options) {
  visit_csr_file(src, [&](auto& a, const SparseFileInfo& info) {
    const bool bool_values = info.value_descr == "|b1";
    if (dst_kind == FileFormat::Npy) {  // toarray(), saved as numpy does (bool files stay bool)
      const AnyArray dense(to_dense(a));
      save_npy(dst, bool_values ? dense.astype(DType(ScalarType::Bool)) : dense);
      return;
    }
    const Format f = target_format(requested, info.format, spec_format(src), dst_kind);
    SaveOptions opt = save_options(f, options.compressed, bool_values);
    opt.block_rows = options.block_rows > 0 ? options.block_rows : info.block_rows;
    opt.block_cols = options.block_cols > 0 ? options.block_cols : info.block_cols;
    save_sparse_file(dst, a, opt);
  });
}

// The source as member stores when it is a .npz or an HDF5 group: headers only, opened
// once for the route, the reservation and the copy.
std::optional<SparseSource> open_members(const std::string& src) {
  const FileFormat s = spec_format(src);
  if (s != FileFormat::Npz && s != FileFormat::Hdf5) return std::nullopt;
  return open_sparse(src);
}

// The streamed route for (src, dst), or none: member by member, CSR into Matrix Market
// text, or Matrix Market coordinates sorted into CSR members (mtx_sort.hpp).
enum class Route { InMemory, Members, Mtx, SortedMtx };

Route route_of(const std::string& src, const std::optional<SparseSource>& source, const std::string& dst,
               const ConvertOptions& options) {
  const FileFormat s = spec_format(src), d = spec_format(dst);
  if (s == FileFormat::Mtx && (d == FileFormat::Npz || d == FileFormat::Hdf5))
    return !mtx_info(src).array && target_format(options.format, "", s, d) == Format::Csr ? Route::SortedMtx
                                                                                          : Route::InMemory;
  if (!source) return Route::InMemory;
  if (d != FileFormat::Npz && d != FileFormat::Hdf5 && d != FileFormat::Mtx) return Route::InMemory;
  const Format from = source->format;
  if (!is_compressed_format(from)) return Route::InMemory;
  if (d == FileFormat::Mtx) return from == Format::Csr && options.format.empty() ? Route::Mtx : Route::InMemory;
  const Format to = target_format(options.format, format_name(from), s, d);
  return to == from ? Route::Members : Route::InMemory;
}

// Writes `src` converted to `out`, the output commit's temporary for `dst`.
void write_converted(const std::string& src, const std::optional<SparseSource>& source, const std::string& dst,
                     FileFormat dst_kind, const std::string& out, const ConvertOptions& options) {
  if (spec_format(src) == FileFormat::Npy) {
    dense_to_sparse(src, out, target_format(options.format, "", FileFormat::Npy, dst_kind), options);
    return;
  }
  switch (route_of(src, source, dst, options)) {
    case Route::Members:
      if (dst_kind == FileFormat::Hdf5)
        copy_to_group(*source, out, options);
      else
        copy_to_npz(*source, out, options);
      return;
    case Route::Mtx:
      copy_to_mtx(*source, out, options);
      return;
    case Route::SortedMtx: {
      const auto sorted = detail::sort_mtx(src, parse_store_path(out).file, options.ooc);
      if (dst_kind == FileFormat::Hdf5)
        copy_to_group(sorted->source, out, options);
      else
        copy_to_npz(sorted->source, out, options);
      return;
    }
    case Route::InMemory:
      convert_in_memory(src, out, dst_kind, options.format, options);
      return;
  }
}

// About what the output holds, for the output commit to reserve before it touches an
// existing HDF5 file: the source's members (a format change keeps nnz; 0 when unknown).
std::int64_t expected_bytes(const std::optional<SparseSource>& source) {
  std::int64_t bytes = 0;
  if (source)
    for (const auto& [name, store] : source->members)
      bytes += element_count(store->shape()) * static_cast<std::int64_t>(store->dtype().itemsize());
  return bytes;
}

}  // namespace

bool streams(const std::string& src, const std::string& dst, const ConvertOptions& options) {
  return route_of(src, open_members(src), dst, options) != Route::InMemory;
}

void convert_file(const std::string& src, const std::string& dst, const ConvertOptions& options) {
  const FileFormat dst_kind = spec_format(dst);
  // A file converted onto itself is safe (the commit swaps in a new file; the old one stays
  // open until read); one HDF5 group onto itself is not.
  if (src == dst && parse_store_path(dst).is_hdf5()) throw Error(dst + ": source and destination are the same group");
  const h5::WriteIntent intent(parse_store_path(dst).file);  // a group beside its source
  const std::optional<SparseSource> source = open_members(src);
  OutputCommit commit(dst, expected_bytes(source));
  commit.write([&] { write_converted(src, source, dst, dst_kind, commit.spec(), options); });
  commit.commit();
}

}  // namespace mammoth::sparse
