// Inputs a hostile world makes (issue 10): unaligned data, bool bytes other than 0/1,
// headers claiming more than their file holds, corrupt stored .npz members, size
// lines whose products overflow. Each is a clear error or the right answer, never UB.
#include <gtest/gtest.h>

#include "mammoth/h5/file.hpp"
#include "mammoth/npy.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <vector>

#include "mammoth/allocation.hpp"
#include "mammoth/dtype.hpp"
#include "mammoth/error.hpp"
#include "mammoth/sparse/bsr.hpp"
#include "mammoth/sparse/convert_file.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/mtx.hpp"
#include "mammoth/sparse/zip.hpp"
#include "test_support.hpp"

namespace mammoth {
namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(HostileInput, ConversionReadsAndWritesUnalignedItems) {
  alignas(8) unsigned char in[1 + 3 * sizeof(double)] = {};
  const double values[3] = {1.5, -2.25, 1e300};
  std::memcpy(in + 1, values, sizeof values);
  alignas(8) unsigned char out[1 + 3 * sizeof(float)] = {};
  convert(in + 1, DType(ScalarType::Float64), out + 1, DType(ScalarType::Float32), 3);
  float got[3];
  std::memcpy(got, out + 1, sizeof got);
  EXPECT_EQ(got[0], 1.5f);
  EXPECT_EQ(got[1], -2.25f);
  EXPECT_TRUE(std::isinf(got[2]));
}

TEST(HostileInput, BoolBytesOtherThanZeroOrOneAreTrue) {
  const unsigned char bytes[4] = {2, 0, 255, 1};
  std::int32_t out[4];
  convert(bytes, DType(ScalarType::Bool), out, DType(ScalarType::Int32), 4);
  EXPECT_EQ(out[0] + out[1] + out[2] + out[3], 3);  // numpy: np.frombuffer(b, bool).sum() == 3
}

// A stored .npz member made by ZipWriter, its bytes changed after.
std::string stored_npz(const testing::TempDir& dir, const std::vector<double>& values, const Shape& claimed) {
  const std::string path = dir.file("m.npz");
  sparse::ZipWriter zip(path, false);
  zip.add("data", format_npy_header("<f8", claimed), values.data(), values.size() * sizeof(double));
  zip.close();
  return path;
}

TEST(HostileInput, StoredNpzMemberWithABadCrcIsRefused) {
  testing::TempDir dir;
  const std::vector<double> values{1, 2, 3, 4};
  const std::string path = stored_npz(dir, values, {4});
  std::string bytes = testing::read_file(path);
  double one = 1;
  const auto at = bytes.find(std::string(reinterpret_cast<const char*>(&one), sizeof one));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 7] ^= 0x10;
  testing::write_file(path, bytes);
  sparse::ZipReader zip(path);
  std::vector<double> out(4);
  const std::string e = error_of([&] { zip.read_data("data", out.data(), 4 * sizeof(double)); });
  EXPECT_NE(e.find("m.npz: data.npy: CRC mismatch"), std::string::npos) << e;
}

TEST(HostileInput, IntactStoredNpzMemberReads) {
  testing::TempDir dir;
  const std::string path = stored_npz(dir, {1, 2, 3, 4}, {4});
  sparse::ZipReader zip(path);
  std::vector<double> out(4);
  zip.read_data("data", out.data(), 4 * sizeof(double));
  EXPECT_EQ(out, (std::vector<double>{1, 2, 3, 4}));
}

TEST(HostileInput, NpzHeaderClaimingMoreThanTheMemberHoldsIsRefusedBeforeAllocation) {
  testing::TempDir dir;
  for (const bool compressed : {false, true}) {
    const std::string path = dir.file(compressed ? "c.npz" : "s.npz");
    const std::vector<double> values{1, 2, 3, 4};
    {
      sparse::ZipWriter zip(path, compressed);
      zip.add("data", format_npy_header("<f8", {10'000'000'000}), values.data(), values.size() * sizeof(double));
      zip.close();
    }
    sparse::ZipReader zip(path);
    const std::string e = error_of([&] { zip.header("data"); });
    EXPECT_NE(e.find(path + ": data.npy: truncated: header promises 80000000000 bytes"), std::string::npos) << e;
    EXPECT_NE(e.find("shape (10000000000,), the file holds 32"), std::string::npos) << e;
  }
}

TEST(HostileInput, NpzShapeWhoseSizeOverflowsIsRefused) {
  testing::TempDir dir;
  const std::string path = stored_npz(dir, {1}, {1ll << 40, 1ll << 40});
  sparse::ZipReader zip(path);
  const std::string e = error_of([&] { zip.header("data"); });
  EXPECT_NE(e.find("data.npy: shape (1099511627776, 1099511627776) of float64 overflows"), std::string::npos) << e;
}

// Found by fuzz/mtx_fuzz (CI's 20 s run): a dense file of 0 rows and 5e13 columns holds no
// value, and reading it walked every column. Now an empty matrix at once, and so for a
// skew-symmetric file whose columns past the first hold nothing.
TEST(HostileInput, AnEmptyDenseMatrixMarketFileIsReadAtOnce) {
  const std::string path =
      std::string(MAMMOTH_SOURCE_DIR) + "/fuzz/regressions/mtx_fuzz/mtx_array_0_rows_5e13_cols.mtx";
  const sparse::MtxData d = sparse::read_mtx_data(path);
  EXPECT_EQ(d.info.rows, 0);
  EXPECT_EQ(d.info.cols, 50000000000071);
  EXPECT_TRUE(d.row.empty());
  testing::TempDir dir;
  const std::string skew = dir.file("s.mtx");
  testing::write_file(skew, "%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n");
  const sparse::MtxData s = sparse::read_mtx_data(skew);
  EXPECT_EQ(s.row.size(), 6u);  // the three below the diagonal, mirrored
}

TEST(HostileInput, MatrixMarketSizeLinesThatOverflowOrOverclaimAreRefused) {
  testing::TempDir dir;
  const std::string path = dir.file("m.mtx");
  testing::write_file(path, "%%MatrixMarket matrix array real general\n4294967296 4294967296\n1\n");
  std::string e = error_of([&] { sparse::read_mtx_data(path); });
  EXPECT_NE(e.find("m.mtx:2: size 4294967296 x 4294967296 is too large"), std::string::npos) << e;
  testing::write_file(path, "%%MatrixMarket matrix coordinate real general\n100000 100000 9000000000\n1 1 1\n");
  e = error_of([&] { sparse::read_mtx_data(path); });
  EXPECT_NE(e.find("m.mtx:2: the size line declares 9000000000 entries but the file holds only 6 more bytes"),
            std::string::npos)
      << e;
}

// Found by fuzz/npz_fuzz: a string member's length was parsed with std::stoul, whose
// std::invalid_argument escaped as "stoul". The one .npy header parser accepts text
// members only with a short run of digits.
TEST(HostileInput, NpzTextMemberWithABadLengthIsAFormatError) {
  const auto parse = [](const std::string& descr) {
    const std::string bytes = format_npy_header(descr, {});
    return parse_npy_header(bytes, static_cast<std::int64_t>(bytes.size()) + 3, "m.npz: format.npy", true);
  };
  EXPECT_THROW(parse("|Sx"), Error);
  EXPECT_THROW(parse("|S99999999999999999999"), Error);
  EXPECT_EQ(parse("|S3").text_descr, "|S3");
  EXPECT_EQ(parse("|S3").data_bytes(), 3);
}

// Found by fuzz/sparse_validators_fuzz: block_rows * block_cols overflowed (UB) in validate().
TEST(HostileInput, BsrBlockShapeWhoseSizeOverflowsIsInvalid) {
  sparse::Bsr<double, std::int32_t> a;
  a.rows = a.cols = std::int64_t{1} << 33;
  a.block_rows = a.block_cols = std::int64_t{1} << 32;  // 2^64 values per block: wrapped to 0, it looked valid
  a.indptr.assign(static_cast<std::size_t>(3), 0);
  const std::string e = error_of([&] { a.validate(); });
  EXPECT_NE(e.find("invalid bsr matrix"), std::string::npos) << e;
}

}  // namespace
}  // namespace mammoth

namespace mammoth {
namespace {

// Found by fuzz/npz_fuzz: a scipy-valid DIA .npz claiming ~2^61 rows made to_csr throw
// std::length_error, which no caller expects; it is an Error naming the file now.
TEST(HostileInput, SparseMatrixTooBigToHoldIsAnErrorNamingTheFile) {
  const std::string path = std::string(MAMMOTH_SOURCE_DIR) + "/fuzz/regressions/npz_fuzz/npz_dia_huge_shape.npz";
  try {
    sparse::load_csr_as<double, std::int64_t>(path);
    ADD_FAILURE() << "loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("npz_dia_huge_shape.npz"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mammoth

namespace mammoth {
namespace {

// Found by fuzz/npy_header_fuzz (CI's 20 s run): an empty shape (one extent 0) whose other
// extents multiply past 2^63 passed the size check and overflowed computing strides (UB).
// numpy refuses such a shape too ("array is too big").
TEST(HostileInput, EmptyShapeWhoseOtherExtentsOverflowIsRefused) {
  EXPECT_THROW(element_count({std::int64_t{1} << 40, 0, std::int64_t{1} << 40}, 1, "x"), ShapeError);
  EXPECT_EQ(element_count({std::int64_t{1} << 20, 0, std::int64_t{1} << 20}, 8, "x"), 0);
  const std::string path =
      std::string(MAMMOTH_SOURCE_DIR) + "/fuzz/regressions/npy_header_fuzz/empty_shape_whose_extents_overflow.npy";
  EXPECT_THROW(load_npy(path), Error);
}

}  // namespace
}  // namespace mammoth

namespace mammoth {
namespace {

// Found by fuzz/h5_fuzz (CI's 20 s run): a corrupt chunk index claimed a 4 GiB gzip chunk
// in a 4 KiB file and the direct chunk reader allocated it. Every dataset of the file now
// reads or fails with an Error; none allocates more than the file holds.
TEST(HostileInput, Hdf5ChunkClaimingMoreThanTheFileIsAnError) {
  const std::string path = std::string(MAMMOTH_SOURCE_DIR) + "/fuzz/regressions/h5_fuzz/chunk_index_claiming_4gib.h5";
  int failed = 0;
  const double mib = testing::peak_increment_mib([&] {
    try {
      h5::File f(path, Mode::Read);
      f.visit([&](const h5::Member& m) {
        if (m.kind != h5::ObjectKind::Dataset) return;
        try {
          const h5::Dataset d = f.dataset(m.name);
          if (element_count(d.shape()) * static_cast<std::int64_t>(d.dtype().itemsize()) <= (1 << 20)) d.read_all();
        } catch (const Error&) {
          ++failed;
        }
      });
    } catch (const Error&) {
      ++failed;
    }
  });
  EXPECT_GE(failed, 1);
  EXPECT_LT(mib, 256.0);
}

// A chunk layout of rank 1 on a 2-d dataset (found by h5_fuzz): the chunk shape read back
// has a zero extent, which every chunk grid would divide by. Refused when the dataset opens.
TEST(HostileInput, Hdf5ChunkShapeWithAZeroExtentIsAFormatError) {
  const std::string path = std::string(MAMMOTH_SOURCE_DIR) + "/fuzz/regressions/h5_fuzz/chunk_extent_zero.h5";
  h5::File f(path, Mode::Read);
  try {
    const h5::Dataset d = f.dataset("/x");
    FAIL() << "opened, chunks " << shape_string(d.chunks());
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("chunk shape"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("chunk_extent_zero.h5"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mammoth

namespace mammoth {
namespace {

// Defect 9: Linux overcommits, so an allocation larger than the machine succeeds and the
// OOM killer ends the process later. The one allocation policy refuses it up front.
TEST(HostileInput, AllocationLargerThanAvailableMemoryIsRefusedUpFront) {
  const auto available = available_memory();
  ASSERT_TRUE(available.has_value());
  try {
    allocate_buffer<char>(*available + (std::size_t{1} << 30));
    ADD_FAILURE() << "allocated more than is available";
  } catch (const MemoryLimitError& e) {
    EXPECT_NE(std::string(e.what()).find("of memory is available"), std::string::npos) << e.what();
    EXPECT_EQ(e.requested(), *available + (std::size_t{1} << 30));
  }
  EXPECT_NO_THROW(allocate_buffer<char>(std::size_t{64} << 20));
}

// Defect 9: a CSR of 10 rows and more columns than memory can index converts to CSC only
// through an indptr of cols+1 entries. It is refused with the file and the amount, at once,
// instead of being OOM-killed (it was, at 16 GiB resident).
TEST(HostileInput, ConversionNeedingMoreThanTheMachineIsRefusedNamingTheFile) {
  testing::TempDir dir;
  const auto available = available_memory();
  ASSERT_TRUE(available.has_value());
  sparse::Csr<double, std::int64_t> wide;
  wide.rows = 10;
  wide.cols = static_cast<std::int64_t>(*available / sizeof(std::int64_t)) * 2;
  wide.indptr.assign(11, 3);
  wide.indptr[0] = 0;
  wide.indices = {0, 1, wide.cols - 1};
  wide.data = {1.0, 2.0, 3.0};
  const std::string src = dir.file("wide.npz");
  sparse::save_sparse_file(src, wide);
  sparse::ConvertOptions options;
  options.format = "csc";
  const std::string message = error_of([&] { sparse::convert_file(src, dir.file("wide_csc.npz"), options); });
  EXPECT_NE(message.find("wide.npz"), std::string::npos) << message;
  EXPECT_NE(message.find("of memory is available"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(dir.file("wide_csc.npz")));
}

// Defect 9: BSR (8, 2^31) holding two 2x2 blocks: scipy needs 43 MB to save it; the block
// conversion once kept a slot per block column (2^30 of them, 8 GiB).
TEST(HostileInput, BlockConversionWorkspaceIsProportionalToTheEntries) {
  sparse::Csr<double, std::int64_t> a;
  a.rows = 8;
  a.cols = std::int64_t{1} << 31;
  a.indptr = {0, 2, 4, 4, 4, 4, 4, 6, 6};
  a.indices = {0, 1, 0, 1, a.cols - 2, a.cols - 1};
  a.data = {1, 2, 3, 4, 5, 6};
  const auto b = sparse::to_bsr(a, 2, 2);
  ASSERT_EQ(b.indices.size(), 2u);
  EXPECT_EQ(b.indices[0], 0);
  EXPECT_EQ(b.indices[1], (a.cols - 2) / 2);
  EXPECT_EQ(std::vector<double>(b.data.begin(), b.data.begin() + 4), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(std::vector<double>(b.data.begin() + 4, b.data.end()), (std::vector<double>{5, 6, 0, 0}));
  const auto back = sparse::to_csr(b);
  EXPECT_EQ(back.nnz(), 8);  // the stored zeros of the two blocks included
}

}  // namespace
}  // namespace mammoth

namespace mammoth {
namespace {

// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Found by fuzz/npz_fuzz (CI's 20 s run): a scipy-valid COO of 1,953,459,744 rows and no
// entries needs a 15.6 GB indptr as CSR (scipy's tocsr allocates it too). On a machine with
// the room that is a legitimate load; MAMMOTH_MAX_ALLOCATION lets a user (and the fuzz
// targets) have it refused with an error naming the file instead.
TEST(HostileInput, MaxAllocationRefusesAHugeLoadNamingTheFileAndTheCap) {
  ScopedEnv cap("MAMMOTH_MAX_ALLOCATION", "256MiB");
  const std::string path =
      std::string(MAMMOTH_SOURCE_DIR) + "/fuzz/regressions/npz_fuzz/npz_coo_2e9_rows_no_entries.npz";
  const std::string e = error_of([&] { sparse::load_csr_as<double, std::int64_t>(path); });
  EXPECT_NE(e.find("npz_coo_2e9_rows_no_entries.npz"), std::string::npos) << e;
  EXPECT_NE(e.find("MAMMOTH_MAX_ALLOCATION allows"), std::string::npos) << e;
  EXPECT_NE(e.find("14.6 GiB"), std::string::npos) << e;  // (1,953,459,744 + 1) int64 offsets
  // Below the cap, allocations are unaffected, small ones included.
  EXPECT_NO_THROW(allocate_buffer<char>(std::size_t{200} << 20));
  ScopedEnv tiny("MAMMOTH_MAX_ALLOCATION", "1KiB");
  EXPECT_THROW(allocate_buffer<char>(4096), MemoryLimitError);
}

// Found by fuzz/h5_fuzz: a legal dataset of 8×8 int32 whose gzip chunks declare 2.5 GiB
// each. Its read is refused naming the dataset and the block, not only the amount.
TEST(HostileInput, AHugeChunkIsRefusedNamingTheDataset) {
  ScopedEnv cap("MAMMOTH_MAX_ALLOCATION", "1GiB");
  const std::string path = std::string(MAMMOTH_SOURCE_DIR) + "/fuzz/regressions/h5_fuzz/h5_chunks_claiming_2_5gib_each";
  const h5::File file(path, Mode::Read);
  const h5::Dataset x = file.dataset("/x");
  std::vector<std::int32_t> out(64);
  try {
    x.read(Box::whole(x.shape()), out.data(), DType(ScalarType::Int32));
    ADD_FAILURE() << "read a 2.5 GiB chunk under a 1 GiB cap";
  } catch (const MemoryLimitError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("h5_chunks_claiming_2_5gib_each:/x: reading (8, 8) at (0, 0) needs 2.5 GiB"), std::string::npos)
        << what;
    EXPECT_NE(what.find("MAMMOTH_MAX_ALLOCATION allows"), std::string::npos) << what;
  }
}

TEST(HostileInput, MalformedMaxAllocationIsAnErrorNamingTheVariable) {
  ScopedEnv cap("MAMMOTH_MAX_ALLOCATION", "lots");
  const std::string e = error_of([] { allocate_buffer<char>(16); });
  EXPECT_NE(e.find("MAMMOTH_MAX_ALLOCATION"), std::string::npos) << e;
}

// The cgroup's room (a SLURM job's or container's limit) can only lower what /proc/meminfo says.
TEST(HostileInput, AvailableMemoryIsAtMostWhatTheKernelReports) {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::size_t kib = 0, total = 0;
  while (in >> key >> kib) {
    if (key == "MemAvailable:" || key == "SwapFree:") total += kib * 1024;
    in.ignore(64, '\n');
  }
  const auto available = available_memory();
  ASSERT_TRUE(available.has_value());
  EXPECT_LE(*available, total + (std::size_t{256} << 20));  // the two reads are moments apart
  EXPECT_GT(*available, 0u);
}

}  // namespace
}  // namespace mammoth
