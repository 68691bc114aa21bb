// mm.sparse: the library's sparse files and kernels on scipy's own arrays.
// - spmv on scipy matrices: the CSR row kernel and CSC column kernel (sparse/spmv.hpp) run
//   on scipy's data/indices/indptr in place, in parallel, with the GIL released. Nothing
//   is copied but x when its dtype differs.
// - load/random: the library fills SparseArrays (sparse/borrowed.hpp) whose buffers become
//   scipy's arrays as they are (each numpy array's base holds the library's buffer).
// - save: scipy's arrays are borrowed (from_numpy) and written from where they are.
// - spmv of a file: the streamed spmv (sparse/stream.hpp) on the out-of-core scheduler.
#include <complex>
#include <string>

#include "bindings.hpp"
#include "mammoth/ooc/output.hpp"
#include "mammoth/sparse/borrowed.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/source.hpp"
#include "mammoth/sparse/spmv.hpp"
#include "mammoth/sparse/stream.hpp"
#include "released.hpp"

namespace mammoth::python {
namespace {

template <class T, class I>
void spmv_compressed(bool csr, std::int64_t rows, std::int64_t cols, const I* p, const I* i, const T* a, const T* x,
                     T* y) {
  // The parallel split of sparse::spmv(Csr/Csc), over borrowed pointers instead of owned vectors.
  if (csr) {
    const int threads = sparse::threads_for(p[rows] + rows);
    const int parts = threads == 1 ? 1 : threads * 8;
    const auto bounds = sparse::split_by_nnz(p, rows, parts);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int t = 0; t < parts; ++t)
      sparse::csr_rows_spmv(bounds[static_cast<std::size_t>(t)], bounds[static_cast<std::size_t>(t) + 1], p, i, a, x,
                            y);
    return;
  }
  const int threads = sparse::threads_for(p[cols] + cols);
  const auto bounds = sparse::split_by_nnz(p, cols, threads);
  sparse::scatter_reduce(threads, rows, y, [&](int t, int, T* out) {
    sparse::csc_cols_spmv(bounds[static_cast<std::size_t>(t)], bounds[static_cast<std::size_t>(t) + 1], p, i, a, x,
                          out);
  });
}

template <class T>
py::array spmv_typed(const std::string& format, std::int64_t rows, std::int64_t cols, const AnyArray& indptr,
                     const AnyArray& indices, const AnyArray& data, const AnyArray& x) {
  const bool csr = format == "csr";
  if (!csr && format != "csc") throw Error("spmv: format must be csr or csc, not " + format);
  const std::int64_t n = csr ? rows : cols;
  if (indptr.ndim() != 1 || indptr.size() != n + 1)
    throw ShapeError("spmv: indptr of a " + format + " matrix of shape (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + ") needs " + std::to_string(n + 1) + " entries, found " +
                     std::to_string(indptr.size()));
  if (x.ndim() != 1 || x.size() != cols)
    throw ShapeError("spmv: x needs " + std::to_string(cols) + " entries, found shape " + shape_string(x.shape()));
  AnyArray y = AnyArray::empty(data.dtype(), {rows});
  const T* a = reinterpret_cast<const T*>(data.data());
  const T* xv = reinterpret_cast<const T*>(x.data());
  T* yv = reinterpret_cast<T*>(y.data());
  {
    py::gil_scoped_release release;
    if (indptr.dtype().type() == ScalarType::Int64)
      spmv_compressed<T>(csr, rows, cols, reinterpret_cast<const std::int64_t*>(indptr.data()),
                         reinterpret_cast<const std::int64_t*>(indices.data()), a, xv, yv);
    else
      spmv_compressed<T>(csr, rows, cols, reinterpret_cast<const std::int32_t*>(indptr.data()),
                         reinterpret_cast<const std::int32_t*>(indices.data()), a, xv, yv);
  }
  return to_numpy(y);
}

// (format, (rows, cols), {member: numpy array}): the library's buffers, not copied.
py::tuple to_python(const sparse::SparseArrays& m) {
  py::dict members;
  for (const auto& [name, array] : m.members) members[py::str(name)] = to_numpy(array);
  return py::make_tuple(sparse::format_name(m.format), py::make_tuple(m.rows, m.cols), members);
}

sparse::SparseArrays from_python(const std::string& format, std::int64_t rows, std::int64_t cols,
                                 const py::dict& members) {
  sparse::SparseArrays m;
  m.format = sparse::parse_format(format);
  m.rows = rows;
  m.cols = cols;
  for (const auto& [name, array] : members) m.members.emplace(name.cast<std::string>(), from_numpy(array));
  return m;
}

py::tuple load(const std::string& spec) {
  sparse::SparseArrays m;
  {
    py::gil_scoped_release release;
    m = sparse::read_sparse_arrays(spec);
  }
  return to_python(m);
}

void save(const std::string& spec, const std::string& format, std::int64_t rows, std::int64_t cols,
          const py::dict& members, bool compressed, const Shape& chunks, int gzip_level, bool shuffle) {
  const sparse::SparseArrays m = from_python(format, rows, cols, members);
  sparse::WriteArraysOptions options;
  options.compressed = compressed;
  options.chunks = chunks;
  options.gzip_level = gzip_level;
  options.shuffle = shuffle;
  run_released(py::none(), [&] {
    sparse::write_sparse_arrays(spec, m, options);
    return 0;
  });
}

py::tuple random(std::int64_t rows, std::int64_t cols, double density, const std::string& format,
                 const py::object& dtype, std::uint64_t seed, std::int64_t block_rows, std::int64_t block_cols) {
  const DType type = to_dtype(dtype);
  sparse::SparseArrays m;
  {
    py::gil_scoped_release release;
    m = sparse::random_sparse_arrays(rows, cols, density, sparse::parse_format(format), type, seed, block_rows,
                                     block_cols);
  }
  return to_python(m);
}

// A result written whole through the output commit (any spec create_store takes).
void write_result(const std::string& spec, const AnyArray& y) {
  CreateOptions create;
  create.dtype = y.dtype();
  create.shape = y.shape();
  ooc::AtomicOutput result(spec, create);
  result.store().write(Box::whole(y.shape()), y.data(), y.dtype());
  result.commit();
}

// y = A·x streamed from disk; into a numpy array, or (out: a path) through the output
// commit, so an interrupted run leaves no file behind.
py::object spmv_file(const std::string& spec, const py::object& x_arg, const py::object& out, bool transpose,
                     const py::object& budget, int threads, const py::object& progress) {
  const ooc::Options options = ooc_options(budget, threads, progress, transpose ? "rmatvec" : "spmv");
  const AnyArray x = vector_of(x_arg);
  if (out.is_none())
    return to_numpy(
        run_released(progress, [&] { return sparse::spmv(sparse::open_sparse(spec), x, options, transpose); }));
  const std::string out_spec = py::str(out);
  run_released(progress, [&] {
    write_result(out_spec, sparse::spmv(sparse::open_sparse(spec), x, options, transpose));
    return 0;
  });
  return py::none();
}

py::dict info(const std::string& spec) {
  const sparse::SparseFileInfo i = sparse::sparse_file_info(spec);
  py::dict d;
  d["kind"] = i.kind;
  d["format"] = i.format;
  d["shape"] = py::make_tuple(i.rows, i.cols);
  d["nnz"] = i.nnz;
  d["dtype"] = i.value_descr;
  d["index_dtype"] = i.index.descr();
  d["detail"] = i.detail;
  if (i.format == "bsr") d["blocksize"] = py::make_tuple(i.block_rows, i.block_cols);
  return d;
}

}  // namespace

void bind_sparse(py::module_& m) {
  m.def("_sparse_load", &load);
  m.def("_sparse_save", &save);
  m.def("_sparse_random", &random);
  m.def("_sparse_spmv_file", &spmv_file);
  m.def("_sparse_info", &info);
  m.def("_write_result", [](const std::string& spec, const py::object& y) {
    const AnyArray a = from_numpy(y);
    py::gil_scoped_release release;
    write_result(spec, a);
  });
  // path.hpp's verdict on a spec (by content when the file exists, else by name).
  m.def("_spec_format", [](const std::string& spec) { return std::string(format_name(spec_format(spec))); });
  // The Python side (mammoth/sparse.py) hands over contiguous native arrays, indices of one
  // integer type (int32 or int64) and x of the data's dtype, already checked against scipy's invariants.
  m.def("_spmv", [](const std::string& format, std::int64_t rows, std::int64_t cols, const py::object& indptr,
                    const py::object& indices, const py::object& data, const py::object& x) {
    const AnyArray p = from_numpy(indptr), i = from_numpy(indices), a = from_numpy(data), v = from_numpy(x);
    switch (a.dtype().type()) {
      case ScalarType::Float32:
        return spmv_typed<float>(format, rows, cols, p, i, a, v);
      case ScalarType::Float64:
        return spmv_typed<double>(format, rows, cols, p, i, a, v);
      case ScalarType::Complex64:
        return spmv_typed<std::complex<float>>(format, rows, cols, p, i, a, v);
      case ScalarType::Complex128:
        return spmv_typed<std::complex<double>>(format, rows, cols, p, i, a, v);
      default:
        throw TypeError("spmv: values of dtype " + a.dtype().name() + "; use float32/64 or complex64/128");
    }
  });
}

}  // namespace mammoth::python
