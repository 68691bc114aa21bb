// The engine over the real back ends (.npy, raw, HDF5 contiguous and chunked) through
// open_store/create_store. A back end that is not built yet skips its cases.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "mammoth/ooc/copy.hpp"
#include "mammoth/ooc/matmul.hpp"
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/ooc/output.hpp"
#include "mammoth/ooc/reduce.hpp"
#include "ooc_test_support.hpp"
#include "test_support.hpp"
#include "write_behind_sync.hpp"

namespace mammoth::ooc {
namespace {

using testing::random_array;

// Creates `spec` holding `a`, or null when that back end is not available.
std::unique_ptr<BlockStore> store_of(const std::string& spec, const AnyArray& a, Shape chunks = {}) {
  CreateOptions options;
  options.dtype = a.dtype();
  options.shape = a.shape();
  options.chunks = std::move(chunks);
  std::unique_ptr<BlockStore> s;
  try {
    s = create_store(spec, options);
  } catch (const Error& e) {
    if (std::string(e.what()).find("not built yet") != std::string::npos) return nullptr;
    throw;
  }
  s->write(Box::whole(a.shape()), a.data(), a.dtype());
  s->flush();
  return s;
}

struct Case {
  std::string spec;
  Shape chunks;
};

std::vector<Case> cases(const testing::TempDir& dir) {
  return {{dir.file("A.npy"), {}},
          {dir.file("A.raw"), {}},
          {dir.file("A.h5") + ":/contiguous", {}},
          {dir.file("A.h5") + ":/chunked", {7, 11}}};
}

// Largest |a - b| over two arrays of the same shape, compared as float64.
double max_difference(const AnyArray& a, const AnyArray& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const AnyArray x = a.astype(DType(ScalarType::Float64)), y = b.astype(DType(ScalarType::Float64));
  double m = 0;
  for (std::int64_t i = 0; i < x.size(); ++i)
    m = std::max(m, std::abs(x.as<double>().data()[i] - y.as<double>().data()[i]));
  return m;
}

TEST(Backends, EngineMatchesInMemoryOverEveryBackEnd) {
  testing::TempDir dir;
  const NdArray<float> a = random_array<float>({53, 71}, 3);
  ArrayStore memory(a, "memory");
  const NdArray<double> x = random_array<double>({71}, 4), y = random_array<double>({53}, 5);
  const NdArray<double> b = random_array<double>({71, 6}, 6);
  Options small;
  small.budget = 1100 * 1024;  // HDF5's chunk cache (1 MiB) plus a few KiB of blocks
  int tested = 0;
  for (const Case& c : cases(dir)) {
    SCOPED_TRACE(c.spec);
    auto store = store_of(c.spec, a, c.chunks);
    if (!store) continue;
    ++tested;
    // Inputs are small integers in quarter steps: every result is exact in float64.
    EXPECT_EQ(max_difference(matvec(*store, x, small), matvec(memory, x)), 0);
    EXPECT_EQ(max_difference(rmatvec(*store, y, small), rmatvec(memory, y)), 0);
    EXPECT_EQ(max_difference(matmul(*store, b, small), matmul(memory, b)), 0);
    for (auto axis : {std::optional<int>{}, std::optional<int>{0}, std::optional<int>{1}})
      for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Min, ReduceOp::Max})
        EXPECT_EQ(max_difference(reduce(*store, op, axis, small), reduce(memory, op, axis)), 0);
  }
  if (tested == 0) GTEST_SKIP() << "no on-disk back end built yet";
}

TEST(Backends, CopyBetweenBackEndsConvertsAndRechunks) {
  testing::TempDir dir;
  const NdArray<std::int16_t> a = random_array<std::int16_t>({40, 30}, 8);
  auto src = store_of(dir.file("src.npy"), a);
  if (!src) GTEST_SKIP() << ".npy back end not built yet";
  CreateOptions to;
  to.dtype = DType(ScalarType::Float64);
  to.shape = a.shape();
  to.chunks = {8, 8};
  std::unique_ptr<BlockStore> dst;
  try {
    dst = create_store(dir.file("dst.h5") + ":/x", to);
  } catch (const Error&) {
    to.chunks = {};
    dst = create_store(dir.file("dst.npy"), to);
  }
  Options small;
  small.budget = 1100 * 1024;
  copy(*src, *dst, small);
  AnyArray back = AnyArray::empty(DType(ScalarType::Float64), a.shape());
  dst->read(Box::whole(a.shape()), back.data(), back.dtype());
  EXPECT_EQ(max_difference(back, a), 0);
}

// A float32 gzip dataset of 200 KB chunks (50 × 1000).
CreateOptions gzip_float32(const Shape& shape) {
  CreateOptions to;
  to.dtype = DType(ScalarType::Float32);
  to.shape = shape;
  to.chunks = {50, 1000};
  to.gzip_level = 4;
  return to;
}

// Into a gzip dataset whose chunk cache and filter buffers exceed the budget, copy still runs:
// in whole chunks, which go past libhdf5's pipeline and need no cache.
TEST(Backends, CopyIntoGzipChunksNeedsNoCacheInWholeChunks) {
  testing::TempDir dir;
  const NdArray<float> a = random_array<float>({200, 40000}, 3);
  auto dst = create_store(dir.file("dst.h5") + ":/x", gzip_float32(a.shape()));
  Options small;
  small.budget = 4 << 20;
  ASSERT_GT(dst->working_bytes(), small.budget);  // a cache for a band of 40 chunks, and more
  ASSERT_LT(dst->whole_chunk_working_bytes() + 200 * 1000 * 8, small.budget);
  ArrayStore src(AnyArray(a), "a");
  copy(src, *dst, small);
  dst->flush();
  AnyArray back = AnyArray::empty(DType(ScalarType::Float32), a.shape());
  dst->read(Box::whole(a.shape()), back.data(), back.dtype());
  EXPECT_EQ(max_difference(back, a), 0);
}

TEST(Backends, GzipChunksAreReadInWholeChunksWithoutTheCache) {
  // Read directly, whole chunks need no chunk cache either: blocks of whole chunks are
  // charged without it (they were refused at this budget), and no chunk is inflated twice.
  testing::TempDir dir;
  const NdArray<float> a = random_array<float>({200, 40000}, 5);
  {
    auto dst = create_store(dir.file("a.h5") + ":/x", gzip_float32(a.shape()));
    ArrayStore src(AnyArray(a), "a");
    copy(src, *dst, Options{});
    dst->flush();
  }
  auto gz = open_store(dir.file("a.h5") + ":/x", Mode::Read);
  Options small;
  small.budget = 4 << 20;
  ASSERT_GT(gz->working_bytes(), small.budget);  // a cache for a band of 40 chunks, and more
  ASSERT_LT(gz->whole_chunk_working_bytes() + 40000 * 8, small.budget / 2);
  std::vector<double> x(40000), want(200, 0.0), col_sums(40000, 0.0);
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = static_cast<double>(j % 17) - 8;
  for (std::int64_t i = 0; i < 200; ++i)
    for (std::int64_t j = 0; j < 40000; ++j) {
      want[static_cast<std::size_t>(i)] += static_cast<double>(a(i, j)) * x[static_cast<std::size_t>(j)];
      col_sums[static_cast<std::size_t>(j)] += static_cast<double>(a(i, j));
    }
  const AnyArray y = matvec(*gz, AnyArray(NdArray<double>::from(std::vector<double>(x), {40000})), small);
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(reinterpret_cast<const double*>(y.data())[i], want[i], 1e-9 * (1 + std::abs(want[i]))) << i;
  const AnyArray sums = reduce(*gz, ReduceOp::Sum, 0, small);
  for (std::size_t j = 0; j < col_sums.size(); j += 997)
    EXPECT_NEAR(reinterpret_cast<const double*>(sums.data())[j], col_sums[j], 1e-9 * (1 + std::abs(col_sums[j]))) << j;
}

// Forwards to a store, its views of single boxes included, counting reads and views.
class ViewCounter final : public BlockStore {
 public:
  explicit ViewCounter(BlockStore& inner) : inner_(inner) {}
  std::string name() const override { return inner_.name(); }
  DType dtype() const override { return inner_.dtype(); }
  const Shape& shape() const override { return inner_.shape(); }
  Shape chunk_shape() const override { return inner_.chunk_shape(); }
  bool writable() const override { return false; }
  void read(const Box& box, void* dst, DType type) override {
    ++reads;
    inner_.read(box, dst, type);
  }
  void write(const Box&, const void*, DType) override { throw Error("read-only"); }
  std::optional<AnyArray> mapped(const Box& box) override {
    std::optional<AnyArray> v = inner_.mapped(box);
    views += v ? 1 : 0;
    return v;
  }
  std::size_t working_bytes() const override { return inner_.working_bytes(); }
  std::size_t whole_chunk_working_bytes() const override { return inner_.whole_chunk_working_bytes(); }
  int reads = 0, views = 0;

 private:
  BlockStore& inner_;
};

// Unfiltered HDF5 chunks are read in place, one chunk a block (no copy, as a contiguous
// dataset's rows); only the edge chunks, parts of their stored chunk, are read. matvec,
// rmatvec and every reduction agree with the plain loop.
TEST(Backends, UnfilteredChunksAreReadInPlace) {
  testing::TempDir dir;
  const NdArray<float> a = random_array<float>({250, 250}, 5);
  store_of(dir.file("a.h5") + ":/x", AnyArray(a), {100, 100});
  auto h5 = open_store(dir.file("a.h5") + ":/x", Mode::Read);
  std::vector<double> x(250), want(250, 0.0), col_sums(250, 0.0), row_sums(250, 0.0);
  double total = 0;
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = static_cast<double>(j % 17) - 8;
  for (std::int64_t i = 0; i < 250; ++i)
    for (std::int64_t j = 0; j < 250; ++j) {
      const auto v = static_cast<double>(a(i, j));
      want[static_cast<std::size_t>(i)] += v * x[static_cast<std::size_t>(j)];
      col_sums[static_cast<std::size_t>(j)] += v;
      row_sums[static_cast<std::size_t>(i)] += v;
      total += v;
    }
  const auto expect_all = [](const AnyArray& got, const std::vector<double>& w) {
    ASSERT_EQ(got.size(), static_cast<std::int64_t>(w.size()));
    for (std::size_t i = 0; i < w.size(); ++i)
      EXPECT_NEAR(reinterpret_cast<const double*>(got.data())[i], w[i], 1e-9 * (1 + std::abs(w[i]))) << i;
  };
  ViewCounter counted(*h5);
  expect_all(matvec(counted, AnyArray(NdArray<double>::from(std::vector<double>(x), {250})), Options{}), want);
  // Two probes (whether blocks may be staged, whether chunks fit in place), the four chunks.
  EXPECT_EQ(counted.views, 2 + 4);
  EXPECT_EQ(counted.reads, 5);  // the five edge blocks
  expect_all(reduce(counted, ReduceOp::Sum, 0, Options{}), col_sums);
  expect_all(reduce(counted, ReduceOp::Sum, 1, Options{}), row_sums);
  const AnyArray all = reduce(counted, ReduceOp::Sum, std::nullopt, Options{});
  EXPECT_NEAR(*reinterpret_cast<const double*>(all.data()), total, 1e-9 * std::abs(total));
  EXPECT_EQ(counted.views, 6 + 3 * 5);
}

TEST(Backends, NpyMatvecStaysUnderBudget) {
  testing::TempDir dir;
  const std::int64_t rows = 2048, cols = 8192;  // 64 MiB
  CreateOptions options;
  options.dtype = DType(ScalarType::Float32);
  options.shape = {rows, cols};
  std::unique_ptr<BlockStore> s;
  try {
    s = create_store(dir.file("big.npy"), options);
  } catch (const Error&) {
    GTEST_SKIP() << ".npy back end not built yet";
  }
  std::vector<float> row(static_cast<std::size_t>(cols), 1.0f);
  for (std::int64_t i = 0; i < rows; ++i) {
    s->write(Box::rows(options.shape, i, i + 1), row.data(), options.dtype);
    s->release(Box::rows(options.shape, i, i + 1));
  }
  s->flush();
  s.reset();
  auto a = open_store(dir.file("big.npy"));
  Options budget;
  budget.budget = 8 * kMiB;
  const auto x = NdArray<double>::full({cols}, 1.0);
  AnyArray y;
  const double increment = testing::peak_increment_mib([&] { y = matvec(*a, x, budget); });
  // ASan's shadow and allocator add 5-9 MiB of their own (Budget.MappedPathReleasesConsumedPages).
  EXPECT_LE(increment, testing::kAddressSanitizer ? 8 + 10 : 8 + 2) << "peak increment " << increment << " MiB";
  EXPECT_EQ(y.as<double>()(rows - 1), static_cast<double>(cols));
}

TEST(Backends, NpyTruncatedUnderUsThrows) {
  testing::TempDir dir;
  const NdArray<float> a = random_array<float>({512, 1024});
  if (!store_of(dir.file("t.npy"), a)) GTEST_SKIP() << ".npy back end not built yet";
  auto store = open_store(dir.file("t.npy"));
  ASSERT_EQ(::truncate(dir.file("t.npy").c_str(), 1 << 20), 0);
  Options small;
  small.budget = 256 * 1024;
  EXPECT_THROW(matvec(*store, NdArray<double>::zeros({1024}), small), IoError);
  EXPECT_THROW(reduce(*store, ReduceOp::Sum, {}, small), IoError);
}

TEST(AtomicOutput, AppearsOnlyWhenCommitted) {
  testing::TempDir dir;
  CreateOptions options;
  options.dtype = DType(ScalarType::Float64);
  options.shape = {4};
  const std::string final_name = dir.file("out.npy");
  try {
    AtomicOutput out(final_name, options);
    EXPECT_FALSE(std::filesystem::exists(final_name));
    const double v[4] = {1, 2, 3, 4};
    out.store().write(Box::whole({4}), v, options.dtype);
    out.commit();
  } catch (const Error& e) {
    if (std::string(e.what()).find("not built yet") != std::string::npos) GTEST_SKIP() << e.what();
    throw;
  }
  ASSERT_TRUE(std::filesystem::exists(final_name));
  auto back = open_store(final_name);
  double got[4];
  back->read(Box::whole({4}), got, options.dtype);
  EXPECT_EQ(got[3], 4);
  // Abandoned (an exception before commit): nothing under the final name, no temporary left.
  const std::string other = dir.file("other.npy");
  { AtomicOutput out(other, options); }
  EXPECT_FALSE(std::filesystem::exists(other));
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    static_cast<void>(entry);
    ++files;
  }
  EXPECT_EQ(files, 1u);  // out.npy only
}

// A new HDF5 file (written by libhdf5's own calls) is made durable behind the writer as its
// blocks are released (src/write_behind.hpp); an error met there fails the commit, naming the
// destination, and leaves nothing under its name.
TEST(AtomicOutput, NewHdf5FilesAreSyncedBehindAndTheirErrorsFailTheCommit) {
  testing::TempDir dir;
  const NdArray<float> a = random_array<float>({200, 4000}, 5);
  ArrayStore src(AnyArray(a), "a");
  Options small;
  small.budget = 4 << 20;
  for (const bool fail : {false, true}) {
    SCOPED_TRACE(fail);
    const std::string final_name = dir.file(fail ? "failed.h5" : "w.h5");
    const testing::WriteBehindSync sync(fail ? &testing::failing_sync : &testing::counting_sync);
    try {
      AtomicOutput out(final_name + ":/A", gzip_float32(a.shape()));
      copy(src, out.store(), small);
      out.commit();
      EXPECT_FALSE(fail) << "the write-behind error was not reported";
    } catch (const IoError& e) {
      EXPECT_TRUE(fail) << e.what();
      EXPECT_NE(std::string(e.what()).find(final_name), std::string::npos) << e.what();
      EXPECT_EQ(e.errnum(), EIO);
    }
    EXPECT_GE(testing::data_syncs, 1);
    EXPECT_EQ(std::filesystem::exists(final_name), !fail);
  }
  auto back = open_store(dir.file("w.h5") + ":/A");
  AnyArray got = AnyArray::empty(DType(ScalarType::Float32), a.shape());
  back->read(Box::whole(a.shape()), got.data(), got.dtype());
  EXPECT_EQ(max_difference(got, a), 0);
}

TEST(Cli, FailedMatvecLeavesNoOutput) {
  testing::TempDir dir;
  const NdArray<float> a = random_array<float>({10, 5});
  const NdArray<double> x = random_array<double>({4});  // wrong length
  if (!store_of(dir.file("A.npy"), a) || !store_of(dir.file("x.npy"), x)) GTEST_SKIP() << ".npy back end not built yet";
  const auto r = testing::run_cli({"matvec", dir.file("A.npy"), dir.file("x.npy"), "-o", dir.file("y.npy"), "-q"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("shape"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("y.npy")));
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
  EXPECT_EQ(files, 2u);  // A.npy, x.npy: no temporary left behind
}

TEST(Cli, MatvecAndReduceWriteResults) {
  testing::TempDir dir;
  const NdArray<float> a = random_array<float>({30, 20});
  const NdArray<double> x = random_array<double>({20});
  if (!store_of(dir.file("A.npy"), a) || !store_of(dir.file("x.npy"), x)) GTEST_SKIP() << ".npy back end not built yet";
  ArrayStore memory(a, "memory");
  auto r = testing::run_cli({"matvec", dir.file("A.npy"), dir.file("x.npy"), "-o", dir.file("y.npy"), "--budget", "16k",
                             "--threads", "2", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto y = open_store(dir.file("y.npy"));
  AnyArray got = AnyArray::empty(y->dtype(), y->shape());
  y->read(Box::whole(y->shape()), got.data(), got.dtype());
  EXPECT_EQ(max_difference(got, matvec(memory, x)), 0);
  r = testing::run_cli({"reduce", dir.file("A.npy"), "--op", "max", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(std::stod(r.out), static_cast<double>(reduce(memory, ReduceOp::Max, {}).as<float>().data()[0]));
}

}  // namespace
}  // namespace mammoth::ooc
