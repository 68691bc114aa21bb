// The .npy header against bytes numpy 1.24 wrote (numpy.lib.format._write_array_header),
// and the parser against every kind of corrupt file.
#include <gtest/gtest.h>

#include <string>

#include "mammoth/error.hpp"
#include "mammoth/npy.hpp"
#include "test_support.hpp"

namespace mammoth {
namespace {

using testing::TempDir;
using testing::write_file;

std::string bytes(const char* s, std::size_t n) { return std::string(s, n); }
#define NUMPY_HEADER(lit) bytes(lit, sizeof(lit) - 1)

// Expected bytes printed by numpy 1.24.2 (Debian 12's python3-numpy).
const std::string kF4Rows = NUMPY_HEADER(
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1000000), }"
    "                                                    \n");
const std::string kScalar = NUMPY_HEADER(
    "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (), }"
    "                                                              \n");
const std::string kFortran = NUMPY_HEADER(
    "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': True, 'shape': (3, 4), }"
    "                                                           \n");
const std::string kBigEndian = NUMPY_HEADER(
    "\x93NUMPY\x01\x00v\x00{'descr': '>i8', 'fortran_order': False, 'shape': (5,), }"
    "                                                            \n");
const std::string kVersion2 = NUMPY_HEADER(
    "\x93NUMPY\x02\x00t\x00\x00\x00{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }"
    "                                                        \n");
const std::string kVersion3 = NUMPY_HEADER(
    "\x93NUMPY\x03\x00t\x00\x00\x00{'descr': '<c16', 'fortran_order': True, 'shape': (2, 3), }"
    "                                                        \n");

TEST(NpyHeader, FormatsExactlyAsNumpy) {
  EXPECT_EQ(format_npy_header(DType::from_descr("<f4"), {0, 1000000}, Order::C), kF4Rows);
  EXPECT_EQ(format_npy_header(DType::from_descr("<f8"), {}, Order::C), kScalar);
  EXPECT_EQ(format_npy_header(DType::from_descr("<f8"), {3, 4}, Order::Fortran), kFortran);
  EXPECT_EQ(format_npy_header(DType::from_descr(">i8"), {5}, Order::C), kBigEndian);
  EXPECT_EQ(format_npy_header(DType::from_descr("<u2"), {2, 3}, Order::C, 2), kVersion2);
  EXPECT_EQ(format_npy_header(DType::from_descr("<c16"), {2, 3}, Order::Fortran, 3), kVersion3);
}

TEST(NpyHeader, IsAlignedTo64Bytes) {
  for (std::int64_t n : {0LL, 1LL, 9LL, 123456789LL, 1000000000000LL})
    for (int v : {1, 2, 3})
      EXPECT_EQ(format_npy_header(DType(ScalarType::Float32), {n, 7, 3}, Order::C, v).size() % 64, 0U);
}

TEST(NpyHeader, ParsesNumpyHeaders) {
  NpyHeader h = parse_npy_header(kFortran, static_cast<std::int64_t>(kFortran.size()) + 96, "f.npy");
  EXPECT_EQ(h.dtype, DType::from_descr("<f8"));
  EXPECT_EQ(h.shape, (Shape{3, 4}));
  EXPECT_EQ(h.order, Order::Fortran);
  EXPECT_EQ(h.data_offset, 128);
  EXPECT_EQ(h.version_string(), "1.0");

  h = parse_npy_header(kBigEndian, 128 + 40, "b.npy");
  EXPECT_EQ(h.dtype.byte_order(), ByteOrder::Big);
  EXPECT_EQ(h.shape, (Shape{5}));

  h = parse_npy_header(kVersion3, 128 + 96, "v3.npy");
  EXPECT_EQ(h.major, 3);
  EXPECT_EQ(h.dtype.type(), ScalarType::Complex128);

  h = parse_npy_header(kScalar, 136, "s.npy");
  EXPECT_TRUE(h.shape.empty());
}

TEST(NpyHeader, AcceptsOtherKeyOrderAndPython2Longs) {
  std::string dict = "{'shape': (2L, 3L), 'fortran_order': False, 'descr': '<i4'}";
  dict.append(64 - (10 + dict.size() + 1) % 64, ' ');
  dict += '\n';
  std::string header = std::string("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(dict.size());
  header += '\0';
  header += dict;
  const NpyHeader h = parse_npy_header(header, static_cast<std::int64_t>(header.size()) + 24, "py2.npy");
  EXPECT_EQ(h.shape, (Shape{2, 3}));
  EXPECT_EQ(h.dtype.type(), ScalarType::Int32);
}

// A v1.0 file whose header dict is `dict`, followed by `data_bytes` zero bytes.
std::string npy_with_dict(const std::string& dict, std::size_t data_bytes) {
  std::string body = dict;
  body.append(64 - (10 + body.size() + 1) % 64, ' ');
  body += '\n';
  std::string file = std::string("\x93NUMPY\x01\x00", 8);
  file += static_cast<char>(body.size() & 0xff);
  file += static_cast<char>(body.size() >> 8);
  return file + body + std::string(data_bytes, '\0');
}

struct BadFile {
  const char* name;
  std::string content;
  bool type_error;  // TypeError rather than FormatError
  const char* says;
};

std::vector<BadFile> bad_files() {
  return {
      {"empty", "", false, "empty"},
      {"magic", "PK\x03\x04 this is a zip file, not npy", false, "not a .npy file"},
      {"version", std::string("\x93NUMPY\x04\x00\x10\x00", 10) + std::string(16, ' '), false, "version 4.0"},
      {"short_prefix", std::string("\x93NUMPY\x01", 7), false, "truncated"},
      {"header_past_end", std::string("\x93NUMPY\x01\x00\xff\xff", 10) + "{'descr': '<f4'", false, "past the end"},
      {"header_past_end_v2", std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12) + "{", false, "past the end"},
      {"truncated_data", npy_with_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (10, 10), }", 799), false,
       "truncated"},
      {"negative_shape", npy_with_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (-5, 3), }", 0), false,
       "negative"},
      {"overflow_shape",
       npy_with_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999, 3), }", 0), false,
       "overflow"},
      {"overflow_product",
       npy_with_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4000000000), }", 0), false,
       "overflow"},
      {"object_dtype", npy_with_dict("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", 24), true,
       "unsupported dtype"},
      {"structured_dtype",
       npy_with_dict("{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (3,), }", 36), true,
       "structured"},
      {"string_dtype", npy_with_dict("{'descr': '<U5', 'fortran_order': False, 'shape': (3,), }", 60), true,
       "unsupported dtype"},
      {"missing_key", npy_with_dict("{'descr': '<f8', 'shape': (3,), }", 24), false, "lacks"},
      {"extra_key", npy_with_dict("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': 1}", 24), false,
       "unexpected key"},
      {"junk_dict", npy_with_dict("{'descr': '<f8', 'fortran_order': Maybe, 'shape': (3,), }", 24), false,
       "True or False"},
      {"unterminated", npy_with_dict("{'descr': '<f8", 24), false, "unterminated"},
  };
}

TEST(NpyHeader, EveryCorruptFileGetsAClearError) {
  TempDir dir;
  for (const BadFile& bad : bad_files()) {
    SCOPED_TRACE(bad.name);
    const std::string path = dir.file(std::string(bad.name) + ".npy");
    write_file(path, bad.content);
    try {
      open_memmap(path);
      ADD_FAILURE() << "no error for " << bad.name;
    } catch (const TypeError& e) {
      EXPECT_TRUE(bad.type_error) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(bad.says), std::string::npos) << e.what();
    } catch (const FormatError& e) {
      EXPECT_FALSE(bad.type_error) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(bad.says), std::string::npos) << e.what();
    }
    EXPECT_THROW(load_npy(path), Error);
    EXPECT_THROW(read_npy_header(path), Error);
  }
}

TEST(NpyHeader, EveryCorruptFileFailsTheCliCleanly) {
  TempDir dir;
  for (const BadFile& bad : bad_files()) {
    SCOPED_TRACE(bad.name);
    const std::string path = dir.file(std::string(bad.name) + ".npy");
    write_file(path, bad.content);
    for (const auto& args :
         {std::vector<std::string>{"info", path}, std::vector<std::string>{"convert", path, dir.file("out.npy")}}) {
      const auto r = testing::run_cli(args);
      EXPECT_EQ(r.status, 1) << r.err;
      EXPECT_EQ(r.err.rfind("mammoth: error: " + path + ": ", 0), 0U) << r.err;
    }
  }
}

}  // namespace
}  // namespace mammoth
