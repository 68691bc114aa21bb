// mm.sparse.spmv on scipy's own arrays: the library's CSR row kernel and CSC column
// kernel (sparse/spmv.hpp) run on scipy's data/indices/indptr in place, in parallel,
// with the GIL released. Nothing is copied but x when its dtype differs.
#include <complex>
#include <string>

#include "bindings.hpp"
#include "mammoth/sparse/spmv.hpp"

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

}  // namespace

void bind_sparse(py::module_& m) {
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
