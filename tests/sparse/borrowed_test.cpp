// SparseArrays (sparse/borrowed.hpp): files read into buffers handed out whole, and
// written from borrowed buffers, checked against the owned-matrix loaders and savers.
#include "mammoth/sparse/borrowed.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/random.hpp"
#include "test_support.hpp"

using namespace mammoth;
using namespace mammoth::sparse;
using mammoth::testing::TempDir;

namespace {

template <class T>
std::vector<T> values(const AnyArray& a) {
  const auto* p = reinterpret_cast<const T*>(a.data());
  return std::vector<T>(p, p + a.size());
}
template <class V>
auto vec(const V& v) {
  return std::vector<typename V::value_type>(v.begin(), v.end());
}

// A view of `v` that the SparseArrays borrows: the vector stays the owner.
template <class V>
AnyArray borrow(V& v) {
  using T = typename V::value_type;
  return AnyArray(std::make_shared<HeapStorage>(0), reinterpret_cast<std::byte*>(v.data()), dtype_of<T>(),
                  {static_cast<std::int64_t>(v.size())}, {1});
}

SparseArrays borrowed_csr(Csr<double, std::int32_t>& a) {
  SparseArrays m;
  m.rows = a.rows;
  m.cols = a.cols;
  m.members.emplace("indptr", borrow(a.indptr));
  m.members.emplace("indices", borrow(a.indices));
  m.members.emplace("data", borrow(a.data));
  return m;
}

}  // namespace

TEST(SparseArrays, BorrowedCsrIsWrittenAsTheOwnedSaversWrite) {
  TempDir dir;
  auto a = random_csr<double, std::int32_t>(40, 30, 0.1, 3);
  const SparseArrays m = borrowed_csr(a);
  for (const std::string name : {"s.npz", "s.mtx", "f.h5:/g"}) {
    const std::string spec = dir.file(name);
    write_sparse_arrays(spec, m);
    const auto back = load_csr_as<double, std::int32_t>(spec);
    EXPECT_EQ(vec(back.indptr), vec(a.indptr)) << name;
    EXPECT_EQ(vec(back.indices), vec(a.indices)) << name;
    EXPECT_EQ(vec(back.data), vec(a.data)) << name;
  }
  // Nothing but the destinations is left (no temporaries).
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"f.h5", "s.mtx", "s.npz"}));
}

TEST(SparseArrays, ReadGivesStoredFormatAndScipysIndexType) {
  TempDir dir;
  const auto a = random_csr<float, std::int64_t>(50, 20, 0.2, 4);
  save_npz(dir.file("c.npz"), to_csc(a));
  const SparseArrays m = read_sparse_arrays(dir.file("c.npz"));
  EXPECT_EQ(m.format, Format::Csc);
  EXPECT_EQ(m.member("indices").dtype(), DType(ScalarType::Int32));  // int64 on disk, fits: int32
  EXPECT_EQ(m.member("data").dtype(), DType(ScalarType::Float32));
  const auto c = to_csc(a);
  EXPECT_EQ(values<float>(m.member("data")), vec(c.data));
  EXPECT_EQ(values<std::int32_t>(m.member("indptr")), std::vector<std::int32_t>(c.indptr.begin(), c.indptr.end()));

  write_mtx(dir.file("m.mtx"), a);
  const SparseArrays t = read_sparse_arrays(dir.file("m.mtx"));
  EXPECT_EQ(t.format, Format::Coo);
  EXPECT_EQ(t.member("data").dtype(), DType(ScalarType::Float64));
  EXPECT_EQ(t.member("data").size(), a.nnz());
}

TEST(SparseArrays, RandomIsRandomCsrInEachFormat) {
  const auto a = random_csr<double, std::int32_t>(30, 40, 0.1, 9);
  const SparseArrays csr = random_sparse_arrays(30, 40, 0.1, Format::Csr, DType(ScalarType::Float64), 9);
  EXPECT_EQ(values<double>(csr.member("data")), vec(a.data));
  const SparseArrays dia = random_sparse_arrays(30, 40, 0.1, Format::Dia, DType(ScalarType::Float64), 9);
  const auto d = to_dia(a);
  EXPECT_EQ(dia.member("data").shape(), (Shape{d.ndiag(), d.length}));
  EXPECT_EQ(values<std::int32_t>(dia.member("offsets")), vec(d.offsets));
  const SparseArrays bsr = random_sparse_arrays(30, 40, 0.1, Format::Bsr, DType(ScalarType::Bool), 9, 3, 4);
  EXPECT_EQ(bsr.member("data").dtype(), DType(ScalarType::Bool));
  EXPECT_EQ(bsr.member("data").ndim(), 3);
  validate(bsr);
}

TEST(SparseArrays, ValidateNamesTheProblem) {
  auto a = random_csr<double, std::int32_t>(4, 5, 0.5, 1);
  a.indices[1] = 7;
  const SparseArrays m = borrowed_csr(a);
  try {
    validate(m);
    FAIL() << "no error";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "invalid csr matrix of shape (4, 5): indices[1] = 7 is outside [0, 5)");
  }
  TempDir dir;
  EXPECT_THROW(write_sparse_arrays(dir.file("x.npz"), m), ShapeError);
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.npz")));
  EXPECT_THROW(read_sparse_arrays(dir.file("missing.npz")), IoError);
}
