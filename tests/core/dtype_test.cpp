#include "mammoth/dtype.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <vector>

using namespace mammoth;

TEST(DType, DescrRoundTripsEverySupportedType) {
  for (const char* d : {"|b1", "|i1", "<i2", "<i4",  "<i8", "|u1", "<u2", "<u4", "<u8",  "<f2",
                        "<f4", "<f8", "<c8", "<c16", ">i2", ">i8", ">f4", ">f8", ">c16", ">u4"})
    EXPECT_EQ(DType::from_descr(d).descr(), d) << d;
}

TEST(DType, NativeAndNoOrderSpellings) {
  EXPECT_EQ(DType::from_descr("=f8"), DType(ScalarType::Float64));
  EXPECT_EQ(DType::from_descr("f4"), dtype_of<float>());
  EXPECT_EQ(DType::from_descr("?"), dtype_of<bool>());
  EXPECT_EQ(DType::from_descr(">u1"), DType::from_descr("<u1"));  // one byte has no order
}

TEST(DType, ItemSizesAndNames) {
  EXPECT_EQ(dtype_of<std::complex<double>>().itemsize(), 16u);
  EXPECT_EQ(dtype_of<std::int16_t>().itemsize(), 2u);
  EXPECT_EQ(dtype_of<float>().name(), "float32");
  EXPECT_EQ(DType::from_descr(">f8").name(), "float64 (big-endian)");
  EXPECT_EQ(DType::from_descr("<c8").kind(), Kind::Complex);
}

TEST(DType, ParsesUserSpellings) {
  EXPECT_EQ(DType::parse("float32"), dtype_of<float>());
  EXPECT_EQ(DType::parse("double"), dtype_of<double>());
  EXPECT_EQ(DType::parse("uint16"), dtype_of<std::uint16_t>());
  EXPECT_EQ(DType::parse("complex64"), dtype_of<std::complex<float>>());
  EXPECT_EQ(DType::parse(">i4"), DType(ScalarType::Int32, ByteOrder::Big));
}

TEST(DType, RejectsNonNumericTypesWithContext) {
  for (const char* bad : {"|O", "<U10", "|S5", "|V8", "<M8", "<f3", "", "<", "xyz", "<i16"}) {
    try {
      DType::from_descr(bad, "data.npy");
      FAIL() << "accepted " << bad;
    } catch (const TypeError& e) {
      EXPECT_NE(std::string(e.what()).find("data.npy"), std::string::npos) << e.what();
    }
  }
}

TEST(DType, ObjectDtypeSaysWhyNotTooShort) {
  try {
    DType::from_descr("|O", "x.npy");
    FAIL();
  } catch (const TypeError& e) {
    EXPECT_NE(std::string(e.what()).find("not numeric"), std::string::npos) << e.what();
  }
}

TEST(DType, ByteswapReversesEachComponent) {
  std::uint32_t v = 0x01020304u;
  byteswap(&v, 1, dtype_of<std::uint32_t>());
  EXPECT_EQ(v, 0x04030201u);
  std::complex<float> c(1.0f, 2.0f);
  byteswap(&c, 1, dtype_of<std::complex<float>>());
  byteswap(&c, 1, dtype_of<std::complex<float>>());
  EXPECT_EQ(c, std::complex<float>(1.0f, 2.0f));
}

TEST(DType, ConvertCastsAndSwaps) {
  const std::vector<double> src{1.5, -2.0, 0.0, 3e9};
  std::vector<std::int32_t> ints(4);
  convert(src.data(), dtype_of<double>(), ints.data(), dtype_of<std::int32_t>(), 3);
  EXPECT_EQ(ints[0], 1);
  EXPECT_EQ(ints[1], -2);
  std::vector<float> big(4);
  convert(src.data(), dtype_of<double>(), big.data(), DType(ScalarType::Float32, ByteOrder::Big), 4);
  std::vector<double> back(4);
  convert(big.data(), DType(ScalarType::Float32, ByteOrder::Big), back.data(), dtype_of<double>(), 4);
  EXPECT_EQ(back[0], 1.5);
  EXPECT_EQ(back[3], 3e9);
  std::uint8_t flags[4];
  convert(src.data(), dtype_of<double>(), flags, dtype_of<bool>(), 4);
  EXPECT_EQ(flags[0], 1);
  EXPECT_EQ(flags[2], 0);
}

TEST(DType, HalfToFloatIsExact) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(half_to_float(0x0001), 5.9604644775390625e-08f);
  EXPECT_TRUE(std::isinf(half_to_float(0x7c00)));
  std::uint16_t h[2] = {0x3800, 0x4200};  // 0.5, 3.0
  float f[2];
  convert(h, DType(ScalarType::Float16), f, dtype_of<float>(), 2);
  EXPECT_EQ(f[0], 0.5f);
  EXPECT_EQ(f[1], 3.0f);
}

TEST(DType, Float16RoundTripsEveryBitPatternAndRoundsToEven) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = half_to_float(h);
    if (std::isnan(f))
      EXPECT_TRUE(std::isnan(half_to_float(float_to_half(f)))) << bits;
    else
      EXPECT_EQ(float_to_half(f), h) << bits;
  }
  EXPECT_EQ(float_to_half(1.0f + 0x1p-11f), 0x3c00);      // a tie: to the even 1.0
  EXPECT_EQ(float_to_half(1.0f + 3 * 0x1p-11f), 0x3c02);  // a tie: to the even 1 + 2^-9
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);             // rounds down to the largest
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);             // rounds up to inf
  EXPECT_EQ(float_to_half(-1e-9f), 0x8000);               // underflows to -0
  EXPECT_EQ(float_to_half(0x1p-24f * 1.5f), 0x0002);      // subnormal tie: to even
  float wide[2] = {2.5f, -1024.0f};
  std::uint16_t narrow[2];
  convert(wide, dtype_of<float>(), narrow, DType(ScalarType::Float16), 2);
  EXPECT_EQ(narrow[0], 0x4100);
  EXPECT_EQ(narrow[1], 0xe400);
  EXPECT_EQ(compute_dtype(DType(ScalarType::Float16)), dtype_of<float>());
}
