// Element types: the numpy scalar types mammoth stores, with byte order and the
// numpy descr strings ('<f4', '>i8', '|b1', '<c16') in both directions.
#pragma once

#include <bit>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "mammoth/error.hpp"

namespace mammoth {

enum class ScalarType : std::uint8_t {
  Bool,
  Int8,
  Int16,
  Int32,
  Int64,
  UInt8,
  UInt16,
  UInt32,
  UInt64,
  Float16,  // a storage type: files keep it; no NdArray<T> holds it, compute_dtype() widens it
  Float32,
  Float64,
  Complex64,
  Complex128,
};

enum class Kind : std::uint8_t { Bool, Int, UInt, Float, Complex };

enum class ByteOrder : std::uint8_t { Little, Big };

constexpr ByteOrder native_byte_order() {
  return std::endian::native == std::endian::little ? ByteOrder::Little : ByteOrder::Big;
}

class DType {
 public:
  constexpr DType() = default;
  constexpr DType(ScalarType type, ByteOrder order = native_byte_order()) : type_(type), order_(order) {}

  constexpr ScalarType type() const { return type_; }
  // One-byte types always report the native order, so '|u1' == '<u1' == '>u1'.
  constexpr ByteOrder byte_order() const { return itemsize() == 1 ? native_byte_order() : order_; }
  constexpr bool is_native() const { return byte_order() == native_byte_order(); }
  constexpr DType native() const { return DType(type_); }
  constexpr DType with_order(ByteOrder order) const { return DType(type_, order); }

  constexpr std::size_t itemsize() const {
    switch (type_) {
      case ScalarType::Bool:
      case ScalarType::Int8:
      case ScalarType::UInt8:
        return 1;
      case ScalarType::Int16:
      case ScalarType::UInt16:
      case ScalarType::Float16:
        return 2;
      case ScalarType::Int32:
      case ScalarType::UInt32:
      case ScalarType::Float32:
        return 4;
      case ScalarType::Int64:
      case ScalarType::UInt64:
      case ScalarType::Float64:
      case ScalarType::Complex64:
        return 8;
      case ScalarType::Complex128:
        return 16;
    }
    return 0;
  }
  Kind kind() const;
  // Size of one real component: 4 for complex64, 2 for float16, itemsize otherwise.
  std::size_t component_size() const { return kind() == Kind::Complex ? itemsize() / 2 : itemsize(); }

  // numpy's descr: '<f4', '>i8', '|b1', '<c16'.
  std::string descr() const;
  // numpy's name: "float32", "int64", "complex128", "bool".
  std::string name() const;

  // Parses a numpy descr ('<f4', '=i8', 'f8', '|b1'). Throws TypeError naming
  // `context` for object, string, structured or unknown types.
  static DType from_descr(std::string_view descr, std::string_view context = "dtype");
  // Parses a user's spelling: "float32", "f4", "<f4", "int", "double", "complex64"…
  static DType parse(std::string_view text, std::string_view context = "dtype");

  friend constexpr bool operator==(DType a, DType b) { return a.type_ == b.type_ && a.byte_order() == b.byte_order(); }

 private:
  ScalarType type_ = ScalarType::Float64;
  ByteOrder order_ = native_byte_order();
};

template <class T>
struct ScalarTraits;
#define MAMMOTH_SCALAR(T, S)                          \
  template <>                                         \
  struct ScalarTraits<T> {                            \
    static constexpr ScalarType type = ScalarType::S; \
  }
MAMMOTH_SCALAR(bool, Bool);
MAMMOTH_SCALAR(std::int8_t, Int8);
MAMMOTH_SCALAR(std::int16_t, Int16);
MAMMOTH_SCALAR(std::int32_t, Int32);
MAMMOTH_SCALAR(std::int64_t, Int64);
MAMMOTH_SCALAR(std::uint8_t, UInt8);
MAMMOTH_SCALAR(std::uint16_t, UInt16);
MAMMOTH_SCALAR(std::uint32_t, UInt32);
MAMMOTH_SCALAR(std::uint64_t, UInt64);
MAMMOTH_SCALAR(float, Float32);
MAMMOTH_SCALAR(double, Float64);
MAMMOTH_SCALAR(std::complex<float>, Complex64);
MAMMOTH_SCALAR(std::complex<double>, Complex128);
#undef MAMMOTH_SCALAR

// The element types an NdArray<T> may hold.
template <class T>
concept Scalar = requires {
  ScalarTraits<std::remove_cv_t<T>>::type;
};

template <Scalar T>
constexpr DType dtype_of() {
  return DType(ScalarTraits<std::remove_cv_t<T>>::type);
}

// Calls f(std::type_identity<T>{}) with the C++ type of `type`: the one switch that
// turns a runtime dtype into a template instantiation. Float16 throws TypeError.
template <class F>
decltype(auto) visit_scalar(ScalarType type, F&& f) {
  switch (type) {
    case ScalarType::Bool:
      return f(std::type_identity<bool>{});
    case ScalarType::Int8:
      return f(std::type_identity<std::int8_t>{});
    case ScalarType::Int16:
      return f(std::type_identity<std::int16_t>{});
    case ScalarType::Int32:
      return f(std::type_identity<std::int32_t>{});
    case ScalarType::Int64:
      return f(std::type_identity<std::int64_t>{});
    case ScalarType::UInt8:
      return f(std::type_identity<std::uint8_t>{});
    case ScalarType::UInt16:
      return f(std::type_identity<std::uint16_t>{});
    case ScalarType::UInt32:
      return f(std::type_identity<std::uint32_t>{});
    case ScalarType::UInt64:
      return f(std::type_identity<std::uint64_t>{});
    case ScalarType::Float32:
      return f(std::type_identity<float>{});
    case ScalarType::Float64:
      return f(std::type_identity<double>{});
    case ScalarType::Complex64:
      return f(std::type_identity<std::complex<float>>{});
    case ScalarType::Complex128:
      return f(std::type_identity<std::complex<double>>{});
    case ScalarType::Float16:
      break;
  }
  throw TypeError("float16 has no C++ element type; read it as float32");
}

// Reverses the bytes of each of n items in place (complex: each component).
void byteswap(void* data, std::size_t n, DType dtype);

// Converts n items from one dtype to another (any byte order, float16 both ways).
// Casting follows C++ static_cast, as numpy's astype(casting='unsafe'); complex → real
// keeps the real part; to float16 rounds to nearest even. `src` and `dst` must not overlap.
void convert(const void* src, DType src_type, void* dst, DType dst_type, std::size_t n);

// float16 (IEEE binary16 bits) → float32, exact.
float half_to_float(std::uint16_t bits);
// float32 → float16 bits, rounded to nearest even (overflow to inf, NaN stays NaN).
std::uint16_t float_to_half(float value);

// The type data stored as `stored` is held and computed in: native byte order, float16
// widened to float32 (C++ has no float16 arithmetic). Outputs keep the stored type.
constexpr DType compute_dtype(DType stored) {
  return stored.type() == ScalarType::Float16 ? DType(ScalarType::Float32) : stored.native();
}

}  // namespace mammoth
