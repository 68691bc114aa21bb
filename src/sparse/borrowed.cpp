// SparseArrays: scipy's member arrays read from a file into buffers handed out whole,
// and written from borrowed buffers into a file, through the output commit.
#include "mammoth/sparse/borrowed.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "mammoth/h5.hpp"
#include "mammoth/output.hpp"
#include "mammoth/path.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/random.hpp"
#include "mammoth/sparse/source.hpp"
#include "mammoth/store.hpp"

namespace mammoth::sparse {
namespace {

std::string what(const SparseArrays& m) {
  return std::string(format_name(m.format)) + " matrix of shape (" + std::to_string(m.rows) + ", " +
         std::to_string(m.cols) + ")";
}

// Calls f(const I*) with an index member's elements (int32 or int64, native order).
template <class F>
void with_index(const SparseArrays& m, const std::string& name, F&& f) {
  const AnyArray& a = m.member(name);
  if (a.dtype() == dtype_of<std::int32_t>()) return f(reinterpret_cast<const std::int32_t*>(a.data()));
  if (a.dtype() == dtype_of<std::int64_t>()) return f(reinterpret_cast<const std::int64_t*>(a.data()));
  throw TypeError(what(m) + ": " + name + " has dtype " + a.dtype().descr() + "; indices are int32 or int64");
}

void check_1d(const SparseArrays& m, const std::string& name) {
  const AnyArray& a = m.member(name);
  if (a.ndim() != 1)
    invalid(format_name(m.format), m.rows, m.cols, name + " must be 1-d, found shape " + shape_string(a.shape()));
}

void check_length(const SparseArrays& m, const std::string& name, std::int64_t expected, const std::string& why) {
  const std::int64_t n = m.member(name).size();
  if (n != expected)
    invalid(format_name(m.format), m.rows, m.cols,
            name + " has " + std::to_string(n) + " entries, expected " + std::to_string(expected) + " (" + why + ")");
}

// indptr over `major` slices of the `entries` stored, indices below `minor`.
void check_compressed_members(const SparseArrays& m, std::int64_t major, std::int64_t minor, std::int64_t entries) {
  const std::string f = format_name(m.format);
  check_1d(m, "indptr");
  check_1d(m, "indices");
  check_length(m, "indptr", major + 1, "one more than the compressed dimension");
  check_length(m, "indices", entries, "one per stored entry");
  with_index(m, "indptr", [&](auto* p) { check_indptr(f, m.rows, m.cols, p, major, entries); });
  with_index(m, "indices", [&](auto* i) { check_indices(f, m.rows, m.cols, "indices", i, entries, minor); });
}

void validate_bsr(const SparseArrays& m) {
  const AnyArray& data = m.member("data");
  if (data.ndim() != 3)
    invalid("bsr", m.rows, m.cols, "data must be 3-d (blocks, R, C), found shape " + shape_string(data.shape()));
  const std::int64_t r = data.shape()[1], c = data.shape()[2];
  if (r <= 0 || c <= 0 || m.rows % r != 0 || m.cols % c != 0)
    invalid("bsr", m.rows, m.cols,
            "block shape (" + std::to_string(r) + ", " + std::to_string(c) + ") does not divide the matrix");
  check_compressed_members(m, m.rows / r, m.cols / c, data.shape()[0]);
}

void validate_dia(const SparseArrays& m) {
  check_1d(m, "offsets");
  const AnyArray& data = m.member("data");
  if (data.ndim() != 2)
    invalid("dia", m.rows, m.cols, "data must be 2-d (diagonals, length), found shape " + shape_string(data.shape()));
  check_length(m, "offsets", data.shape()[0], "one per row of data");
  with_index(m, "offsets", [&](auto* p) {
    std::vector<std::int64_t> sorted(p, p + data.shape()[0]);
    std::sort(sorted.begin(), sorted.end());
    const auto twice = std::adjacent_find(sorted.begin(), sorted.end());
    if (twice != sorted.end()) invalid("dia", m.rows, m.cols, "offset " + std::to_string(*twice) + " repeats");
  });
}

void validate_coo(const SparseArrays& m) {
  const std::int64_t n = m.member("data").size();
  for (const char* name : {"row", "col"}) {
    check_1d(m, name);
    check_length(m, name, n, "one per stored entry, as data");
  }
  with_index(m, "row", [&](auto* r) { check_indices("coo", m.rows, m.cols, "row", r, n, m.rows); });
  with_index(m, "col", [&](auto* c) { check_indices("coo", m.rows, m.cols, "col", c, n, m.cols); });
}

// ---- reading ----

// The buffer of a member, read whole in `type` (the one copy: from the file).
AnyArray read_member(BlockStore& store, DType type) {
  AnyArray a = AnyArray::empty(type, store.shape());
  if (a.size() > 0) store.read(Box::whole(store.shape()), a.data(), type);
  return a;
}

SparseArrays read_members(const std::string& spec) {
  const SparseSource source = open_sparse(spec);
  SparseArrays m;
  m.format = source.format;
  m.rows = source.rows;
  m.cols = source.cols;
  const BlockStore& data = source.data();
  const std::int64_t entries = data.shape().empty() ? 0 : data.shape()[0];  // bsr: blocks
  const DType index = scipy_index_dtype(m.format, m.rows, m.cols, entries);
  for (const std::string& name : source.member_names()) {
    BlockStore& store = source.member(name);
    const bool values = name == "data";
    if (!values && store.dtype().kind() != Kind::Int && store.dtype().kind() != Kind::UInt)
      throw FormatError(store.name() + ": indices must be integers, found " + store.dtype().descr());
    m.members.emplace(name, read_member(store, values ? store.dtype().native() : index));
  }
  return m;
}

template <class T, class I>
SparseArrays coo_arrays(Coo<T, I>&& a) {
  SparseArrays m;
  m.format = Format::Coo;
  m.rows = a.rows;
  m.cols = a.cols;
  m.members.emplace("row", adopt(std::move(a.row)));
  m.members.emplace("col", adopt(std::move(a.col)));
  m.members.emplace("data", adopt(std::move(a.data)));
  return m;
}

// scipy.io.mmread's dtypes: int64 ('intp') for integer, complex128, float64 otherwise.
SparseArrays read_mtx_arrays(const std::string& path) {
  const MtxInfo info = mtx_info(path);
  const ScalarType value = info.field == MtxField::Integer   ? ScalarType::Int64
                           : info.field == MtxField::Complex ? ScalarType::Complex128
                                                             : ScalarType::Float64;
  const bool index64 = scipy_index_dtype(Format::Coo, info.rows, info.cols, 0).type() == ScalarType::Int64;
  return with_memory_check(path, [&] {
    return visit_held(value, index64, [&](auto tv, auto ti) {
      using T = typename decltype(tv)::type;
      using I = typename decltype(ti)::type;
      Coo<T, I> a = read_mtx<T, I>(path);
      if (info.array) {  // a dense file: its nonzeros, as coo_matrix(mmread(path)) keeps them
        std::size_t kept = 0;
        for (std::size_t k = 0; k < a.data.size(); ++k)
          if (!is_zero(a.data[k])) {
            a.row[kept] = a.row[k];
            a.col[kept] = a.col[k];
            a.data[kept++] = a.data[k];
          }
        a.row.resize(kept);
        a.col.resize(kept);
        a.data.resize(kept);
      }
      return coo_arrays(std::move(a));
    });
  });
}

// ---- writing ----

const AnyArray& contiguous(const AnyArray& a, AnyArray& copy) {
  if (a.is_c_contiguous()) return a;
  copy = a.copy();
  return copy;
}

void write_npz(const std::string& path, const SparseArrays& m, bool compressed) {
  std::vector<AnyArray> copies;  // only for members that are not C-contiguous
  copies.reserve(m.members.size());
  ZipWriter zip(path, compressed);
  for (const std::string& name : member_names(m.format)) {
    const AnyArray& a = contiguous(m.member(name), copies.emplace_back());
    zip.add(name, format_npy_header(a.dtype(), a.shape(), Order::C), a.data(), a.nbytes());
  }
  const std::string format = format_name(m.format);
  const std::int64_t shape[2] = {m.rows, m.cols};
  zip.add("format", format_npy_header("|S" + std::to_string(format.size()), {}), format.data(), format.size());
  zip.add("shape", format_npy_header("<i8", {2}), shape, sizeof(shape));
  zip.close();
}

void write_group(const std::string& spec, const SparseArrays& m, const WriteArraysOptions& options) {
  if (m.format != Format::Csr && m.format != Format::Csc)
    throw Error(spec + ": an HDF5 sparse group holds csr or csc, not " + std::string(format_name(m.format)));
  const StorePath where = parse_store_path(spec);
  {
    h5::File file(where.file, Mode::Append);
    if (file.contains(where.inner)) file.remove(where.inner);
    h5::Group g = file.require_group(where.inner);
    g.attrs().write("encoding-type", m.format == Format::Csr ? "csr_matrix" : "csc_matrix");
    g.attrs().write("encoding-version", "0.1.0");
    g.attrs().write("shape", AnyArray(NdArray<std::int64_t>::from({m.rows, m.cols}, {2})));
  }
  const std::string base = where.file + ":" + (where.inner == "/" ? "" : where.inner) + "/";
  for (const char* name : {"data", "indices", "indptr"}) {
    AnyArray copy;
    const AnyArray& a = contiguous(m.member(name), copy);
    CreateOptions create;
    create.dtype = a.dtype();
    create.shape = a.shape();
    if (a.size() > 0) {
      if (!options.chunks.empty())
        create.chunks = {std::clamp<std::int64_t>(element_count(options.chunks), 1, a.size())};
      create.gzip_level = options.gzip_level;
      create.shuffle = options.shuffle;
    }
    auto out = create_store(base + name, create);
    if (a.size() > 0) out->write(Box::whole(a.shape()), a.data(), a.dtype());
    out->flush();
  }
}

// Matrix Market text from (row of entry k, col of entry k, value k), written in pieces.
template <class T, class Entry>
void write_mtx_entries(const std::string& path, const SparseArrays& m, const T* values, Entry&& entry) {
  MtxInfo info;
  info.rows = m.rows;
  info.cols = m.cols;
  info.entries = m.member("data").size();
  info.field = is_complex_v<T> ? MtxField::Complex : std::is_integral_v<T> ? MtxField::Integer : MtxField::Real;
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw_io_error(path, "cannot create", errno);
  std::string out = mtx_banner(info, "");
  auto flush = [&] {
    if (std::fwrite(out.data(), 1, out.size(), f.get()) != out.size()) throw_io_error(path, "cannot write", errno);
    out.clear();
  };
  for (std::int64_t k = 0; k < info.entries; ++k) {
    const auto [r, c] = entry(k);
    const T v = values[k];
    if constexpr (is_complex_v<T>)
      append_mtx_entry(out, info, r, c, static_cast<double>(v.real()), static_cast<double>(v.imag()), 0);
    else if constexpr (std::is_integral_v<T>)
      append_mtx_entry(out, info, r, c, 0, 0, static_cast<std::int64_t>(v));
    else
      append_mtx_entry(out, info, r, c, static_cast<double>(v), 0, 0);
    if (out.size() > (std::size_t{1} << 20)) flush();
  }
  flush();
  if (std::fflush(f.get()) != 0) throw_io_error(path, "cannot write", errno);
}

template <class T>
void write_mtx_typed(const std::string& path, const SparseArrays& m, const T* values) {
  if (m.format == Format::Coo) {
    with_index(m, "row", [&](auto* row) {
      with_index(m, "col", [&](auto* col) {
        write_mtx_entries(path, m, values, [&](std::int64_t k) {
          return std::pair<std::int64_t, std::int64_t>{row[k], col[k]};
        });
      });
    });
    return;
  }
  const bool csr = m.format == Format::Csr;
  with_index(m, "indptr", [&](auto* p) {
    with_index(m, "indices", [&](auto* i) {
      std::int64_t major = 0;  // entries come in order, so the slice only moves forward
      write_mtx_entries(path, m, values, [&](std::int64_t k) {
        while (p[major + 1] <= k) ++major;
        return csr ? std::pair<std::int64_t, std::int64_t>{major, i[k]}
                   : std::pair<std::int64_t, std::int64_t>{i[k], major};
      });
    });
  });
}

void write_mtx_arrays(const std::string& path, const SparseArrays& m) {
  if (m.format != Format::Csr && m.format != Format::Csc && m.format != Format::Coo)
    throw Error(path + ": Matrix Market holds coordinates; write a csr, csc or coo matrix, not " +
                std::string(format_name(m.format)));
  AnyArray data = m.member("data").to_native();
  if (!data.is_c_contiguous()) data = data.copy();
  switch (data.dtype().type()) {  // Matrix Market knows signed integers, reals and complex values
    case ScalarType::Bool:
    case ScalarType::UInt8:
    case ScalarType::UInt16:
    case ScalarType::UInt32:
      data = data.astype(DType(ScalarType::Int64));
      break;
    case ScalarType::UInt64:
      throw TypeError(path + ": Matrix Market integers are signed 64-bit; uint64 values do not fit");
    case ScalarType::Float16:
      data = data.astype(DType(ScalarType::Float32));
      break;
    default:
      break;
  }
  visit_scalar(data.dtype().type(), [&](auto t) {
    using T = typename decltype(t)::type;
    if constexpr (!std::is_same_v<T, bool>) write_mtx_typed(path, m, reinterpret_cast<const T*>(data.data()));
  });
}

template <class T, class I>
SparseArrays arrays_of(Csr<T, I>&& a, Format format, std::int64_t block_rows, std::int64_t block_cols) {
  SparseArrays m;
  m.format = format;
  m.rows = a.rows;
  m.cols = a.cols;
  auto compressed = [&](auto&& c, Shape data_shape) {
    m.members.emplace("indices", adopt(std::move(c.indices)));
    m.members.emplace("indptr", adopt(std::move(c.indptr)));
    if (data_shape.empty()) data_shape = {static_cast<std::int64_t>(c.data.size())};
    m.members.emplace("data", adopt(std::move(c.data), data_shape));
  };
  switch (format) {
    case Format::Csr:
      compressed(std::move(a), {});
      break;
    case Format::Csc:
      compressed(to_csc(a), {});
      break;
    case Format::Coo:
      return coo_arrays(to_coo(std::move(a)));
    case Format::Bsr: {
      auto b = to_bsr(a, block_rows, block_cols);
      compressed(std::move(b), {b.nnz_blocks(), b.block_rows, b.block_cols});
      break;
    }
    case Format::Dia: {
      auto d = to_dia(a);
      const Shape data_shape{d.ndiag(), d.length};
      m.members.emplace("offsets", adopt(std::move(d.offsets)));
      m.members.emplace("data", adopt(std::move(d.data), data_shape));
      break;
    }
    default:
      throw Error(std::string("random: no array layout for ") + format_name(format) + " (csr, csc, coo, bsr, dia)");
  }
  return m;
}

}  // namespace

const AnyArray& SparseArrays::member(const std::string& name) const {
  const auto it = members.find(name);
  if (it == members.end()) throw FormatError(std::string(format_name(format)) + " matrix: no member '" + name + "'");
  return it->second;
}

DType scipy_index_dtype(Format format, std::int64_t rows, std::int64_t cols, std::int64_t entries) {
  const bool counted = format == Format::Csr || format == Format::Csc || format == Format::Bsr;
  return DType(fits_int32(rows, cols, counted ? entries : 0) ? ScalarType::Int32 : ScalarType::Int64);
}

void validate(const SparseArrays& m) {
  check_shape(format_name(m.format), m.rows, m.cols);
  const AnyArray& data = m.member("data");
  switch (m.format) {
    case Format::Csr:
    case Format::Csc: {
      check_1d(m, "data");
      const bool csr = m.format == Format::Csr;
      check_compressed_members(m, csr ? m.rows : m.cols, csr ? m.cols : m.rows, data.size());
      return;
    }
    case Format::Bsr:
      return validate_bsr(m);
    case Format::Coo:
      check_1d(m, "data");
      return validate_coo(m);
    case Format::Dia:
      return validate_dia(m);
    default:
      throw Error(std::string("no array layout for ") + format_name(m.format) + " matrices (csr, csc, coo, bsr, dia)");
  }
}

SparseArrays read_sparse_arrays(const std::string& spec) {
  // A missing file is the operating system's answer (IoError, errno), whatever reader follows.
  const std::string file = parse_store_path(spec).file;
  if (::access(file.c_str(), R_OK) != 0) throw_io_error(file, "cannot open", errno);
  SparseArrays m = spec_format(spec) == FileFormat::Mtx ? read_mtx_arrays(spec)
                                                        : with_memory_check(spec, [&] { return read_members(spec); });
  try {
    validate(m);
  } catch (const ShapeError& e) {
    throw FormatError(spec + ": " + e.what());
  }
  return m;
}

void write_sparse_arrays(const std::string& spec, const SparseArrays& m, const WriteArraysOptions& options) {
  validate(m);
  std::int64_t bytes = 0;
  for (const auto& [name, a] : m.members) bytes += static_cast<std::int64_t>(a.nbytes());
  const FileFormat kind = spec_format(spec);
  if (kind != FileFormat::Npz && kind != FileFormat::Mtx && kind != FileFormat::Hdf5)
    throw Error(spec + ": a sparse matrix is saved as FILE.npz, FILE.mtx or FILE.h5:/group");
  OutputCommit commit(spec, bytes);  // reserved before an existing HDF5 file is touched
  commit.write([&] {
    if (kind == FileFormat::Npz)
      write_npz(commit.spec(), m, options.compressed);
    else if (kind == FileFormat::Mtx)
      write_mtx_arrays(commit.spec(), m);
    else
      write_group(commit.spec(), m, options);
  });
  commit.commit();
}

SparseArrays random_sparse_arrays(std::int64_t rows, std::int64_t cols, double density, Format format, DType dtype,
                                  std::uint64_t seed, std::int64_t block_rows, std::int64_t block_cols) {
  if (!(density >= 0 && density <= 1)) throw Error("random: density must be in [0, 1], got " + std::to_string(density));
  const auto k =
      static_cast<std::int64_t>(std::llround(density * static_cast<double>(rows) * static_cast<double>(cols)));
  const bool is_bool = dtype.type() == ScalarType::Bool;
  SparseArrays m = visit_held(held_type(dtype), !fits_int32(rows, cols, k), [&](auto tv, auto ti) {
    using T = typename decltype(tv)::type;
    using I = typename decltype(ti)::type;
    auto a = random_csr<T, I>(rows, cols, density, seed);
    if (is_bool) std::fill(a.data.begin(), a.data.end(), T(1));
    return arrays_of(std::move(a), format, block_rows, block_cols);
  });
  AnyArray& data = m.members.at("data");
  if (is_bool)  // held as uint8 ones: the same bytes are numpy's True
    data = AnyArray(data.storage(), data.data(), dtype, data.shape(), data.strides());
  else if (!(data.dtype() == dtype.native()))
    data = data.astype(dtype.native());
  return m;
}

}  // namespace mammoth::sparse
