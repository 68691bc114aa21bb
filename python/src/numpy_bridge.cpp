// numpy ⇄ AnyArray without copies. Out: a MappedBuffer exports the array's bytes through
// the buffer protocol and holds its Storage (a FileMap for mapped files), so the mapping
// lives exactly as long as some numpy view of it. In: a Storage that holds the numpy object.
#include <string>

#include "bindings.hpp"
#include "mammoth/error.hpp"

namespace mammoth::python {
namespace {

// The buffer protocol's format for a dtype: explicit byte order, standard sizes.
std::string buffer_format(DType dtype) {
  const char* code = "";
  switch (dtype.type()) {
    case ScalarType::Bool:
      code = "?";
      break;
    case ScalarType::Int8:
      code = "b";
      break;
    case ScalarType::Int16:
      code = "h";
      break;
    case ScalarType::Int32:
      code = "i";
      break;
    case ScalarType::Int64:
      code = "q";
      break;
    case ScalarType::UInt8:
      code = "B";
      break;
    case ScalarType::UInt16:
      code = "H";
      break;
    case ScalarType::UInt32:
      code = "I";
      break;
    case ScalarType::UInt64:
      code = "Q";
      break;
    case ScalarType::Float16:
      code = "e";
      break;
    case ScalarType::Float32:
      code = "f";
      break;
    case ScalarType::Float64:
      code = "d";
      break;
    case ScalarType::Complex64:
      code = "Zf";
      break;
    case ScalarType::Complex128:
      code = "Zd";
      break;
  }
  return std::string(dtype.byte_order() == ByteOrder::Little ? "<" : ">") + code;
}

// Keeps a numpy array (and so its memory) alive while the library looks at its bytes.
// Released with the GIL held, whichever thread drops the last reference.
class PyObjectStorage final : public Storage {
 public:
  PyObjectStorage(py::object owner, std::byte* data, std::size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}
  ~PyObjectStorage() override {
    py::gil_scoped_acquire gil;
    owner_ = py::object();
  }
  std::byte* data() override { return data_; }
  std::size_t size() const override { return size_; }

 private:
  py::object owner_;
  std::byte* data_;
  std::size_t size_;
};

}  // namespace

py::array to_numpy(const AnyArray& array) {
  return py::module_::import("numpy").attr("asarray")(py::cast(MappedBuffer{array}));
}

DType to_dtype(const py::handle& dtype) {
  const py::object d = py::module_::import("numpy").attr("dtype")(dtype);
  return DType::from_descr(d.attr("str").cast<std::string>(), "numpy dtype");
}

AnyArray from_numpy(const py::handle& object, bool writable) {
  const py::module_ np = py::module_::import("numpy");
  py::array a = np.attr("asarray")(object);
  const DType dtype = to_dtype(a.attr("dtype"));
  const auto itemsize = static_cast<py::ssize_t>(dtype.itemsize());
  for (py::ssize_t i = 0; i < a.ndim(); ++i)
    if (a.strides(i) % itemsize != 0) {
      a = np.attr("ascontiguousarray")(a);
      break;
    }
  if (writable && !a.writeable()) throw py::value_error("output array is read-only");
  Shape shape(a.shape(), a.shape() + a.ndim());
  Strides strides(static_cast<std::size_t>(a.ndim()));
  for (py::ssize_t i = 0; i < a.ndim(); ++i) strides[static_cast<std::size_t>(i)] = a.strides(i) / itemsize;
  auto* data = static_cast<std::byte*>(const_cast<void*>(a.data()));
  auto storage = std::make_shared<PyObjectStorage>(a, data, static_cast<std::size_t>(a.nbytes()));
  return AnyArray(std::move(storage), data, dtype, std::move(shape), std::move(strides), a.writeable());
}

void bind_numpy_bridge(py::module_& m) {
  py::class_<MappedBuffer>(m, "MappedBuffer", py::buffer_protocol(),
                           "The owner behind numpy views of mammoth arrays: holds the file mapping or buffer")
      .def_buffer([](MappedBuffer& b) {
        const AnyArray& a = b.array;
        const auto itemsize = static_cast<py::ssize_t>(a.dtype().itemsize());
        std::vector<py::ssize_t> shape(a.shape().begin(), a.shape().end());
        std::vector<py::ssize_t> strides;
        for (const std::int64_t s : a.strides()) strides.push_back(static_cast<py::ssize_t>(s) * itemsize);
        return py::buffer_info(a.data(), itemsize, buffer_format(a.dtype()), a.ndim(), shape, strides, !a.writable());
      })
      .def_property_readonly("mapped", [](const MappedBuffer& b) { return b.array.storage()->is_mapped(); })
      .def_property_readonly("nbytes", [](const MappedBuffer& b) { return b.array.nbytes(); });
}

}  // namespace mammoth::python
