// Raw memory maps with numpy.memmap semantics, preallocation, bounded resident memory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "mammoth/error.hpp"
#include "mammoth/memmap.hpp"
#include "mammoth/npy.hpp"
#include "mammoth/ooc/copy.hpp"
#include "test_support.hpp"

namespace mammoth {
namespace {

using testing::mapping_rss_kib;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

CreateOptions options(DType dtype, Shape shape, bool preallocate = true) {
  CreateOptions o;
  o.dtype = dtype;
  o.shape = std::move(shape);
  o.preallocate = preallocate;
  return o;
}

double rss_file_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RssFile:", 0) == 0) return std::stod(line.substr(8)) / 1024.0;
  return 0;
}

TEST(Memmap, RawReadWriteAndShapeInference) {
  TempDir dir;
  const std::string path = dir.file("a.dat");
  {
    Memmap m = Memmap::create_raw(path, options(DType(ScalarType::Int32), {2, 3}));
    auto a = m.as<std::int32_t>();
    std::iota(a.span().begin(), a.span().end(), 0);
  }
  EXPECT_EQ(std::filesystem::file_size(path), 24U);
  const Memmap r = Memmap::open_raw(path, RawLayout{DType(ScalarType::Int32), {}, 8, Order::C});
  EXPECT_EQ(r.shape(), (Shape{4}));  // (24 - 8) / 4 items after the offset
  EXPECT_EQ(r.as<std::int32_t>()(0), 2);
  const Memmap f = Memmap::open_raw(path, RawLayout{DType(ScalarType::Int32), {3, 2}, 0, Order::Fortran});
  EXPECT_EQ(f.as<std::int32_t>()(0, 1), 3);  // column-major view of 0..5
}

TEST(Memmap, ModesBehaveAsNumpy) {
  TempDir dir;
  const std::string path = dir.file("m.dat");
  Memmap::create_raw(path, options(DType(ScalarType::Float64), {4})).close();
  const RawLayout layout{DType(ScalarType::Float64), {4}, 0, Order::C};
  {
    Memmap r = Memmap::open_raw(path, layout, Mode::Read);
    EXPECT_FALSE(r.array().writable());
    EXPECT_THROW(r.as<double>().fill(1), Error);
  }
  {
    Memmap c = Memmap::open_raw(path, layout, Mode::CopyOnWrite);
    c.as<double>().fill(3);
    c.advise(Access::DontNeed);  // must not throw away private changes
    EXPECT_EQ(c.as<double>()(2), 3);
  }
  EXPECT_EQ(Memmap::open_raw(path, layout).as<double>()(2), 0);  // 'c' left the file alone
  {
    Memmap rw = Memmap::open_raw(path, layout, Mode::ReadWrite);
    rw.as<double>()(2) = 8;
    rw.flush();
  }
  EXPECT_EQ(Memmap::open_raw(path, layout).as<double>()(2), 8);
  EXPECT_THROW(Memmap::open_raw(path, layout, Mode::Write), Error);  // w+ creates: create_raw
}

TEST(Memmap, BadRawLayoutsAreErrors) {
  TempDir dir;
  const std::string path = dir.file("odd.dat");
  write_file(path, std::string(10, 'x'));
  EXPECT_THROW(Memmap::open_raw(path, RawLayout{DType(ScalarType::Float32), {}, 0, Order::C}), FormatError);
  EXPECT_THROW(Memmap::open_raw(path, RawLayout{DType(ScalarType::Float32), {3}, 0, Order::C}), FormatError);
  EXPECT_THROW(Memmap::open_raw(path, RawLayout{DType(ScalarType::UInt8), {}, 11, Order::C}), FormatError);
  EXPECT_THROW(Memmap::open_raw(dir.file("missing.dat"), RawLayout{}), IoError);
  EXPECT_THROW(Memmap::open_raw(dir.path().string(), RawLayout{}), IoError);
  try {
    Memmap::open_raw(path, RawLayout{DType(ScalarType::Float32), {3}, 0, Order::C});
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

TEST(Memmap, ViewsKeepTheMappingAfterCloseAndDestruction) {
  TempDir dir;
  NdArray<float> view;
  {
    Memmap m = Memmap::create_raw(dir.file("v.dat"), options(DType(ScalarType::Float32), {8, 8}));
    m.as<float>().fill(2.5f);
    view = m.as<float>().slice({Slice::range(2, 4), Slice::range(0, 8, 2)});
    m.close();
    EXPECT_THROW(m.flush(), Error);
    EXPECT_THROW(m.as<float>(), Error);
  }
  EXPECT_EQ(view.shape(), (Shape{2, 4}));
  EXPECT_EQ(view(1, 3), 2.5f);
  view(0, 0) = 1;  // writes still reach the file through the surviving mapping
  view = NdArray<float>();
  const Memmap r = Memmap::open_raw(dir.file("v.dat"), RawLayout{DType(ScalarType::Float32), {8, 8}, 0, Order::C});
  EXPECT_EQ(r.as<float>()(2, 0), 1);
}

TEST(Memmap, PreallocatesUnlessAskedForSparse) {
  TempDir dir;
  constexpr std::int64_t kBytes = 8 << 20;
  Memmap::create_raw(dir.file("full.dat"), options(DType(ScalarType::UInt8), {kBytes})).close();
  Memmap::create_raw(dir.file("sparse.dat"), options(DType(ScalarType::UInt8), {kBytes}, false)).close();
  struct stat full {
  }, sparse{};
  ASSERT_EQ(::stat(dir.file("full.dat").c_str(), &full), 0);
  ASSERT_EQ(::stat(dir.file("sparse.dat").c_str(), &sparse), 0);
  EXPECT_EQ(full.st_size, kBytes);
  EXPECT_EQ(sparse.st_size, kBytes);
  EXPECT_GE(full.st_blocks * 512, kBytes);
  EXPECT_LT(sparse.st_blocks * 512, kBytes / 8);
}

// In a child: creation past RLIMIT_FSIZE must be an IoError (EFBIG) at creation, never a
// signal later; the old file of that name stays intact and no temporary is left.
TEST(Memmap, FileSizeLimitFailsAtCreation) {
  TempDir dir;
  const std::string path = dir.file("big.npy");
  write_file(path, "old contents");
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{1 << 20, 1 << 20};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    int code = 1;
    try {
      create_npy(path, options(DType(ScalarType::Float64), {1 << 20}));
    } catch (const IoError& e) {
      code = e.errnum() == EFBIG && std::string(e.what()).find(path) != std::string::npos ? 0 : 3;
    } catch (...) {
      code = 2;
    }
    try {
      Memmap::create_raw(dir.file("big.dat"), options(DType(ScalarType::Float64), {1 << 20}));
      code = code ? code : 4;
    } catch (const IoError&) {
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_file(path), "old contents");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

// numpy's w+ truncates the file under any live mapping (SIGBUS on the next access); mammoth
// builds the new file beside it and renames, so old views keep the old bytes.
TEST(Memmap, RecreatingAFileLeavesOldViewsValid) {
  TempDir dir;
  const std::string path = dir.file("again.npy");
  Memmap first = create_npy(path, options(DType(ScalarType::Float64), {1000}));
  first.as<double>().fill(1.0);
  const NdArray<double> old_view = first.as<double>();
  Memmap second = create_npy(path, options(DType(ScalarType::Float64), {10}));
  second.as<double>().fill(2.0);
  second.close();
  EXPECT_EQ(old_view(999), 1.0);
  EXPECT_EQ(load_npy(path).as<double>()(9), 2.0);
  EXPECT_EQ(load_npy(path).size(), 10);
}

TEST(Memmap, ExclusiveModeRefusesAnExistingFile) {
  TempDir dir;
  write_file(dir.file("x.dat"), "keep");
  EXPECT_THROW(Memmap::create_raw(dir.file("x.dat"), options(DType(ScalarType::UInt8), {4}), 0, Mode::Exclusive),
               IoError);
  EXPECT_EQ(read_file(dir.file("x.dat")), "keep");
  Memmap::create_raw(dir.file("new.dat"), options(DType(ScalarType::UInt8), {4}), 0, Mode::Exclusive).close();
  EXPECT_TRUE(std::filesystem::exists(dir.file("new.dat")));
}

// Writing 64 MiB through the mapping: with release() per block resident memory stays
// near one block; without it, it grows with the file (which shows the test measures).
TEST(Memmap, ReleaseKeepsResidentMemoryBounded) {
  TempDir dir;
  constexpr std::int64_t kRows = 64, kCols = 1 << 18;  // 64 × 1 MiB of float32
  auto fill = [&](bool release) {
    Memmap m = Memmap::create_raw(dir.file("r.dat"), options(DType(ScalarType::Float32), {kRows, kCols}));
    const double before = rss_file_mib();
    double peak = 0;
    auto a = m.as<float>();
    for (std::int64_t i = 0; i < kRows; ++i) {
      std::fill_n(a.row(i).data(), kCols, static_cast<float>(i));
      if (release) m.release(Box::rows(m.shape(), i, i + 1));
      peak = std::max(peak, rss_file_mib() - before);
    }
    m.close();
    return peak;
  };
  EXPECT_LT(fill(true), 8.0);
  EXPECT_GT(fill(false), 48.0);
  const Memmap r =
      Memmap::open_raw(dir.file("r.dat"), RawLayout{DType(ScalarType::Float32), {kRows, kCols}, 0, Order::C});
  EXPECT_EQ(r.as<float>()(63, kCols - 1), 63.0f);  // released pages were written, not lost
}

// Reading the last row of a reopened file brings in that row's pages and no others.
TEST(Memmap, ReadingOneRowMakesOnlyThatRowResident) {
  TempDir dir;
  const std::string path = dir.file("rows.npy");
  constexpr std::int64_t kRows = 32, kCols = 1 << 16;  // 32 × 256 KiB
  {
    Memmap m = create_npy(path, options(DType(ScalarType::Float32), {kRows, kCols}));
    m.as<float>().fill(1.0f);
    m.close();
  }
  {  // written back, so the kernel can drop the clean pages from its cache
    const int fd = ::open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
  Memmap m = open_memmap(path);
  m.advise(Access::Random);
  const Box whole = Box::whole(m.shape());
  const std::size_t row_bytes = kCols * sizeof(float);
  if (m.resident_bytes(whole) > row_bytes) GTEST_SKIP() << "page cache could not be dropped here";
  EXPECT_EQ(mapping_rss_kib(m.array().data()), 0.0);
  const auto row = m.as<float>().row(-1);
  double sum = 0;
  for (float v : row) sum += v;
  EXPECT_EQ(sum, static_cast<double>(kCols));
  // The row spans 65 pages (it is not page aligned); the page cache may also hold the
  // header page and the little the header read brought in.
  EXPECT_LE(mapping_rss_kib(m.array().data()), (row_bytes + 4096) / 1024.0);
  EXPECT_LE(m.resident_bytes(whole), row_bytes + 64 * 1024);
  EXPECT_GE(m.resident_bytes(Box::rows(m.shape(), kRows - 1, kRows)), row_bytes);
}

TEST(Memmap, AccessHintsAreAccepted) {
  TempDir dir;
  Memmap m = Memmap::create_raw(dir.file("h.dat"), options(DType(ScalarType::Float64), {100, 100}));
  for (Access a : {Access::Normal, Access::Sequential, Access::Random, Access::WillNeed, Access::DontNeed}) {
    m.advise(a);
    m.advise(a, Box::rows(m.shape(), 10, 20));
  }
  EXPECT_THROW(m.advise(Access::Random, Box::rows(m.shape(), 90, 120)), ShapeError);
}

TEST(Memmap, ForEachBlockTilesInCOrder) {
  for (const auto& [shape, budget] : std::vector<std::pair<Shape, std::size_t>>{{{}, 8},
                                                                                {{0, 5}, 8},
                                                                                {{7}, 24},
                                                                                {{3, 5}, 16},
                                                                                {{3, 5}, 40},
                                                                                {{2, 3, 4}, 100},
                                                                                {{2, 3, 4}, 9},
                                                                                {{4, 1}, 1}}) {
    SCOPED_TRACE(shape_string(shape) + " budget " + std::to_string(budget));
    std::int64_t next = 0;
    for_each_block(shape, 8, budget, [&](const Box& box) {
      EXPECT_EQ(linear_index(shape, box.offset), next);
      EXPECT_LE(box.size() * 8, static_cast<std::int64_t>(std::max<std::size_t>(budget, 8)));
      check_box(box, shape, "tile");
      next += box.size();
    });
    EXPECT_EQ(next, shape.empty() ? 1 : element_count(shape));
  }
}

// A column block of a row-major file (an engine block aligned to an output's chunks) read
// through the store: its rows lie 256 KiB apart, and touching them through the mapping
// would map a huge page or fault-around window around each one. It is read from the page
// cache instead, mapping nothing, in either type.
TEST(Memmap, ColumnBlocksOfAStoreAreReadWithoutMappingTheirRows) {
  TempDir dir;
  const std::string path = dir.file("wide.npy");
  constexpr std::int64_t kRows = 64, kCols = 1 << 16;
  {
    Memmap m = create_npy(path, options(DType(ScalarType::Float32), {kRows, kCols}));
    auto a = m.as<float>();
    for (std::int64_t i = 0; i < kRows; ++i)
      for (std::int64_t j = 0; j < kCols; ++j) a(i, j) = static_cast<float>(i * 1000 + j % 1000);
  }
  auto store = open_store(path, Mode::Read);
  const AnyArray mapped = *store->mapped();
  const Box block{{3, 5000}, {60, 300}};
  std::vector<float> same(static_cast<std::size_t>(block.size()));
  std::vector<double> wide(same.size());
  store->read(block, same.data(), DType(ScalarType::Float32));
  store->read(block, wide.data(), DType(ScalarType::Float64));
  for (std::int64_t i = 0; i < 60; ++i)
    for (std::int64_t j = 0; j < 300; ++j) {
      const float want = static_cast<float>((3 + i) * 1000 + (5000 + j) % 1000);
      ASSERT_EQ(same[static_cast<std::size_t>(i * 300 + j)], want) << i << ", " << j;
      ASSERT_EQ(wide[static_cast<std::size_t>(i * 300 + j)], static_cast<double>(want)) << i << ", " << j;
    }
  EXPECT_EQ(mapping_rss_kib(mapped.data()), 0.0);
  // Rows read whole still come through the mapping.
  std::vector<float> rows(2 * kCols);
  store->read(Box::rows(store->shape(), 10, 12), rows.data(), DType(ScalarType::Float32));
  EXPECT_EQ(rows[kCols + 7], 11007.0f);
  EXPECT_GT(mapping_rss_kib(mapped.data()), 0.0);
}

// The same block written: each row's run is put with pwrite, so the mapping gets no page
// (faulting each in, making it writable, and again after writeback cleans it, had cost a
// quarter of a gzip dataset's conversion into a .npy). Runs under a page go through it.
TEST(Memmap, ColumnBlocksOfAStoreAreWrittenWithoutMappingTheirRows) {
  TempDir dir;
  const std::string path = dir.file("wide.npy");
  constexpr std::int64_t kRows = 64, kCols = 1 << 16;
  auto store = create_store(path, options(DType(ScalarType::Float32), {kRows, kCols}));
  const AnyArray mapped = *store->mapped();
  const Box block{{3, 5000}, {60, 3000}}, narrow{{0, 100}, {4, 10}};
  std::vector<double> values(static_cast<std::size_t>(block.size()));
  for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<double>(k % 7919) + 0.5;
  store->write(block, values.data(), DType(ScalarType::Float64));  // converted on the way
  std::vector<float> same(40, 2.5f);
  store->write(narrow, same.data(), DType(ScalarType::Float32));
  store->flush();
  std::vector<float> back(static_cast<std::size_t>(kRows * kCols));
  open_store(path, Mode::Read)->read(Box::whole({kRows, kCols}), back.data(), DType(ScalarType::Float32));
  const float* p = back.data();
  for (std::int64_t i = 0; i < kRows; ++i)
    for (const std::int64_t j : {std::int64_t{99}, std::int64_t{100}, std::int64_t{109}, std::int64_t{4999},
                                 std::int64_t{5000}, std::int64_t{7999}, std::int64_t{8000}}) {
      float want = 0.0f;
      if (i < 4 && j >= 100 && j < 110) want = 2.5f;
      if (i >= 3 && i < 63 && j >= 5000 && j < 8000)
        want = static_cast<float>(values[static_cast<std::size_t>((i - 3) * 3000 + (j - 5000))]);
      ASSERT_EQ(p[i * kCols + j], want) << i << ", " << j;
    }
  EXPECT_LT(mapping_rss_kib(mapped.data()), 64.0);  // the narrow runs' pages at most
}

// Conversions go through a scratch piece of 256 KiB (65,536 float32): a contiguous block, a
// block of long runs written and one read back, each several pieces long, arrive whole.
TEST(Memmap, ConvertedRunsLongerThanTheScratchPieceArriveWhole) {
  TempDir dir;
  const std::string path = dir.file("long.npy");
  constexpr std::int64_t kRows = 5, kCols = 200000;
  auto store = create_store(path, options(DType(ScalarType::Float32), {kRows, kCols}));
  const auto value = [](std::int64_t i, std::int64_t j) { return static_cast<double>(i * kCols + j) + 0.5; };
  const auto fill = [&](const Box& box) {
    std::vector<double> v(static_cast<std::size_t>(box.size()));
    for (std::int64_t i = 0; i < box.count[0]; ++i)
      for (std::int64_t j = 0; j < box.count[1]; ++j)
        v[static_cast<std::size_t>(i * box.count[1] + j)] = value(box.offset[0] + i, box.offset[1] + j);
    return v;
  };
  const Box rows = Box::rows(store->shape(), 1, 4), runs{{0, 1000}, {5, 70000}};
  store->write(rows, fill(rows).data(), DType(ScalarType::Float64));  // contiguous: 600,000 elements
  store->write(runs, fill(runs).data(), DType(ScalarType::Float64));  // runs of 70,000
  store->flush();
  auto back = open_store(path, Mode::Read);
  std::vector<double> got(static_cast<std::size_t>(runs.size()));
  back->read(runs, got.data(), DType(ScalarType::Float64));  // read run by run, converted
  EXPECT_EQ(got, fill(runs));
  const AnyArray all = load_npy(path);
  const auto a = all.as<float>();
  for (std::int64_t i = 0; i < kRows; ++i)
    for (const std::int64_t j :
         {std::int64_t{0}, std::int64_t{999}, std::int64_t{1000}, std::int64_t{66535}, std::int64_t{66536},
          std::int64_t{70999}, std::int64_t{71000}, std::int64_t{131072}, std::int64_t{199999}}) {
      const bool written = (i >= 1 && i < 4) || (j >= 1000 && j < 71000);
      ASSERT_EQ(a(i, j), written ? static_cast<float>(value(i, j)) : 0.0f) << i << ", " << j;
    }
}

TEST(Memmap, StoresCopyAndConvert) {
  TempDir dir;
  {
    Memmap m = Memmap::create_raw(dir.file("src.dat"), options(DType(ScalarType::Int16), {5, 7}));
    auto a = m.as<std::int16_t>();
    std::iota(a.span().begin(), a.span().end(), -10);
  }
  auto src = open_store(dir.file("src.dat"), Mode::Read, RawLayout{DType(ScalarType::Int16), {5, 7}, 0, Order::C});
  CreateOptions o = options(DType::from_descr(">f8"), {5, 7});
  o.order = Order::Fortran;
  auto dst = create_store(dir.file("dst.npy"), o);
  ooc::Options tiny;
  tiny.block_bytes = 24;  // tiny blocks: pieces of rows
  ooc::copy(*src, *dst, tiny);
  dst->flush();
  const AnyArray back = load_npy(dir.file("dst.npy"));
  EXPECT_EQ(back.as<double>()(0, 0), -10.0);
  EXPECT_EQ(back.as<double>()(4, 6), 24.0);
  EXPECT_EQ(read_npy_header(dir.file("dst.npy")).dtype.byte_order(), ByteOrder::Big);
  auto wrong = create_store(dir.file("w.npy"), options(DType(ScalarType::Int16), {7, 5}));
  EXPECT_THROW(ooc::copy(*src, *wrong), ShapeError);
  EXPECT_THROW(src->write(Box::whole({5, 7}), nullptr, DType(ScalarType::Int16)), Error);
}

TEST(Memmap, StoreWritesReachTheMapping) {
  TempDir dir;
  auto store = create_store(dir.file("s.npy"), options(DType(ScalarType::Float32), {4, 3}));
  const std::vector<double> row{1.5, 2.5, 3.5};
  store->write(Box::rows(store->shape(), 2, 3), row.data(), DType(ScalarType::Float64));  // converted, pwrite
  const std::vector<float> col{7, 8, 9, 10};
  store->write(Box{{0, 1}, {4, 1}}, col.data(), DType(ScalarType::Float32));  // strided, via the mapping
  const auto view = store->mapped()->as<float>();
  EXPECT_EQ(view(2, 0), 1.5f);
  EXPECT_EQ(view(2, 2), 3.5f);
  EXPECT_EQ(view(3, 1), 10.0f);
  std::vector<float> back(12);
  store->read(Box::whole(store->shape()), back.data(), DType(ScalarType::Float32));
  EXPECT_EQ(back[7], 9.0f);
  EXPECT_EQ(back[8], 3.5f);
}

TEST(Memmap, StoreWritesIntoFortranOrderFiles) {
  TempDir dir;
  CreateOptions o = options(DType(ScalarType::Int32), {3, 4});
  o.order = Order::Fortran;
  auto store = create_store(dir.file("f.npy"), o);
  std::vector<std::int32_t> values(12);
  std::iota(values.begin(), values.end(), 0);
  store->write(Box::whole({3, 4}), values.data(), DType(ScalarType::Int32));
  const auto view = store->mapped()->as<std::int32_t>();
  for (std::int64_t i = 0; i < 3; ++i)
    for (std::int64_t j = 0; j < 4; ++j) EXPECT_EQ(view(i, j), i * 4 + j);
}

}  // namespace
}  // namespace mammoth
