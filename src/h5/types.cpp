#include "mammoth/h5/types.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "call.hpp"

namespace mammoth::h5 {

std::string kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Group:
      return "group";
    case ObjectKind::Dataset:
      return "dataset";
    case ObjectKind::NamedType:
      return "datatype";
    case ObjectKind::Missing:
      return "missing";
  }
  return "?";
}

namespace {

using detail::call;
using detail::open;

hid_t integer_type(DType d) {
  const bool big = d.byte_order() == ByteOrder::Big;
  switch (d.type()) {
    case ScalarType::Int8:
      return H5T_STD_I8LE;
    case ScalarType::UInt8:
      return H5T_STD_U8LE;
    case ScalarType::Int16:
      return big ? H5T_STD_I16BE : H5T_STD_I16LE;
    case ScalarType::UInt16:
      return big ? H5T_STD_U16BE : H5T_STD_U16LE;
    case ScalarType::Int32:
      return big ? H5T_STD_I32BE : H5T_STD_I32LE;
    case ScalarType::UInt32:
      return big ? H5T_STD_U32BE : H5T_STD_U32LE;
    case ScalarType::Int64:
      return big ? H5T_STD_I64BE : H5T_STD_I64LE;
    case ScalarType::UInt64:
      return big ? H5T_STD_U64BE : H5T_STD_U64LE;
    default:
      return -1;
  }
}

hid_t float_type(std::size_t size, ByteOrder order) {
  const bool big = order == ByteOrder::Big;
  return size == 4 ? (big ? H5T_IEEE_F32BE : H5T_IEEE_F32LE) : (big ? H5T_IEEE_F64BE : H5T_IEEE_F64LE);
}

const std::string kTypeContext = "HDF5 datatype";

}  // namespace

Handle make_file_type(DType d) {
  auto guard = detail::lock();
  detail::init_library();
  const std::string& ctx = kTypeContext;
  switch (d.kind()) {
    case Kind::Int:
    case Kind::UInt:
      return open("copy type", ctx, H5Tcopy, integer_type(d));
    case Kind::Bool: {
      // h5py: enum over int8 with FALSE=0, TRUE=1.
      Handle t = open("create enum", ctx, H5Tenum_create, H5T_NATIVE_INT8);
      const std::int8_t f = 0, tr = 1;
      call("insert enum member", ctx, H5Tenum_insert, t.get(), "FALSE", &f);
      call("insert enum member", ctx, H5Tenum_insert, t.get(), "TRUE", &tr);
      return t;
    }
    case Kind::Float: {
      if (d.type() != ScalarType::Float16)
        return open("copy type", ctx, H5Tcopy, float_type(d.itemsize(), d.byte_order()));
      // h5py's half: IEEE layout with 1 sign, 5 exponent (bias 15), 10 mantissa bits.
      Handle t = open("copy type", ctx, H5Tcopy, d.byte_order() == ByteOrder::Big ? H5T_IEEE_F32BE : H5T_IEEE_F32LE);
      call("set float fields", ctx, H5Tset_fields, t.get(), std::size_t{15}, std::size_t{10}, std::size_t{5},
           std::size_t{0}, std::size_t{10});
      call("set size", ctx, H5Tset_size, t.get(), std::size_t{2});
      call("set exponent bias", ctx, H5Tset_ebias, t.get(), std::size_t{15});
      return t;
    }
    case Kind::Complex: {
      const std::size_t part = d.component_size();
      Handle t = open("create compound", ctx, H5Tcreate, H5T_COMPOUND, 2 * part);
      call("insert member", ctx, H5Tinsert, t.get(), "r", std::size_t{0}, float_type(part, d.byte_order()));
      call("insert member", ctx, H5Tinsert, t.get(), "i", part, float_type(part, d.byte_order()));
      return t;
    }
  }
  throw TypeError("no HDF5 type for " + d.descr());
}

namespace {

ByteOrder order_of(hid_t type, const std::string& object) {
  return call("get byte order", object, H5Tget_order, type) == H5T_ORDER_BE ? ByteOrder::Big : ByteOrder::Little;
}

std::optional<DType> integer_dtype(hid_t type, const std::string& object) {
  const std::size_t size = call("get size", object, H5Tget_size, type);
  const bool is_signed = call("get sign", object, H5Tget_sign, type) == H5T_SGN_2;
  static constexpr ScalarType s[] = {ScalarType::Int8, ScalarType::Int16, ScalarType::Int32, ScalarType::Int64};
  static constexpr ScalarType u[] = {ScalarType::UInt8, ScalarType::UInt16, ScalarType::UInt32, ScalarType::UInt64};
  const int k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : -1;
  if (k < 0) return std::nullopt;
  return DType(is_signed ? s[k] : u[k], order_of(type, object));
}

std::optional<DType> float_dtype(hid_t type, const std::string& object) {
  const std::size_t size = call("get size", object, H5Tget_size, type);
  const ByteOrder order = order_of(type, object);
  if (size == 4) return DType(ScalarType::Float32, order);
  if (size == 8) return DType(ScalarType::Float64, order);
  if (size == 2) return DType(ScalarType::Float16, order);
  return std::nullopt;
}

bool is_bool_enum(hid_t type, const std::string& object) {
  if (call("count members", object, H5Tget_nmembers, type) != 2) return false;
  for (unsigned i = 0; i < 2; ++i) {
    char* name = H5Tget_member_name(type, i);
    if (!name) return false;
    const bool ok = std::strcmp(name, i == 0 ? "FALSE" : "TRUE") == 0;
    H5free_memory(name);
    if (!ok) return false;
  }
  return true;
}

std::optional<DType> complex_dtype(hid_t type, const std::string& object) {
  if (call("count members", object, H5Tget_nmembers, type) != 2) return std::nullopt;
  const std::size_t size = call("get size", object, H5Tget_size, type);
  std::optional<DType> part;
  for (unsigned i = 0; i < 2; ++i) {
    char* name = H5Tget_member_name(type, i);
    const bool named = name && std::strcmp(name, i == 0 ? "r" : "i") == 0;
    if (name) H5free_memory(name);
    if (!named) return std::nullopt;
    Handle member = detail::open("get member type", object, H5Tget_member_type, type, i);
    if (call("get class", object, H5Tget_class, member.get()) != H5T_FLOAT) return std::nullopt;
    auto d = float_dtype(member.get(), object);
    if (!d || d->type() == ScalarType::Float16 || (part && !(*part == *d))) return std::nullopt;
    if (H5Tget_member_offset(type, i) != i * d->itemsize()) return std::nullopt;
    part = d;
  }
  if (size != 2 * part->itemsize()) return std::nullopt;
  return DType(part->type() == ScalarType::Float32 ? ScalarType::Complex64 : ScalarType::Complex128,
               part->byte_order());
}

}  // namespace

DType dtype_from_type(Hid type, const std::string& object) {
  auto guard = detail::lock();
  std::optional<DType> d;
  switch (call("get type class", object, H5Tget_class, type)) {
    case H5T_INTEGER:
      d = integer_dtype(type, object);
      break;
    case H5T_FLOAT:
      d = float_dtype(type, object);
      break;
    case H5T_ENUM: {
      if (is_bool_enum(type, object)) {
        Handle base = detail::open("get enum base", object, H5Tget_super, type);
        if (call("get size", object, H5Tget_size, base.get()) == 1) return DType(ScalarType::Bool);
      }
      Handle base = detail::open("get enum base", object, H5Tget_super, type);
      d = integer_dtype(base.get(), object);  // other enums read as their integers, as h5py does
      break;
    }
    case H5T_COMPOUND:
      d = complex_dtype(type, object);
      break;
    case H5T_BITFIELD:
      // PyTables writes numpy bools as 8-bit bitfields holding 0 or 1.
      if (call("get size", object, H5Tget_size, type) == 1) return DType(ScalarType::Bool);
      break;
    default:
      break;
  }
  if (!d)
    throw TypeError(
        object + ": unsupported element type " + describe_type(type) +
        " (mammoth reads booleans, 8-bit bitfields as booleans, integers, floats and h5py's complex {r, i} compounds)");
  return *d;
}

std::string describe_type(Hid type) {
  auto guard = detail::lock();
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  const std::string bits = std::to_string(size * 8) + "-bit ";
  const auto order = [&] { return H5Tget_order(type) == H5T_ORDER_BE ? "big-endian " : "little-endian "; };
  switch (cls) {
    case H5T_INTEGER:
      return bits + order() + (H5Tget_sign(type) == H5T_SGN_2 ? "integer" : "unsigned integer");
    case H5T_FLOAT:
      return bits + order() + "float";
    case H5T_STRING:
      return H5Tis_variable_str(type) > 0 ? "variable-length string" : std::to_string(size) + "-byte string";
    case H5T_BITFIELD:
      return bits + "bitfield";
    case H5T_OPAQUE:
      return std::to_string(size) + "-byte opaque";
    case H5T_COMPOUND: {
      std::string s = "compound {";
      const int n = H5Tget_nmembers(type);
      for (int i = 0; i < n; ++i) {
        char* name = H5Tget_member_name(type, static_cast<unsigned>(i));
        s += (i ? ", " : "") + std::string(name ? name : "?");
        if (name) H5free_memory(name);
      }
      return s + "}";
    }
    case H5T_REFERENCE:
      return "reference";
    case H5T_ENUM:
      return bits + "enum";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_ARRAY:
      return "array type";
    case H5T_TIME:
      return "time";
    default:
      return "unknown type";
  }
}

Shape guess_chunks(const Shape& shape, std::size_t itemsize) {
  constexpr double kBase = 16 * 1024, kMin = 8 * 1024, kMax = 1024 * 1024;
  std::vector<double> chunks;
  for (auto n : shape) chunks.push_back(n == 0 ? 1024.0 : static_cast<double>(n));
  const auto bytes = [&] {
    double p = static_cast<double>(itemsize);
    for (double c : chunks) p *= c;
    return p;
  };
  if (chunks.empty()) return {};
  const double target = std::clamp(kBase * std::pow(2.0, std::log10(bytes() / (1024.0 * 1024))), kMin, kMax);
  for (std::size_t idx = 0;; ++idx) {
    const double b = bytes();
    if ((b < target || std::abs(b - target) / target < 0.5) && b < kMax) break;
    if (b == static_cast<double>(itemsize)) break;  // every axis is 1
    double& c = chunks[idx % chunks.size()];
    c = std::ceil(c / 2.0);
  }
  Shape out;
  for (double c : chunks) out.push_back(static_cast<std::int64_t>(c));
  return out;
}

namespace {

std::size_t next_prime(std::size_t n) {
  const auto prime = [](std::size_t k) {
    if (k < 2) return false;
    for (std::size_t d = 2; d * d <= k; ++d)
      if (k % d == 0) return false;
    return true;
  };
  while (!prime(n)) ++n;
  return n;
}

}  // namespace

ChunkCache cache_for_chunks(const Shape& shape, const Shape& chunks, std::size_t itemsize) {
  ChunkCache cache;
  if (chunks.empty() || chunks.size() != shape.size()) return cache;
  std::size_t chunk_bytes = itemsize;
  std::size_t band = 1;  // chunks one band of rows touches
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    chunk_bytes *= static_cast<std::size_t>(chunks[i]);
    if (i > 0) band *= static_cast<std::size_t>((std::max<std::int64_t>(shape[i], 1) + chunks[i] - 1) / chunks[i]);
  }
  const std::size_t cap = std::max<std::size_t>(64u << 20, chunk_bytes);
  // One chunk of slack: libhdf5 will not cache a chunk that would fill the cache exactly.
  cache.bytes = std::clamp((band + 1) * chunk_bytes, std::size_t{1} << 20, cap + chunk_bytes);
  // libhdf5 advises ~100× as many slots as chunks fit, and a prime.
  const std::size_t fit = cache.bytes / std::max<std::size_t>(chunk_bytes, 1) + 1;
  cache.slots = next_prime(std::clamp<std::size_t>(fit * 100, 521, 1 << 20));
  return cache;
}

}  // namespace mammoth::h5
