// .npy files: open_memmap by path alone, load/save, byte orders, Fortran order, append.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <complex>
#include <csignal>
#include <filesystem>

#include "mammoth/error.hpp"
#include "mammoth/npy.hpp"
#include "test_support.hpp"

namespace mammoth {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

CreateOptions options(DType dtype, Shape shape, Order order = Order::C) {
  CreateOptions o;
  o.dtype = dtype;
  o.shape = std::move(shape);
  o.order = order;
  return o;
}

TEST(NpyFile, CreateFillCloseReopenByPathAlone) {
  TempDir dir;
  const std::string path = dir.file("a.npy");
  Memmap m = create_npy(path, options(DType(ScalarType::Float32), {4, 5}));
  NdArray<float> a = m.as<float>();
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t j = 0; j < 5; ++j) a(i, j) = static_cast<float>(10 * i + j);
  m.flush();
  m.close();
  EXPECT_FALSE(m.is_open());

  const Memmap r = open_memmap(path);
  EXPECT_EQ(r.dtype(), DType(ScalarType::Float32));
  EXPECT_EQ(r.shape(), (Shape{4, 5}));
  EXPECT_EQ(r.offset(), 128);
  EXPECT_FALSE(r.array().writable());
  EXPECT_EQ(r.as<float>()(3, 4), 34.0f);
  EXPECT_EQ(std::filesystem::file_size(path), 128U + 80U);
}

TEST(NpyFile, ReadOnlyMappingRefusesWrites) {
  TempDir dir;
  save_npy(dir.file("a.npy"), NdArray<int>::full({3}, 7));
  const Memmap r = open_memmap(dir.file("a.npy"), Mode::Read);
  EXPECT_THROW(r.as<int>().fill(1), Error);
}

TEST(NpyFile, ReadWriteAndCopyOnWriteModes) {
  TempDir dir;
  const std::string path = dir.file("a.npy");
  save_npy(path, NdArray<double>::full({6}, 1.5));
  {
    Memmap c = open_memmap(path, Mode::CopyOnWrite);
    c.as<double>()(0) = 99;
    EXPECT_EQ(c.as<double>()(0), 99);
    c.flush();
  }
  EXPECT_EQ(load_npy(path).as<double>()(0), 1.5);  // 'c' never changes the file
  {
    Memmap w = open_memmap(path, Mode::ReadWrite);
    w.as<double>()(0) = 42;
  }  // RAII close flushes
  EXPECT_EQ(load_npy(path).as<double>()(0), 42);
}

TEST(NpyFile, ViewsOutliveClose) {
  TempDir dir;
  const std::string path = dir.file("a.npy");
  NdArray<std::int16_t> row;
  {
    Memmap m = create_npy(path, options(DType(ScalarType::Int16), {3, 4}));
    m.as<std::int16_t>().fill(5);
    row = m.as<std::int16_t>().row(2);
    m.close();
    EXPECT_THROW(m.array(), Error);
  }
  ASSERT_TRUE(row.storage()->is_mapped());
  row(1) = 9;  // still mapped, still shared with the file
  EXPECT_EQ(row(0), 5);
  row = NdArray<std::int16_t>();
  EXPECT_EQ(load_npy(path).as<std::int16_t>()(2, 1), 9);
}

template <class T>
void expect_round_trip(T a, T b) {
  TempDir dir;
  const auto x = NdArray<T>::from({a, b, a, b, b, a}, {2, 3});
  for (Order order : {Order::C, Order::Fortran}) {
    const NdArray<T> src = x.copy(order);
    save_npy(dir.file("x.npy"), src);
    const AnyArray back = load_npy(dir.file("x.npy"));
    EXPECT_EQ(read_npy_header(dir.file("x.npy")).order, order);
    EXPECT_TRUE(array_equal(back.as<T>(), x));
  }
}

TEST(NpyFile, SaveLoadEveryDtypeBothOrders) {
  expect_round_trip<bool>(true, false);
  expect_round_trip<std::int8_t>(-3, 100);
  expect_round_trip<std::int16_t>(-300, 30000);
  expect_round_trip<std::int32_t>(-3, 1 << 30);
  expect_round_trip<std::int64_t>(-3, std::int64_t{1} << 50);
  expect_round_trip<std::uint8_t>(3, 250);
  expect_round_trip<std::uint16_t>(3, 65000);
  expect_round_trip<std::uint32_t>(3, 4000000000U);
  expect_round_trip<std::uint64_t>(3, ~std::uint64_t{0});
  expect_round_trip<float>(-1.5f, 3.25f);
  expect_round_trip<double>(-1e300, 2.5);
  expect_round_trip<std::complex<float>>({1, 2}, {-3, 4});
  expect_round_trip<std::complex<double>>({1e10, -2}, {0, 0.5});
}

TEST(NpyFile, ZeroDimensionalAndEmptyArrays) {
  TempDir dir;
  save_npy(dir.file("s.npy"), NdArray<double>::scalar(3.5));
  const AnyArray s = load_npy(dir.file("s.npy"));
  EXPECT_EQ(s.ndim(), 0);
  EXPECT_EQ(s.as<double>().at(std::span<const std::int64_t>{}), 3.5);

  save_npy(dir.file("e.npy"), NdArray<float>::empty({0, 7}));
  const Memmap e = open_memmap(dir.file("e.npy"));
  EXPECT_EQ(e.shape(), (Shape{0, 7}));
  EXPECT_EQ(e.nbytes(), 0U);
  EXPECT_EQ(load_npy(dir.file("e.npy")).size(), 0);
}

TEST(NpyFile, BigEndianFilesReadCorrectly) {
  TempDir dir;
  // A file as numpy writes np.array([1, 258, -2], dtype='>i4'): header then big-endian ints.
  std::string file = format_npy_header(DType::from_descr(">i4"), {3}, Order::C);
  file += std::string("\x00\x00\x00\x01\x00\x00\x01\x02\xff\xff\xff\xfe", 12);
  write_file(dir.file("be.npy"), file);
  const Memmap m = open_memmap(dir.file("be.npy"));
  EXPECT_EQ(m.dtype().byte_order(), ByteOrder::Big);
  EXPECT_THROW(m.as<std::int32_t>(), TypeError);  // not silently wrong
  const AnyArray native = load_npy(dir.file("be.npy"));
  EXPECT_EQ(native.as<std::int32_t>()(1), 258);
  EXPECT_EQ(native.as<std::int32_t>()(2), -2);
  // Saved big-endian stays big-endian.
  save_npy(dir.file("be2.npy"), m.array());
  EXPECT_EQ(read_file(dir.file("be2.npy")), file);
}

TEST(NpyFile, Float16IsReadAsFloat32) {
  TempDir dir;
  std::string file = format_npy_header(DType::from_descr("<f2"), {3}, Order::C);
  file += std::string("\x00\x3c\x00\xc0\x00\x35", 6);  // 1.0, -2.0, 0.3125
  write_file(dir.file("h.npy"), file);
  const AnyArray a = load_npy(dir.file("h.npy"));
  EXPECT_EQ(a.dtype(), DType(ScalarType::Float32));
  EXPECT_EQ(a.as<float>()(0), 1.0f);
  EXPECT_EQ(a.as<float>()(1), -2.0f);
  EXPECT_EQ(a.as<float>()(2), 0.3125f);
}

TEST(NpyFile, FortranOrderReadsLogically) {
  TempDir dir;
  // Column-major bytes of [[1, 2, 3], [4, 5, 6]].
  std::string file = format_npy_header(DType::from_descr("<i2"), {2, 3}, Order::Fortran);
  for (std::int16_t v : {1, 4, 2, 5, 3, 6}) file.append(reinterpret_cast<const char*>(&v), 2);
  write_file(dir.file("f.npy"), file);
  const Memmap m = open_memmap(dir.file("f.npy"));
  EXPECT_EQ(m.order(), Order::Fortran);
  EXPECT_EQ(m.as<std::int16_t>()(0, 2), 3);
  EXPECT_EQ(m.as<std::int16_t>()(1, 0), 4);
}

TEST(NpyFile, AppendRowsInPlace) {
  TempDir dir;
  const std::string path = dir.file("grow.npy");
  save_npy(path, NdArray<double>::full({2, 3}, 1.0));
  const auto header_before = read_npy_header(path).data_offset;
  append_rows(path, NdArray<double>::full({1, 3}, 2.0));
  append_rows(path, NdArray<float>::full({2, 3}, 3.0f));  // converted to the file's dtype
  const NpyHeader h = read_npy_header(path);
  EXPECT_EQ(h.shape, (Shape{5, 3}));
  EXPECT_EQ(h.data_offset, header_before);
  const auto a = load_npy(path).as<double>();
  EXPECT_EQ(a(1, 2), 1.0);
  EXPECT_EQ(a(2, 0), 2.0);
  EXPECT_EQ(a(4, 2), 3.0);
  EXPECT_THROW(append_rows(path, NdArray<double>::full({1, 4}, 0.0)), ShapeError);
}

TEST(NpyFile, AppendRefusesAHeaderWithoutRoom) {
  TempDir dir;
  // A header with no growth room (as writers other than numpy make): shape (9, 1 × 20)
  // fills 127 of its 128 bytes, so the first extent can reach 10 but not 100.
  Shape shape(21, 1);
  shape[0] = 9;
  const std::string dict = npy_header_dict(DType::from_descr("<f8"), shape, Order::C);
  ASSERT_EQ(10 + dict.size() + 1, 127U);
  std::string file = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(118) + '\0' + dict + " \n";
  file += std::string(72, '\0');
  const std::string path = dir.file("tight.npy");
  write_file(path, file);
  Shape rows(21, 1);
  append_rows(path, NdArray<double>::full(rows, 1.0));
  EXPECT_EQ(read_npy_header(path).shape[0], 10);
  const std::string before = read_file(path);
  rows[0] = 90;
  try {
    append_rows(path, NdArray<double>::full(rows, 2.0));
    ADD_FAILURE() << "appended past the header's room";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("no room"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(path), before);
}

TEST(NpyFile, SaveIsAtomic) {
  TempDir dir;
  const std::string path = dir.file("keep.npy");
  save_npy(path, NdArray<std::int32_t>::full({4}, 7));
  const std::string before = read_file(path);
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{1 << 20, 1 << 20};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      save_npy(path, NdArray<double>::zeros({1 << 20}));  // 8 MiB over a 1 MiB limit
    } catch (const IoError&) {
      ::_exit(0);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_file(path), before);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // no temporary left behind
}

TEST(NpyFile, WritesVersions2And3OnRequest) {
  TempDir dir;
  save_npy(dir.file("v2.npy"), NdArray<float>::full({2}, 1.0f), 2);
  save_npy(dir.file("v3.npy"), NdArray<float>::full({2}, 1.0f), 3);
  EXPECT_EQ(read_npy_header(dir.file("v2.npy")).major, 2);
  EXPECT_EQ(read_npy_header(dir.file("v3.npy")).major, 3);
  EXPECT_EQ(load_npy(dir.file("v3.npy")).as<float>()(1), 1.0f);
}

TEST(NpyFile, StoreReportsItsProperties) {
  TempDir dir;
  save_npy(dir.file("p.npy"), NdArray<float>::zeros({3, 2}, Order::Fortran));
  const auto store = open_store(dir.file("p.npy"));
  const auto props = store->properties();
  auto get = [&](const std::string& k) {
    for (const auto& [key, v] : props)
      if (key == k) return v;
    return std::string();
  };
  EXPECT_EQ(get("format"), "npy");
  EXPECT_EQ(get("version"), "1.0");
  EXPECT_EQ(get("order"), "F");
  EXPECT_EQ(get("offset"), "128");
  EXPECT_EQ(get("bytes"), "24");
}

}  // namespace
}  // namespace mammoth
