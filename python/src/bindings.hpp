// What the binding files share: one bind_* function per part of the module, and the two
// crossings between numpy and the library's arrays, both without copying.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "mammoth/any_array.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/store.hpp"

namespace mammoth::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_numpy_bridge(py::module_& m);
void bind_arrays(py::module_& m);
void bind_ooc(py::module_& m);
void bind_profile(py::module_& m);
void bind_sparse(py::module_& m);

// The base object of every numpy view the module hands out (mammoth._mammoth.MappedBuffer).
struct MappedBuffer {
  AnyArray array;
};

// An array on disk as Python sees it (mammoth.Array): the store stays open until close().
struct ArrayHandle {
  std::shared_ptr<BlockStore> store;
  std::string spec;
  BlockStore& get() const;  // Error "<spec>: the array is closed" after close()
};

// A numpy array over `array`'s bytes. Its base is a MappedBuffer (buffer protocol) that
// holds the array's storage, so a file mapping stays alive as long as any numpy view of
// it does, whoever closed the file object.
py::array to_numpy(const AnyArray& array);
// The library's view of a numpy array (or anything np.asarray takes): zero-copy when it
// is already of a dtype mammoth knows; the storage keeps the numpy object alive.
// `writable` asks for a writable view (ValueError from numpy when it is not).
AnyArray from_numpy(const py::handle& object, bool writable = false);
// The mammoth dtype of a numpy dtype (or anything np.dtype takes).
DType to_dtype(const py::handle& dtype);

// A store for what the user passed: a mammoth.Array, a path spec, or a numpy array.
std::shared_ptr<BlockStore> store_of(const py::handle& object);

// The vector of a product, in memory: a numpy array as it is (zero-copy), an array on
// disk (a path or a mammoth.Array) read whole.
AnyArray vector_of(const py::handle& x);

// ooc::Options from the keyword arguments every out-of-core call takes.
ooc::Options ooc_options(const py::object& budget, int threads, const py::object& progress, const std::string& label);

}  // namespace mammoth::python
