#include "mammoth/dtype.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

namespace mammoth {
namespace {

struct Spelling {
  char code;  // numpy kind character
  std::size_t size;
  ScalarType type;
  const char* name;
};

constexpr Spelling kSpellings[] = {
    {'b', 1, ScalarType::Bool, "bool"},           {'i', 1, ScalarType::Int8, "int8"},
    {'i', 2, ScalarType::Int16, "int16"},         {'i', 4, ScalarType::Int32, "int32"},
    {'i', 8, ScalarType::Int64, "int64"},         {'u', 1, ScalarType::UInt8, "uint8"},
    {'u', 2, ScalarType::UInt16, "uint16"},       {'u', 4, ScalarType::UInt32, "uint32"},
    {'u', 8, ScalarType::UInt64, "uint64"},       {'f', 2, ScalarType::Float16, "float16"},
    {'f', 4, ScalarType::Float32, "float32"},     {'f', 8, ScalarType::Float64, "float64"},
    {'c', 8, ScalarType::Complex64, "complex64"}, {'c', 16, ScalarType::Complex128, "complex128"},
};

const Spelling& spelling_of(ScalarType type) {
  for (const auto& s : kSpellings)
    if (s.type == type) return s;
  throw TypeError("unknown scalar type");
}

[[noreturn]] void unsupported(std::string_view context, std::string_view text, std::string_view why) {
  throw TypeError(std::string(context) + ": unsupported dtype '" + std::string(text) + "' (" + std::string(why) +
                  "; expected bool, int8..64, uint8..64, float16/32/64 or complex64/128)");
}

}  // namespace

Kind DType::kind() const {
  switch (spelling_of(type_).code) {
    case 'b':
      return Kind::Bool;
    case 'i':
      return Kind::Int;
    case 'u':
      return Kind::UInt;
    case 'f':
      return Kind::Float;
    default:
      return Kind::Complex;
  }
}

std::string DType::descr() const {
  const Spelling& s = spelling_of(type_);
  char order = itemsize() == 1 ? '|' : (byte_order() == ByteOrder::Little ? '<' : '>');
  return std::string(1, order) + s.code + std::to_string(s.size);
}

std::string DType::name() const {
  std::string n = spelling_of(type_).name;
  if (!is_native()) n += byte_order() == ByteOrder::Little ? " (little-endian)" : " (big-endian)";
  return n;
}

DType DType::from_descr(std::string_view descr, std::string_view context) {
  std::string_view rest = descr;
  ByteOrder order = native_byte_order();
  if (!rest.empty() && std::string_view("<>|=").find(rest.front()) != std::string_view::npos) {
    if (rest.front() == '<') order = ByteOrder::Little;
    if (rest.front() == '>') order = ByteOrder::Big;
    rest.remove_prefix(1);
  }
  if (rest == "?") rest = "b1";
  if (!rest.empty() && std::string_view("OSUVMmaw").find(rest.front()) != std::string_view::npos)
    unsupported(context, descr, "object, string, void or datetime types are not numeric arrays");
  if (rest.size() < 2) unsupported(context, descr, "too short");
  const char code = rest.front();
  std::size_t size = 0;
  for (char c : rest.substr(1)) {
    if (c < '0' || c > '9' || size > 1000) unsupported(context, descr, "bad item size");
    size = size * 10 + static_cast<std::size_t>(c - '0');
  }
  for (const auto& s : kSpellings)
    if (s.code == code && s.size == size) return DType(s.type, order);
  unsupported(context, descr, "unknown kind or size");
}

DType DType::parse(std::string_view text, std::string_view context) {
  static const std::pair<const char*, const char*> kAliases[] = {
      {"bool", "|b1"},   {"int8", "|i1"},  {"int16", "i2"},     {"int32", "i4"},       {"int64", "i8"},
      {"int", "i8"},     {"uint8", "|u1"}, {"uint16", "u2"},    {"uint32", "u4"},      {"uint64", "u8"},
      {"float16", "f2"}, {"half", "f2"},   {"float32", "f4"},   {"single", "f4"},      {"float", "f8"},
      {"float64", "f8"}, {"double", "f8"}, {"complex64", "c8"}, {"complex128", "c16"}, {"complex", "c16"},
      {"f", "f4"},       {"d", "f8"},      {"i", "i4"},         {"b", "|i1"},          {"B", "|u1"},
      {"h", "i2"},       {"H", "u2"},      {"l", "i8"},         {"L", "u8"},           {"q", "i8"},
      {"Q", "u8"},       {"F", "c8"},      {"D", "c16"},        {"?", "|b1"},
  };
  for (const auto& [alias, descr] : kAliases)
    if (text == alias) return from_descr(descr, context);
  return from_descr(text, context);
}

void byteswap(void* data, std::size_t n, DType dtype) {
  const std::size_t width = dtype.component_size();
  if (width == 1) return;
  const std::size_t count = n * (dtype.itemsize() / width);
  auto* bytes = static_cast<unsigned char*>(data);
  for (std::size_t i = 0; i < count; ++i) std::reverse(bytes + i * width, bytes + (i + 1) * width);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    exponent = 113;
    while ((mantissa & 0x400u) == 0) mantissa <<= 1, --exponent;
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

namespace {

// Items come from files at any offset (a numpy-valid .npy may put its data at an odd
// one), so they are copied in and out, never dereferenced in place; a bool byte other
// than 0/1 reads as true, as numpy's does.
template <class T>
T load(const std::byte* p) {
  if constexpr (std::is_same_v<T, bool>) {
    return std::to_integer<unsigned char>(*p) != 0;
  } else {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
}

template <class T>
void store(std::byte* p, const T& v) {
  std::memcpy(p, &v, sizeof v);
}

template <class T>
struct IsComplex : std::false_type {};
template <class T>
struct IsComplex<std::complex<T>> : std::true_type {};

template <class To, class From>
To cast_scalar(const From& v) {
  if constexpr (IsComplex<To>::value) {
    if constexpr (IsComplex<From>::value)
      return To(static_cast<typename To::value_type>(v.real()), static_cast<typename To::value_type>(v.imag()));
    else
      return To(static_cast<typename To::value_type>(v), 0);
  } else if constexpr (IsComplex<From>::value) {
    return static_cast<To>(v.real());
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace

std::uint16_t float_to_half(float value) {
  // Round to nearest even in integer arithmetic (F. Giesen's method): rebias the
  // exponent, add half an ulp of the target (plus one when the kept mantissa is odd).
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  bits &= 0x7fffffffu;
  std::uint16_t half;
  if (bits >= 0x47800000u) {  // >= 65536: inf, or NaN (kept quiet)
    half = bits > 0x7f800000u ? 0x7e00u : 0x7c00u;
  } else if (bits < 0x38800000u) {  // below 2^-14: subnormal or zero
    // Adding 0.5 lines the 10 mantissa bits up at the bottom; the FPU rounds to even.
    const float aligned = std::bit_cast<float>(bits) + 0.5f;
    half = static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(aligned) - 0x3f000000u);
  } else {
    const std::uint32_t odd = (bits >> 13) & 1u;
    bits += 0xc8000fffu + odd;  // exponent bias 127 -> 15, plus the rounding bias
    half = static_cast<std::uint16_t>(bits >> 13);
  }
  return static_cast<std::uint16_t>(half | sign);
}

namespace {

// Reads n native items of the source type, widening float16 to float32 first.
template <class F>
void with_native_source(const void* src, DType src_type, std::size_t n, std::vector<std::byte>& scratch, F&& f) {
  const void* p = src;
  if (!src_type.is_native()) {
    scratch.assign(static_cast<const std::byte*>(src), static_cast<const std::byte*>(src) + n * src_type.itemsize());
    byteswap(scratch.data(), n, src_type);
    p = scratch.data();
  }
  if (src_type.type() == ScalarType::Float16) {
    std::vector<float> wide(n);
    const auto* h = static_cast<const std::byte*>(p);
    for (std::size_t i = 0; i < n; ++i) wide[i] = half_to_float(load<std::uint16_t>(h + 2 * i));
    f(wide.data(), DType(ScalarType::Float32));
    return;
  }
  f(p, src_type.native());
}

}  // namespace

void convert(const void* src, DType src_type, void* dst, DType dst_type, std::size_t n) {
  if (dst_type.type() == ScalarType::Float16 && src_type.type() != ScalarType::Float16) {
    std::vector<float> wide(n);
    convert(src, src_type, wide.data(), DType(ScalarType::Float32), n);
    auto* out = static_cast<std::byte*>(dst);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint16_t h = float_to_half(wide[i]);
      std::memcpy(out + 2 * i, &h, 2);
    }
    if (!dst_type.is_native()) byteswap(dst, n, dst_type);
    return;
  }
  if (src_type.type() == dst_type.type()) {
    std::memcpy(dst, src, n * src_type.itemsize());
    if (src_type.byte_order() != dst_type.byte_order()) byteswap(dst, n, dst_type);
    return;
  }
  std::vector<std::byte> scratch;
  with_native_source(src, src_type, n, scratch, [&](const void* p, DType native_src) {
    visit_scalar(native_src.type(), [&]<class From>(std::type_identity<From>) {
      visit_scalar(dst_type.type(), [&]<class To>(std::type_identity<To>) {
        const auto* in = static_cast<const std::byte*>(p);
        auto* out = static_cast<std::byte*>(dst);
        for (std::size_t i = 0; i < n; ++i)
          store(out + i * sizeof(To), cast_scalar<To>(load<From>(in + i * sizeof(From))));
      });
    });
  });
  if (!dst_type.is_native()) byteswap(dst, n, dst_type);
}

}  // namespace mammoth
