// Arrays on disk: mm.open, mm.memmap, mm.open_memmap, mm.create, mm.random. Each is one
// call into the store layer; the Python wrappers in mammoth/__init__.py give them numpy's
// and h5py's signatures.
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/memmap.hpp"
#include "mammoth/npy.hpp"
#include "mammoth/random.hpp"

namespace mammoth::python {
namespace {

Order parse_order(const std::string& order) {
  if (order == "C") return Order::C;
  if (order == "F") return Order::Fortran;
  throw Error("order must be 'C' or 'F', not '" + order + "'");
}

py::tuple to_tuple(const Shape& shape) {
  py::tuple t(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) t[i] = shape[i];
  return t;
}

// The element type numpy receives when a box is read into memory: native order, and
// float16 as float32 (the library reads float16, never writes it).
DType read_type(DType stored) {
  return stored.type() == ScalarType::Float16 ? DType(ScalarType::Float32) : stored.native();
}

ArrayHandle handle(std::unique_ptr<BlockStore> store, std::string spec) {
  return ArrayHandle{std::shared_ptr<BlockStore>(std::move(store)), std::move(spec)};
}

ArrayHandle wrap_memmap(Memmap map, const std::string& path) {
  return ArrayHandle{
      std::make_shared<MappedStore>(std::move(map), path, std::vector<std::pair<std::string, std::string>>{}), path};
}

py::array read_box(const ArrayHandle& h, const Shape& offset, const Shape& count) {
  BlockStore& store = h.get();
  const Box box{offset, count};
  check_box(box, store.shape(), store.name());
  const AnyArray out = AnyArray::empty(read_type(store.dtype()), count);
  {
    py::gil_scoped_release release;
    store.read(box, out.data(), out.dtype());
  }
  return to_numpy(out);
}

void write_box(const ArrayHandle& h, const Shape& offset, const py::handle& values) {
  BlockStore& store = h.get();
  const AnyArray v = from_numpy(py::module_::import("numpy").attr("ascontiguousarray")(values));
  const Box target{offset, v.shape()};
  check_box(target, store.shape(), store.name());
  py::gil_scoped_release release;
  store.write(target, v.data(), v.dtype());
}

// Fancy selections of an HDF5 dataset through the library's chunk-merged reads: rows of
// axis 0 (`points` empty in the other axes) or points (n × ndim coordinates).
py::array read_fancy(const ArrayHandle& h, const std::vector<std::int64_t>& indices, bool points) {
  const BlockStore& store = h.get();
  const StorePath where = parse_store_path(h.spec);
  if (!where.is_hdf5()) throw Error(h.spec + ": fancy reads are for HDF5 datasets");
  const std::size_t ndim = store.shape().size();
  Shape shape;
  if (points) {
    shape = {static_cast<std::int64_t>(indices.size() / std::max<std::size_t>(ndim, 1))};
  } else {
    shape = store.shape();
    shape[0] = static_cast<std::int64_t>(indices.size());
  }
  const AnyArray out = AnyArray::empty(read_type(store.dtype()), shape);
  {
    py::gil_scoped_release release;
    const h5::File file(where.file, Mode::Read);
    const h5::Dataset dataset = file.dataset(where.inner);
    if (points)
      dataset.read_points(indices, out.data(), out.dtype());
    else
      dataset.read_rows(indices, out.data(), out.dtype());
  }
  return to_numpy(out);
}

}  // namespace

BlockStore& ArrayHandle::get() const {
  if (!store) throw Error(spec + ": the array is closed");
  return *store;
}

void bind_arrays(py::module_& m) {
  py::class_<ArrayHandle>(m, "Array",
                          "An array in a file (.npy, raw memmap, HDF5 dataset). np.asarray(a) is a zero-copy view "
                          "when the bytes are mapped; slicing reads just the selection.")
      .def_property_readonly("shape", [](const ArrayHandle& h) { return to_tuple(h.get().shape()); })
      .def_property_readonly(
          "dtype",
          [](const ArrayHandle& h) { return py::module_::import("numpy").attr("dtype")(h.get().dtype().descr()); })
      .def_property_readonly("ndim", [](const ArrayHandle& h) { return h.get().shape().size(); })
      .def_property_readonly("size", [](const ArrayHandle& h) { return element_count(h.get().shape()); })
      .def_property_readonly("nbytes",
                             [](const ArrayHandle& h) {
                               return element_count(h.get().shape()) *
                                      static_cast<std::int64_t>(h.get().dtype().itemsize());
                             })
      .def_property_readonly("name", [](const ArrayHandle& h) { return h.get().name(); })
      .def_property_readonly("filename", [](const ArrayHandle& h) { return parse_store_path(h.spec).file; })
      .def_property_readonly("chunks",
                             [](const ArrayHandle& h) -> py::object {
                               const Shape c = h.get().chunk_shape();
                               return c.empty() ? py::object(py::none()) : py::object(to_tuple(c));
                             })
      .def_property_readonly("writable", [](const ArrayHandle& h) { return h.get().writable(); })
      .def_property_readonly("mapped", [](const ArrayHandle& h) { return h.get().mapped().has_value(); })
      .def_property_readonly("closed", [](const ArrayHandle& h) { return h.store == nullptr; })
      .def_property_readonly("properties",
                             [](const ArrayHandle& h) {
                               py::dict d;
                               for (const auto& [k, v] : h.get().properties()) d[py::str(k)] = v;
                               return d;
                             })
      .def("_view",
           [](const ArrayHandle& h) -> py::object {
             const std::optional<AnyArray> mapped = h.get().mapped();
             return mapped ? py::object(to_numpy(*mapped)) : py::object(py::none());
           })
      .def("_read_box", &read_box)
      .def("_write_box", &write_box)
      .def("_read_fancy", &read_fancy)
      .def("flush",
           [](const ArrayHandle& h) {
             py::gil_scoped_release release;
             h.get().flush();
           })
      .def(
          "close",
          [](ArrayHandle& h) {
            if (!h.store) return;
            h.store->flush();
            h.store.reset();
          },
          "Flushes and closes the file; numpy views taken before stay valid (they hold the mapping).");

  m.def(
      "_open",
      [](const std::string& spec, const std::string& mode, const py::object& dtype, const Shape& shape,
         std::int64_t offset, const std::string& order) {
        std::optional<RawLayout> raw;
        if (!dtype.is_none()) raw = RawLayout{to_dtype(dtype), shape, offset, parse_order(order)};
        return handle(open_store(spec, parse_mode(mode), raw), spec);
      },
      py::arg("spec"), py::arg("mode"), py::arg("dtype"), py::arg("shape"), py::arg("offset"), py::arg("order"));

  m.def("_memmap", [](const std::string& path, const py::object& dtype, const std::string& mode, std::int64_t offset,
                      const Shape& shape, const std::string& order) {
    const Mode parsed = parse_mode(mode);
    if (parsed == Mode::Write || parsed == Mode::Exclusive) {
      CreateOptions options;
      options.dtype = to_dtype(dtype);
      options.shape = shape;
      options.order = parse_order(order);
      return wrap_memmap(Memmap::create_raw(path, options, offset, parsed), path);
    }
    return wrap_memmap(Memmap::open_raw(path, RawLayout{to_dtype(dtype), shape, offset, parse_order(order)}, parsed),
                       path);
  });

  m.def("_open_memmap", [](const std::string& path, const std::string& mode, const py::object& dtype,
                           const Shape& shape, bool fortran_order, int version) {
    const Mode parsed = parse_mode(mode);
    if (parsed == Mode::Write || parsed == Mode::Exclusive) {
      CreateOptions options;
      options.dtype = to_dtype(dtype);
      options.shape = shape;
      options.order = fortran_order ? Order::Fortran : Order::C;
      return wrap_memmap(create_npy(path, options, version, parsed), path);
    }
    return wrap_memmap(open_memmap(path, parsed), path);
  });

  m.def("_create", [](const std::string& spec, const Shape& shape, const py::object& dtype, const Shape& chunks,
                      int gzip_level, bool shuffle, const std::string& order, bool preallocate) {
    CreateOptions options;
    options.dtype = to_dtype(dtype);
    options.shape = shape;
    options.chunks = chunks;
    options.gzip_level = gzip_level;
    options.shuffle = shuffle;
    options.order = parse_order(order);
    options.preallocate = preallocate;
    return handle(create_store(spec, options), spec);
  });

  m.def("_fill_random", [](const ArrayHandle& h, const std::string& dist, std::uint64_t seed, double low, double high,
                           double mean, double stddev) {
    RandomSpec spec;
    spec.dist = RandomSpec::parse_distribution(dist);
    spec.seed = seed;
    spec.low = low;
    spec.high = high;
    spec.mean = mean;
    spec.stddev = stddev;
    BlockStore& store = h.get();
    py::gil_scoped_release release;
    fill_random(store, spec);
    store.flush();
  });
}

}  // namespace mammoth::python
