#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/sparse/convert_file.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/ops.hpp"
#include "mammoth/sparse/random.hpp"
#include "mammoth/sparse/source.hpp"
#include "mammoth/sparse/spmv.hpp"
#include "mammoth/sparse/spy.hpp"
#include "mammoth/sparse/stream.hpp"
#include "mammoth/sparse/vector_io.hpp"
#include "mammoth/sparse/zip.hpp"
#include "test_support.hpp"

using namespace mammoth;
using namespace mammoth::sparse;
using mammoth::testing::TempDir;
using mammoth::testing::write_file;

namespace {

template <class V>
auto vec(const V& v) {
  return std::vector<typename V::value_type>(v.begin(), v.end());
}

template <class T, class I>
void expect_equal(const Csr<T, I>& a, const Csr<T, I>& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  EXPECT_EQ(vec(a.indptr), vec(b.indptr));
  EXPECT_EQ(vec(a.indices), vec(b.indices));
  EXPECT_EQ(vec(a.data), vec(b.data));
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Npz, EveryFormatRoundTripsCompressedAndNot) {
  TempDir dir;
  const auto a = random_csr<double, std::int32_t>(40, 60, 0.1, 2);
  for (bool compressed : {true, false}) {
    const std::string p = dir.file(compressed ? "z.npz" : "s.npz");
    save_npz(p, a, compressed);
    expect_equal(load_npz<Csr<double, std::int32_t>>(p), a);
    save_npz(p, to_csc(a), compressed);
    expect_equal(to_csr(load_npz<Csc<double, std::int32_t>>(p)), a);
    save_npz(p, to_coo(a), compressed);
    expect_equal(to_csr(load_npz<Coo<double, std::int32_t>>(p)), a);
    save_npz(p, to_bsr(a, 4, 3), compressed);
    const auto b = load_npz<Bsr<double, std::int32_t>>(p);
    EXPECT_EQ(b.block_rows, 4);
    EXPECT_EQ(b.block_cols, 3);
    auto back = to_csr(b);
    eliminate_zeros(back);
    expect_equal(back, a);
    save_npz(p, to_dia(a), compressed);
    auto d = to_csr(load_npz<Dia<double, std::int32_t>>(p));
    eliminate_zeros(d);
    expect_equal(d, a);
    EXPECT_EQ(npz_info(p).format, Format::Dia);
  }
}

// The data of each stored member starts on a 64-byte boundary (a zipalign extra field pads
// its local header), whatever the lengths before it; scipy reads the archive (interop).
TEST(Npz, StoredMembersStartOn64ByteBoundaries) {
  TempDir dir;
  for (const std::int64_t n : {7, 300, 1001}) {
    const std::string path = dir.file("a" + std::to_string(n) + ".npz");
    const auto a = random_csr<double, std::int32_t>(n, n + 3, 0.05, 3);
    save_npz(path, a, false);
    expect_equal(load_npz<Csr<double, std::int32_t>>(path), a);
    std::ifstream in(path, std::ios::binary);
    const std::string z((std::istreambuf_iterator<char>(in)), {});
    const auto le = [&](std::size_t at, int bytes) {
      std::uint64_t v = 0;
      for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(z[at + static_cast<std::size_t>(i)]);
      return v;
    };
    int members = 0;
    for (std::size_t at = 0; at + 30 <= z.size() && le(at, 4) == 0x04034b50; ++members) {
      const std::size_t npy = at + 30 + le(at + 26, 2) + le(at + 28, 2);
      ASSERT_EQ(z.compare(npy, 6, "\x93NUMPY"), 0);
      const std::size_t data = npy + 10 + le(npy + 8, 2);  // version 1.0 header
      EXPECT_EQ(data % 64, 0u) << z.substr(at + 30, le(at + 26, 2)) << " of " << path;
      at = npy + le(at + 18, 4);  // the stored size, header included
    }
    EXPECT_EQ(members, 5);  // indices, indptr, format, shape, data
  }
}

// The deflating writer's buffers are charged to a budget: fewer threads under a small one,
// and the same archive whatever the thread count.
TEST(Npz, DeflateThreadsFitTheMemoryGivenAndWriteTheSameArchive) {
  EXPECT_EQ(ZipWriter::working_bytes(false, 4), 0u);
  EXPECT_LT(ZipWriter::working_bytes(true, 1), ZipWriter::working_bytes(true, 2));
  EXPECT_EQ(ZipWriter::threads_within(0), 1);
  EXPECT_LE(ZipWriter::working_bytes(true, ZipWriter::threads_within(std::size_t{8} << 20)), std::size_t{8} << 20);
  TempDir dir;
  const auto a = random_csr<double, std::int64_t>(3000, 3000, 0.05, 9);  // ~5 MiB of members: many blocks
  const std::string src = dir.file("a.npz");
  save_npz(src, a, false);
  std::string bytes[2];
  for (int k = 0; k < 2; ++k) {
    ConvertOptions options;
    options.ooc.budget = k == 0 ? (std::size_t{4} << 20) + (std::size_t{64} << 10) : std::size_t{256} << 20;
    const std::string out = dir.file("o" + std::to_string(k) + ".npz");
    convert_file(src, out, options);
    expect_equal(load_npz<Csr<double, std::int64_t>>(out), a);
    std::ifstream in(out, std::ios::binary);
    bytes[k].assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(bytes[0], bytes[1]);  // block boundaries do not depend on the thread count
}

TEST(Npz, ConvertsDtypesOnLoadAndKeepsComplexAndInts) {
  TempDir dir;
  const auto c = random_csr<std::complex<float>, std::int64_t>(10, 12, 0.3, 4);
  save_npz(dir.file("c.npz"), c);
  expect_equal(load_npz<Csr<std::complex<float>, std::int64_t>>(dir.file("c.npz")), c);
  const auto i = random_csr<std::int32_t, std::int32_t>(10, 12, 0.3, 4);
  save_npz(dir.file("i.npz"), i);
  const auto wide = load_npz<Csr<std::int64_t, std::int64_t>>(dir.file("i.npz"));
  EXPECT_EQ(wide.data[0], static_cast<std::int64_t>(i.data[0]));
  EXPECT_EQ(npz_info(dir.file("i.npz")).data.descr(), "<i4");
}

TEST(Npz, RejectsWrongFormatAndBadFiles) {
  TempDir dir;
  const auto a = random_csr<double, std::int32_t>(5, 5, 0.4, 1);
  save_npz(dir.file("a.npz"), a);
  EXPECT_NE(
      error_of([&] { load_npz<Csc<double, std::int32_t>>(dir.file("a.npz")); }).find("holds a csr matrix, not csc"),
      std::string::npos);
  write_file(dir.file("junk.npz"), "this is not a zip");
  EXPECT_THROW(npz_info(dir.file("junk.npz")), FormatError);
  EXPECT_THROW(npz_info(dir.file("missing.npz")), Error);
  // A structurally broken CSR (index out of range) is refused with the reason.
  Csr<double, std::int32_t> bad{2, 2, {0, 1, 2}, {0, 5}, {1, 1}};
  save_npz(dir.file("bad.npz"), bad);
  const std::string e = error_of([&] { load_npz<Csr<double, std::int32_t>>(dir.file("bad.npz")); });
  EXPECT_NE(e.find("indices[1] = 5 is outside [0, 2)"), std::string::npos) << e;
  // A truncated archive.
  const std::string bytes = mammoth::testing::read_file(dir.file("a.npz"));
  write_file(dir.file("cut.npz"), bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW((load_npz<Csr<double, std::int32_t>>(dir.file("cut.npz"))), Error);
}

TEST(NpyMember, HeaderRoundTrip) {
  // .npz members share the one .npy header implementation, strings ('format') included.
  const std::string h = format_npy_header("<f8", {3, 4});
  EXPECT_EQ(h.size() % 64, 0u);
  const auto p = parse_npy_header(h, static_cast<std::int64_t>(h.size()) + 96, "t");
  EXPECT_EQ(p.shape, (Shape{3, 4}));
  EXPECT_EQ(p.dtype, DType(ScalarType::Float64));
  EXPECT_EQ(p.data_offset, static_cast<std::int64_t>(h.size()));
  const std::string text = format_npy_header("|S3", {});
  const auto t = parse_npy_header(text, static_cast<std::int64_t>(text.size()) + 3, "t", true);
  EXPECT_EQ(t.text_descr, "|S3");
  EXPECT_EQ(t.data_bytes(), 3);
  EXPECT_THROW(parse_npy_header(text, static_cast<std::int64_t>(text.size()) + 3, "t"), TypeError);
  EXPECT_THROW(parse_npy_header(std::string("\x93NUMPX\x01\x00\x10\x00{}              ", 26), 26, "t"), FormatError);
}

TEST(Mtx, RoundTripRealIntegerComplexArray) {
  TempDir dir;
  const auto a = random_csr<double, std::int32_t>(30, 20, 0.2, 9);
  write_mtx(dir.file("a.mtx"), a);
  expect_equal(to_csr(read_mtx<double, std::int32_t>(dir.file("a.mtx"))), a);
  write_mtx(dir.file("arr.mtx"), a,
            MtxWriteOptions{.array = true, .symmetry = MtxSymmetry::General, .pattern = false, .comment = ""});
  auto arr = to_csr(read_mtx<double, std::int32_t>(dir.file("arr.mtx")));
  eliminate_zeros(arr);
  expect_equal(arr, a);
  const auto c = random_csr<std::complex<double>, std::int32_t>(8, 8, 0.3, 1);
  write_mtx(dir.file("c.mtx"), c);
  expect_equal(to_csr(read_mtx<std::complex<double>, std::int32_t>(dir.file("c.mtx"))), c);
  EXPECT_THROW((read_mtx<double, std::int32_t>(dir.file("c.mtx"))), TypeError);
  const auto i = random_csr<std::int64_t, std::int32_t>(8, 8, 0.3, 1);
  write_mtx(dir.file("i.mtx"), i);
  EXPECT_EQ(mtx_info(dir.file("i.mtx")).field, MtxField::Integer);
  expect_equal(to_csr(read_mtx<std::int64_t, std::int32_t>(dir.file("i.mtx"))), i);
  const auto s = add(a.rows == a.cols ? a : slice(a, 0, 20, 0, 20), transpose(slice(a, 0, 20, 0, 20)));
  write_mtx(dir.file("s.mtx"), s,
            MtxWriteOptions{.array = false, .symmetry = MtxSymmetry::Symmetric, .pattern = false, .comment = ""});
  EXPECT_EQ(mtx_info(dir.file("s.mtx")).symmetry, MtxSymmetry::Symmetric);
  expect_equal(to_csr(read_mtx<double, std::int32_t>(dir.file("s.mtx"))), s);
  EXPECT_THROW(
      write_mtx(dir.file("x.mtx"), slice(a, 0, 20, 0, 20),
                MtxWriteOptions{.array = false, .symmetry = MtxSymmetry::Symmetric, .pattern = false, .comment = ""}),
      ShapeError);
}

TEST(Mtx, SymmetryKindsCommentsAndBlankLines) {
  TempDir dir;
  write_file(dir.file("s.mtx"),
             "%%MatrixMarket matrix coordinate real skew-symmetric\n% a comment\n\n3 3 2\n2 1 5\n\n% mid comment\n3 2 "
             "-1.5e0\n");
  auto d = to_dense(read_mtx<double, std::int32_t>(dir.file("s.mtx")));
  EXPECT_EQ(std::vector<double>(d.data(), d.data() + 9), (std::vector<double>{0, -5, 0, 5, 0, 1.5, 0, -1.5, 0}));
  write_file(dir.file("h.mtx"), "%%MatrixMarket matrix coordinate complex hermitian\n2 2 2\n1 1 1 0\n2 1 2 3\n");
  auto h = to_dense(read_mtx<std::complex<double>, std::int32_t>(dir.file("h.mtx")));
  EXPECT_EQ(h(0, 1), std::complex<double>(2, -3));
  EXPECT_EQ(h(1, 0), std::complex<double>(2, 3));
  write_file(dir.file("p.mtx"), "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n1 1\n3 1\n");
  auto p = to_dense(read_mtx<float, std::int32_t>(dir.file("p.mtx")));
  EXPECT_EQ(p(0, 2), 1.0f);
  EXPECT_EQ(p(2, 0), 1.0f);
  write_file(dir.file("a.mtx"), "%%MatrixMarket matrix array integer symmetric\n2 2\n1\n2\n3\n");
  auto a = to_dense(read_mtx<std::int64_t, std::int32_t>(dir.file("a.mtx")));
  EXPECT_EQ(std::vector<std::int64_t>(a.data(), a.data() + 4), (std::vector<std::int64_t>{1, 2, 2, 3}));
}

TEST(Mtx, MalformedFilesNameTheLine) {
  TempDir dir;
  auto expect_error = [&](const std::string& text, const std::string& want) {
    write_file(dir.file("m.mtx"), text);
    const std::string e = error_of([&] { read_mtx<double, std::int32_t>(dir.file("m.mtx")); });
    EXPECT_NE(e.find(want), std::string::npos) << "got: " << e << "\nwanted: " << want;
  };
  expect_error("", "m.mtx:1: empty file");
  expect_error("%%MatrixMarket matrix coordinate reel general\n1 1 1\n1 1 1\n", "m.mtx:1: field 'reel'");
  expect_error("%MatrixMarket matrix coordinate real general\n", "m.mtx:1: bad banner");
  expect_error("%%MatrixMarket matrix coordinate real general\n% c\n2 x 1\n", "m.mtx:3: bad size line");
  expect_error("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n3 1 1\n",
               "m.mtx:4: index (3, 1) is outside");
  expect_error("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n0 1 1\n", "m.mtx:4: index (0, 1)");
  expect_error("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 abc\n", "m.mtx:3: bad value");
  expect_error("%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 2\n",
               "m.mtx:5: the file ends after 2 entries");
  expect_error("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n\n2 2 2\n",
               "m.mtx:5: more entries than the 1");
  expect_error("%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1\n", "must be square");
  expect_error("%%MatrixMarket matrix coordinate integer general\n1 1 1\n1 1 2.5\n", "m.mtx:3: bad value");
}

TEST(Mtx, ParallelParseOfABigFile) {
  TempDir dir;
  const auto a = random_csr<double, std::int32_t>(500, 800, 0.2, 3);  // > 1 MiB of text: chunked parse
  write_mtx(dir.file("big.mtx"), a);
  expect_equal(to_csr(read_mtx<double, std::int32_t>(dir.file("big.mtx"))), a);
  // An error deep in the file still reports its own line.
  std::string text = mammoth::testing::read_file(dir.file("big.mtx"));
  std::size_t pos = 0;
  for (int line = 1; line < 70000; ++line) pos = text.find('\n', pos) + 1;
  text.insert(pos, "1 x 1\n");
  text.replace(text.find("500 800 80000"), 13, "500 800 80001");
  write_file(dir.file("bad.mtx"), text);
  const std::string e = error_of([&] { read_mtx<double, std::int32_t>(dir.file("bad.mtx")); });
  EXPECT_NE(e.find("bad.mtx:70000: bad entry"), std::string::npos) << e;
  // Read in blocks of 4 KiB: the same entries in the same order, the same line in errors.
  const MtxData whole = read_mtx_data(dir.file("big.mtx"));
  MtxData blocks;
  int count = 0;
  read_mtx_blocks(dir.file("big.mtx"), 4096, [&](MtxData& d) {
    ++count;
    blocks.row.insert(blocks.row.end(), d.row.begin(), d.row.end());
    blocks.col.insert(blocks.col.end(), d.col.begin(), d.col.end());
    blocks.re.insert(blocks.re.end(), d.re.begin(), d.re.end());
  });
  EXPECT_GT(count, 100);
  EXPECT_EQ(blocks.row, whole.row);
  EXPECT_EQ(blocks.col, whole.col);
  EXPECT_EQ(blocks.re, whole.re);
  const std::string eb = error_of([&] { read_mtx_blocks(dir.file("bad.mtx"), 4096, [](MtxData&) {}); });
  EXPECT_NE(eb.find("bad.mtx:70000: bad entry"), std::string::npos) << eb;
}

TEST(Mtx, UnsortedCoordinatesConvertInBoundedMemory) {
  TempDir dir;
  // Entries in reverse order, a duplicate pair and a symmetric file: sorted in runs of
  // about a thousand entries (a 64 KiB budget), merged into canonical CSR.
  const auto a = random_csr<double, std::int32_t>(300, 200, 0.1, 9);
  std::string text = "%%MatrixMarket matrix coordinate real general\n300 200 " + std::to_string(a.nnz() + 1) + "\n";
  for (std::int64_t r = a.rows; r-- > 0;)
    for (std::int32_t k = a.indptr[r + 1]; k-- > a.indptr[r];)
      text += std::to_string(r + 1) + " " + std::to_string(a.indices[k] + 1) + " " + std::to_string(a.data[k]) + "\n";
  const auto first_row = std::upper_bound(a.indptr.begin(), a.indptr.end(), 0) - a.indptr.begin();  // 1-based
  text += std::to_string(first_row) + " " + std::to_string(a.indices[0] + 1) + " 0.5\n";
  write_file(dir.file("u.mtx"), text);
  ConvertOptions options;
  options.ooc.budget = 64 * 1024;
  options.compressed = false;  // a deflating writer's buffers alone take ~1.3 MiB (checked below)
  EXPECT_TRUE(streams(dir.file("u.mtx"), dir.file("u.npz"), options));
  convert_file(dir.file("u.mtx"), dir.file("u.npz"), options);
  convert_file(dir.file("u.mtx"), dir.file("u.h5") + ":/X", options);
  const auto want = load_csr_as<double, std::int32_t>(dir.file("u.mtx"));  // in memory
  expect_equal(load_npz<Csr<double, std::int32_t>>(dir.file("u.npz")), want);
  expect_equal(load_h5_group<Csr<double, std::int32_t>>(dir.file("u.h5") + ":/X"), want);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))  // no scratch file is left
    EXPECT_EQ(entry.path().filename().string().find("mammoth-tmp"), std::string::npos) << entry.path();
  write_file(dir.file("s.mtx"), "%%MatrixMarket matrix coordinate integer symmetric\n3 3 3\n3 1 4\n2 2 5\n2 1 -1\n");
  convert_file(dir.file("s.mtx"), dir.file("s.npz"), options);
  const auto s = load_npz<Csr<std::int64_t, std::int32_t>>(dir.file("s.npz"));
  EXPECT_EQ(vec(s.indptr), (std::vector<std::int32_t>{0, 2, 4, 5}));
  EXPECT_EQ(vec(s.indices), (std::vector<std::int32_t>{1, 2, 0, 1, 0}));
  EXPECT_EQ(vec(s.data), (std::vector<std::int64_t>{-1, 4, -1, 5, 4}));
  // A bad entry found while sorting leaves no destination and no scratch file.
  write_file(dir.file("b.mtx"), "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n3 1 1\n");
  EXPECT_NE(error_of([&] { convert_file(dir.file("b.mtx"), dir.file("b.npz"), options); }).find("b.mtx:4: index"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("b.npz")));
  // Deflated members need more than the budget: refused with the amounts, nothing written.
  ConvertOptions deflated = options;
  deflated.compressed = true;
  const std::string too_small = error_of([&] { convert_file(dir.file("u.mtx"), dir.file("z.npz"), deflated); });
  EXPECT_NE(too_small.find("memory budget 64.0 KiB is too small"), std::string::npos) << too_small;
  EXPECT_FALSE(std::filesystem::exists(dir.file("z.npz")));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename().string().find("mammoth-tmp"), std::string::npos) << entry.path();
}

TEST(Stream, OutOfCoreSpmvMatchesInMemory) {
  TempDir dir;
  auto a = random_csr<double, std::int32_t>(300, 500, 0.1, 6);
  // One row longer than a block: it is cut into pieces whose partial sums add up.
  for (std::int32_t j = 0; j < 500; ++j) a.indices.insert(a.indices.begin() + a.indptr[7] + j, j);
  a.data.insert(a.data.begin() + a.indptr[7], 500, 0.5);
  for (std::size_t r = 8; r < a.indptr.size(); ++r) a.indptr[r] += 500;
  a = to_csr(to_coo(a));  // sums the duplicates: row 7 holds all 500 columns
  std::vector<double> x(500), want(300), want_t(500);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1.0 / static_cast<double>(i + 1);
  spmv(a, std::span<const double>(x), std::span<double>(want));
  const auto at = transpose(a);
  spmv(at, std::span<const double>(x.data(), 300), std::span<double>(want_t));
  ooc::Options options;
  options.budget = 16 * 1024;  // x, y, indptr (~8 KiB) and four buffers of ~350 entries
  save_npz(dir.file("a.npz"), a, false);
  save_npz(dir.file("z.npz"), a, true);  // deflated members: inflated as streamed
  save_h5_group(dir.file("a.h5") + ":/X", a);
  save_npz(dir.file("c.npz"), to_csc(a), false);
  for (const std::string spec : {"a.npz", "z.npz", "a.h5:/X", "c.npz"}) {
    SCOPED_TRACE(spec);
    const SparseSource src = open_sparse(dir.file(spec));
    StreamStats s;
    const AnyArray y =
        sparse::spmv(src, AnyArray(NdArray<double>::from(std::vector<double>(x), {500})), options, false, &s);
    EXPECT_GT(s.blocks, 10);
    EXPECT_LE(s.max_block_nnz * 12 * 2, 16 * 1024);
    const auto* got = reinterpret_cast<const double*>(y.data());
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
    const AnyArray yt = sparse::spmv(
        src, AnyArray(NdArray<double>::from(std::vector<double>(x.begin(), x.begin() + 300), {300})), options, true);
    const auto* got_t = reinterpret_cast<const double*>(yt.data());
    for (std::size_t i = 0; i < want_t.size(); ++i) EXPECT_NEAR(got_t[i], want_t[i], 1e-12) << i;
  }
}

// The first blocks are small and grow, so the first compute starts soon; but a row is cut
// only where the largest block cuts it, so its sum does not depend on the ramp.
TEST(Stream, BlocksRampUpButCutRowsOnlyAtTheLargest) {
  std::vector<std::int64_t> indptr{0};
  for (int r = 0; r < 1000; ++r) indptr.push_back(indptr.back() + (r == 30 ? 5000 : r == 500 ? 20000 : 100));
  const std::int64_t max_nnz = 8000;
  const std::vector<Box> blocks = nnz_blocks(indptr, max_nnz);
  std::int64_t next = 0;
  for (const Box& b : blocks) {
    EXPECT_EQ(b.offset[0], next);  // contiguous, in order
    EXPECT_LE(b.count[0], max_nnz);
    next += b.count[0];
  }
  EXPECT_EQ(next, indptr.back());
  EXPECT_LE(blocks[0].count[0], max_nnz / 16);
  EXPECT_LE(blocks[1].count[0], max_nnz / 8);
  EXPECT_LE(blocks[2].count[0], max_nnz / 4);
  EXPECT_GT(blocks[2].count[0], blocks[0].count[0]);
  const auto holds_whole = [&](std::size_t row) {
    for (const Box& b : blocks)
      if (b.offset[0] <= indptr[row] && indptr[row + 1] <= b.offset[0] + b.count[0]) return true;
    return false;
  };
  EXPECT_TRUE(holds_whole(30));      // 5000 entries, longer than the blocks around it: still whole
  std::vector<std::int64_t> pieces;  // the 20000-entry row: in pieces of the largest block
  for (const Box& b : blocks)
    if (b.offset[0] >= indptr[500] && b.offset[0] < indptr[501]) pieces.push_back(b.count[0]);
  EXPECT_EQ(pieces, (std::vector<std::int64_t>{8000, 8000, 4000}));
}

// A gather's y starts uninitialised (each row is set once, not zeroed first): the rows no
// block holds (runs of empty rows, at the start, inside and at the end) and a row cut into
// pieces must still come out right. y's memory is dirtied first (NaN, freed just before:
// the allocator hands the same bytes back).
TEST(Stream, EmptyRowsAndPiecesOfAnUninitialisedY) {
  TempDir dir;
  const std::int64_t rows = 300, cols = 400;
  Csr<double, std::int32_t> a;
  a.rows = rows;
  a.cols = cols;
  a.indptr.assign(rows + 1, 0);
  std::vector<std::int32_t> indices;
  std::vector<double> data;
  for (std::int64_t r = 0; r < rows; ++r) {
    const bool empty = r < 20 || (r >= 100 && r < 180) || r >= 290;
    const std::int64_t n = empty ? 0 : r == 50 ? cols : 3;  // row 50: longer than a block
    for (std::int64_t k = 0; k < n; ++k) {
      indices.push_back(static_cast<std::int32_t>(n == cols ? k : (r * 7 + k * 13) % cols));
      data.push_back(0.25 * static_cast<double>(k + 1));
    }
    a.indptr[static_cast<std::size_t>(r) + 1] = static_cast<std::int32_t>(indices.size());
  }
  a.indices.assign(indices.begin(), indices.end());
  a.data.assign(data.begin(), data.end());
  a = to_csr(to_coo(a));
  std::vector<double> x(static_cast<std::size_t>(cols)), want(static_cast<std::size_t>(rows));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5 + static_cast<double>(i % 7);
  spmv(a, std::span<const double>(x), std::span<double>(want));
  save_npz(dir.file("a.npz"), a, false);
  ooc::Options options;
  options.budget = 16 * 1024;  // blocks of a few hundred entries: row 50 in pieces
  for (int round = 0; round < 3; ++round) {
    {
      AnyArray dirty = AnyArray::empty(dtype_of<double>(), {rows});
      std::fill_n(reinterpret_cast<double*>(dirty.data()), rows, std::numeric_limits<double>::quiet_NaN());
    }
    StreamStats s;
    const AnyArray y =
        sparse::spmv(open_sparse(dir.file("a.npz")), AnyArray(NdArray<double>::from(std::vector<double>(x), {cols})),
                     options, false, &s);
    EXPECT_GT(s.blocks, 2);
    const auto* got = reinterpret_cast<const double*>(y.data());
    for (std::int64_t r = 0; r < rows; ++r)
      ASSERT_EQ(got[r], want[static_cast<std::size_t>(r)]) << r;  // quarters: exact
  }
}

TEST(Stream, SpmvChecksIndicesBudgetAndCancel) {
  TempDir dir;
  auto a = random_csr<double, std::int32_t>(300, 500, 0.1, 6);
  const AnyArray x(NdArray<double>::from(std::vector<double>(500, 1.0), {500}));
  ooc::Options options;
  options.budget = 64 * 1024;
  a.indices[a.indices.size() - 3] = 900;
  save_npz(dir.file("bad.npz"), a, false);
  const std::string e = error_of([&] { sparse::spmv(open_sparse(dir.file("bad.npz")), x, options); });
  EXPECT_NE(e.find("indices[" + std::to_string(a.indices.size() - 3) + "] = 900 is outside [0, 500)"),
            std::string::npos)
      << e;
  a.indices[a.indices.size() - 3] = 1;
  save_npz(dir.file("a.npz"), a, false);
  options.budget = 4096;  // less than x and y
  EXPECT_THROW(sparse::spmv(open_sparse(dir.file("a.npz")), x, options), Error);
  options.budget = 64 * 1024;
  ooc::request_cancel();
  EXPECT_THROW(sparse::spmv(open_sparse(dir.file("a.npz")), x, options), ooc::Cancelled);
  ooc::clear_cancel();
  EXPECT_THROW(sparse::spmv(open_sparse(dir.file("a.npz")),
                            AnyArray(NdArray<double>::from(std::vector<double>(3, 1.0), {3})), options),
               ShapeError);
}

TEST(Stream, SpmvChecksIndicesOfARowSplitAcrossBlocks) {
  TempDir dir;
  // One row of 60,000 entries: under a small budget it is multiplied piece by piece.
  Csr<double, std::int64_t> a{1, 60000, {0, 60000}, {}, {}};
  for (std::int64_t k = 0; k < 60000; ++k) {
    a.indices.push_back(k);
    a.data.push_back(0.5);
  }
  std::vector<double> x(60000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i % 7);
  const AnyArray xa(NdArray<double>::from(std::vector<double>(x), {60000}));
  ooc::Options options;
  options.budget = 1 << 20;
  save_npz(dir.file("a.npz"), a, false);
  StreamStats stats;
  const AnyArray y = sparse::spmv(open_sparse(dir.file("a.npz")), xa, options, false, &stats);
  EXPECT_GE(stats.blocks, 2);
  double want = 0;
  for (double v : x) want += 0.5 * v;
  EXPECT_DOUBLE_EQ(reinterpret_cast<const double*>(y.data())[0], want);
  // The first index past the last column, in a middle piece; then one far below zero.
  for (const std::int64_t bad : {std::int64_t{60000}, std::int64_t{-5} << 40}) {
    a.indices[43210] = bad;
    save_npz(dir.file("bad.npz"), a, false);
    const std::string e = error_of([&] { sparse::spmv(open_sparse(dir.file("bad.npz")), xa, options); });
    EXPECT_NE(e.find("indices[43210] = " + std::to_string(bad) + " is outside [0, 60000)"), std::string::npos) << e;
  }
}

TEST(Stream, SpmvKeepsNaNsOfTheDataAndStillFindsBadIndices) {
  TempDir dir;
  // A bad index shows as a NaN sum (the clamped read), so rows NaN for their own values
  // must come out as the in-memory product has them, not as an error.
  auto a = random_csr<double, std::int32_t>(400, 3000, 0.1, 8);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < a.data.size(); k += 97) a.data[k] = k % 2 ? nan : inf;
  std::vector<double> x(3000), want(400);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = i % 11 == 0 ? -inf : 1.0 / static_cast<double>(i + 1);
  spmv(a, std::span<const double>(x), std::span<double>(want));
  save_npz(dir.file("a.npz"), a, false);
  ooc::Options options;
  options.budget = 1 << 20;
  const AnyArray xa(NdArray<double>::from(std::vector<double>(x), {3000}));
  StreamStats stats;
  const AnyArray y = sparse::spmv(open_sparse(dir.file("a.npz")), xa, options, false, &stats);
  EXPECT_GE(stats.blocks, 2);
  const auto* got = reinterpret_cast<const double*>(y.data());
  int nans = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    nans += std::isnan(want[i]);
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << i;
    else
      EXPECT_EQ(got[i], want[i]) << i;
  }
  EXPECT_GT(nans, 10);
  // A bad index whose value is zero, in a row that is NaN already.
  const std::size_t bad = static_cast<std::size_t>(a.indptr[200]) + 1;
  a.data[bad - 1] = nan;
  a.data[bad] = 0.0;
  a.indices[bad] = 3000;
  save_npz(dir.file("bad.npz"), a, false);
  const std::string e = error_of([&] { sparse::spmv(open_sparse(dir.file("bad.npz")), xa, options); });
  EXPECT_NE(e.find("indices[" + std::to_string(bad) + "] = 3000 is outside [0, 3000)"), std::string::npos) << e;
}

TEST(Stream, ParallelBlocksReadInPlaceAtAnyOffset) {
  TempDir dir;
  // Enough entries per block for every thread; the members sit at odd offsets of the zip.
  auto a = random_csr<double, std::int32_t>(400, 3000, 0.1, 4);
  std::vector<double> x(3000), want(400);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 1.0 / static_cast<double>(i + 3);
  spmv(a, std::span<const double>(x), std::span<double>(want));
  save_npz(dir.file("a.npz"), a, false);
  const SparseSource src = open_sparse(dir.file("a.npz"));
  const auto view = src.data().mapped();  // read in place, aligned or not
  ASSERT_TRUE(view.has_value());
  ooc::Options options;
  options.budget = 1 << 20;
  StreamStats stats;
  const AnyArray xa(NdArray<double>::from(std::vector<double>(x), {3000}));
  const AnyArray y = sparse::spmv(src, xa, options, false, &stats);
  EXPECT_GE(stats.blocks, 2);
  const auto* got = reinterpret_cast<const double*>(y.data());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
  // A bad index in a part another thread multiplies is found and named.
  const std::size_t bad = a.indices.size() * 3 / 4;
  a.indices[bad] = -2;
  save_npz(dir.file("bad.npz"), a, false);
  const std::string e = error_of([&] { sparse::spmv(open_sparse(dir.file("bad.npz")), xa, options); });
  EXPECT_NE(e.find("indices[" + std::to_string(bad) + "] = -2 is outside [0, 3000)"), std::string::npos) << e;
}

TEST(Spy, ShadesBlocksByDensity) {
  const SpyGeometry g = spy_geometry(20, 20, 800);
  EXPECT_EQ(g.width, 800);
  EXPECT_EQ(g.height, 800);
  const SpyGeometry big = spy_geometry(1000, 100000, 800);
  EXPECT_EQ(big.width, 800);
  EXPECT_EQ(big.height, 8);
  // 4×4 matrix into 2×2 pixels: the top-left block holds 4 entries, the bottom-right 1.
  Csr<double, std::int32_t> a{4, 4, {0, 2, 4, 4, 5}, {0, 1, 0, 1, 3}, {1, 1, 1, 1, 1}};
  const auto px = spy_pixels(a.rows, a.cols, a.indptr.data(), a.indices.data(), spy_geometry(4, 4, 2));
  EXPECT_EQ(px, (std::vector<std::uint8_t>{0, 255, 255, 191}));
  TempDir dir;
  spy(a, dir.file("a.png"));
  const std::string png = mammoth::testing::read_file(dir.file("a.png"));
  EXPECT_EQ(png.substr(1, 3), "PNG");
}

TEST(Cli, RandomInfoConvertSpmvSpy) {
  TempDir dir;
  using mammoth::testing::run_cli;
  auto r = run_cli({"random", dir.file("a.npz"), "--shape", "30,40", "--density", "0.1", "--seed", "3"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli({"info", dir.file("a.npz")});
  EXPECT_NE(r.out.find("nnz       120 (density 0.1)"), std::string::npos) << r.out;
  r = run_cli({"convert", dir.file("a.npz"), dir.file("b.npz"), "--format", "coo", "--uncompressed"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(npz_info(dir.file("b.npz")).format, Format::Coo);
  r = run_cli({"convert", dir.file("b.npz"), dir.file("c.mtx")});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli({"info", "--json", dir.file("c.mtx")});
  EXPECT_NE(r.out.find("\"nnz\": 120"), std::string::npos) << r.out;
  std::vector<double> x(40, 1.0);
  write_npy_vector<double>(dir.file("x.npy"), x);
  r = run_cli({"spmv", dir.file("c.mtx"), dir.file("x.npy"), "-o", dir.file("y.npy")});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto y = read_npy_vector<double>(dir.file("y.npy"));
  const auto a = load_npz<Csr<double, std::int32_t>>(dir.file("a.npz"));
  const auto rows = sum(a, 1);
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], rows[i], 1e-12);
  r = run_cli({"spy", dir.file("a.npz"), "-o", dir.file("a.png"), "--size", "100"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli({"random", dir.file("bad.npz"), "--shape", "3,4,5"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("2-d"), std::string::npos);
  r = run_cli({"convert", dir.file("a.npz"), dir.file("a.lil.npz"), "--format", "lil"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("save_npz supports"), std::string::npos) << r.err;
}

TEST(H5Group, CsrAndCscRoundTripAndBadGroupsAreRefused) {
  TempDir dir;
  const auto a = random_csr<double, std::int32_t>(30, 40, 0.1, 5);
  const std::string x = dir.file("m.h5") + ":/X", y = dir.file("m.h5") + ":/sub/Y";
  save_h5_group(x, a);
  save_h5_group(y, to_csc(a));
  EXPECT_EQ(h5_group_info(x).format, Format::Csr);
  EXPECT_EQ(h5_group_info(y).format, Format::Csc);
  expect_equal(load_h5_group<Csr<double, std::int32_t>>(x), a);
  expect_equal(to_csr(load_h5_group<Csc<double, std::int32_t>>(y)), a);
  expect_equal(load_csr_as<double, std::int32_t>(y), a);
  save_h5_group(x, a);  // replaces the group
  expect_equal(load_h5_group<Csr<double, std::int32_t>>(x), a);
  EXPECT_THROW((load_h5_group<Csc<double, std::int32_t>>(x)), FormatError);
  EXPECT_NE(error_of([&] { h5_group_info(dir.file("m.h5") + ":/sub"); }).find("not a sparse group"), std::string::npos);
  Csr<double, std::int32_t> bad{2, 2, {0, 1, 2}, {0, 7}, {1, 1}};
  save_h5_group(dir.file("m.h5") + ":/bad", bad);
  EXPECT_NE(
      error_of([&] { load_h5_group<Csr<double, std::int32_t>>(dir.file("m.h5") + ":/bad"); }).find("indices[1] = 7"),
      std::string::npos);
}
