#include "mammoth/h5/attribute.hpp"
#include "mammoth/h5/watchdog.hpp"

#include <cstdlib>
#include <vector>

#include "call.hpp"
#include "io_rules.hpp"
#include "mammoth/h5/types.hpp"

namespace mammoth::h5 {

using detail::call;
using detail::open;

namespace {

herr_t collect_name(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

Shape space_shape(hid_t space, const std::string& object) {
  const int ndim = call("get rank", object, H5Sget_simple_extent_ndims, space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(ndim));
  call("get extent", object, H5Sget_simple_extent_dims, space, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

Handle make_space(const Shape& shape, const std::string& object) {
  if (shape.empty()) return open("create dataspace", object, H5Screate, H5S_SCALAR);
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  return open("create dataspace", object, H5Screate_simple, static_cast<int>(dims.size()), dims.data(), nullptr);
}

}  // namespace

Attributes::Attributes(Hid object, std::string path) : path_(std::move(path)) {
  call("hold object", path_, H5Iinc_ref, object);
  object_ = Handle(object);
}

std::vector<std::string> Attributes::names() const {
  const detail::MetadataWatch watch(path_ + ": list attributes");
  std::vector<std::string> out;
  hsize_t idx = 0;
  call("list attributes", path_, H5Aiterate2, object_.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name,
       static_cast<void*>(&out));
  return out;
}

bool Attributes::contains(const std::string& name) const {
  const detail::MetadataWatch watch(where(name) + ": look up attribute");
  return call("look up attribute", where(name), H5Aexists, object_.get(), name.c_str()) > 0;
}

std::string Attributes::read_string(const std::string& name) const {
  const detail::MetadataWatch watch(where(name) + ": read attribute");
  auto guard = detail::lock();
  if (!contains(name)) throw Error(where(name) + ": no such attribute");
  Handle attr = open("open attribute", where(name), H5Aopen, object_.get(), name.c_str(), H5P_DEFAULT);
  Handle type = open("get attribute type", where(name), H5Aget_type, attr.get());
  if (call("get type class", where(name), H5Tget_class, type.get()) != H5T_STRING)
    throw TypeError(where(name) + ": holds " + describe_type(type.get()) + ", not a string");
  Handle space = open("get attribute space", where(name), H5Aget_space, attr.get());
  // PyTables writes an empty TITLE with a null dataspace (h5py's Empty): no text at all.
  if (call("get space class", where(name), H5Sget_simple_extent_type, space.get()) == H5S_NULL) return "";
  if (call("count elements", where(name), H5Sget_simple_extent_npoints, space.get()) != 1)
    throw TypeError(where(name) + ": holds an array of strings, not one string");
  if (call("check string type", where(name), H5Tis_variable_str, type.get()) > 0) {
    Handle mem = open("copy type", where(name), H5Tcopy, H5T_C_S1);
    call("set size", where(name), H5Tset_size, mem.get(), H5T_VARIABLE);
    call("set charset", where(name), H5Tset_cset, mem.get(), call("get charset", where(name), H5Tget_cset, type.get()));
    char* text = nullptr;
    call("read attribute", where(name), H5Aread, attr.get(), mem.get(), static_cast<void*>(&text));
    std::string out = text ? text : "";
    H5free_memory(text);
    return out;
  }
  const std::size_t size = call("get size", where(name), H5Tget_size, type.get());
  std::string out(size, '\0');
  call("read attribute", where(name), H5Aread, attr.get(), type.get(), static_cast<void*>(out.data()));
  out.resize(out.find('\0') == std::string::npos ? out.size() : out.find('\0'));  // null-padded
  return out;
}

AttributeValue Attributes::read(const std::string& name) const {
  const detail::MetadataWatch watch(where(name) + ": read attribute");
  auto guard = detail::lock();
  if (!contains(name)) throw Error(where(name) + ": no such attribute");
  Handle attr = open("open attribute", where(name), H5Aopen, object_.get(), name.c_str(), H5P_DEFAULT);
  Handle type = open("get attribute type", where(name), H5Aget_type, attr.get());
  if (call("get type class", where(name), H5Tget_class, type.get()) == H5T_STRING) return read_string(name);
  const DType stored = dtype_from_type(type.get(), where(name));
  Handle space = open("get attribute space", where(name), H5Aget_space, attr.get());
  const DType native = compute_dtype(stored);
  if (call("get space class", where(name), H5Sget_simple_extent_type, space.get()) == H5S_NULL)
    return AnyArray::empty(native, {0});  // h5py's Empty
  AnyArray out = AnyArray::empty(native, space_shape(space.get(), where(name)));
  bool bitfield = false;
  Handle mem = detail::memory_type(native, type.get(), where(name), bitfield);
  call("read attribute", where(name), H5Aread, attr.get(), mem.get(), static_cast<void*>(out.data()));
  if (bitfield) detail::normalize_bools(out.data(), static_cast<std::size_t>(out.size()));
  return out;
}

void Attributes::read_into(const std::string& name, void* dst, DType type) const {
  AttributeValue v = read(name);
  const auto* array = std::get_if<AnyArray>(&v);
  if (!array) throw TypeError(where(name) + ": holds a string, not a number");
  if (array->size() != 1)
    throw ShapeError(where(name) + ": holds " + std::to_string(array->size()) + " values, not one");
  convert(array->data(), array->dtype(), dst, type, 1);
}

void Attributes::write(const std::string& name, const AnyArray& value) const {
  auto guard = detail::lock();
  const AnyArray packed = value.is_c_contiguous() ? value : value.copy();
  if (contains(name)) remove(name);
  Handle type = make_file_type(packed.dtype());
  Handle space = make_space(packed.shape(), where(name));
  Handle attr = open("create attribute", where(name), H5Acreate2, object_.get(), name.c_str(), type.get(), space.get(),
                     H5P_DEFAULT, H5P_DEFAULT);
  call("write attribute", where(name), H5Awrite, attr.get(), type.get(), static_cast<const void*>(packed.data()));
}

void Attributes::write(const std::string& name, const std::string& value) const {
  auto guard = detail::lock();
  if (contains(name)) remove(name);
  // h5py writes str as a scalar variable-length UTF-8 string.
  Handle type = open("copy type", where(name), H5Tcopy, H5T_C_S1);
  call("set size", where(name), H5Tset_size, type.get(), H5T_VARIABLE);
  call("set charset", where(name), H5Tset_cset, type.get(), H5T_CSET_UTF8);
  Handle space = make_space({}, where(name));
  Handle attr = open("create attribute", where(name), H5Acreate2, object_.get(), name.c_str(), type.get(), space.get(),
                     H5P_DEFAULT, H5P_DEFAULT);
  const char* text = value.c_str();
  call("write attribute", where(name), H5Awrite, attr.get(), type.get(), static_cast<const void*>(&text));
}

void Attributes::remove(const std::string& name) const {
  call("delete attribute", where(name), H5Adelete, object_.get(), name.c_str());
}

}  // namespace mammoth::h5
