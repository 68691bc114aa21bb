// Inputs that once crashed the engine or gave wrong answers (issue 10): 0-d arrays, bool
// bytes other than 0/1, and numpy-valid .npy files whose data is not aligned. The last
// two are undefined behaviour that only the sanitizer build (-DMAMMOTH_SANITIZE=ON) sees
// as a failure; the release build checks the values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "mammoth/h5.hpp"
#include "mammoth/ooc/map.hpp"
#include "mammoth/ooc/matmul.hpp"
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/ooc/reduce.hpp"
#include "ooc_test_support.hpp"
#include "test_support.hpp"

namespace mammoth::ooc {
namespace {

using testing::TempDir;

// A .npy v1.0 file with `descr` and `shape` ("()", "(4,)", "(3, 5)") whose data starts
// at byte `data_offset` (numpy pads to a multiple of 64, but reads any header length).
std::string npy_bytes(const std::string& descr, const std::string& shape, const std::string& data,
                      std::size_t data_offset) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t prefix = 10;
  EXPECT_GE(data_offset, prefix + dict.size() + 1);
  dict.append(data_offset - prefix - dict.size() - 1, ' ');
  dict += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict + data;
}

template <class T>
std::string raw_bytes(const std::vector<T>& v) {
  std::string s(v.size() * sizeof(T), '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

double scalar_of(const AnyArray& r) {
  EXPECT_EQ(r.shape(), Shape{});
  return r.astype(DType(ScalarType::Float64)).as<double>().data()[0];
}

// numpy: np.sum(np.float64(-2.5)) is the scalar itself, as are mean, min, max; norm is |x|.
void expect_scalar_reductions(BlockStore& s) {
  EXPECT_EQ(scalar_of(reduce(s, ReduceOp::Sum, {})), -2.5);
  EXPECT_EQ(scalar_of(reduce(s, ReduceOp::Mean, {})), -2.5);
  EXPECT_EQ(scalar_of(reduce(s, ReduceOp::Min, {})), -2.5);
  EXPECT_EQ(scalar_of(reduce(s, ReduceOp::Max, {})), -2.5);
  EXPECT_EQ(scalar_of(reduce(s, ReduceOp::Norm, {})), 2.5);
  EXPECT_THROW(reduce(s, ReduceOp::Sum, 0), ShapeError);
}

TEST(OocCrash, ZeroDimNpyReducesToTheScalar) {
  TempDir dir;
  const std::string path = dir.file("s.npy");
  testing::write_file(path, npy_bytes("<f8", "()", raw_bytes<double>({-2.5}), 128));
  auto s = open_store(path);
  expect_scalar_reductions(*s);
  testing::OpaqueStore opaque(*s);
  expect_scalar_reductions(opaque);
}

TEST(OocCrash, ZeroDimHdf5DatasetReducesToTheScalar) {
  TempDir dir;
  const std::string path = dir.file("s.h5");
  {
    h5::File f(path, "w");
    f.create_dataset("x", NdArray<double>::scalar(-2.5));
  }
  auto s = open_store(path + ":/x");
  expect_scalar_reductions(*s);
}

TEST(OocCrash, ZeroDimFromTheCli) {
  TempDir dir;
  const std::string path = dir.file("s.npy");
  testing::write_file(path, npy_bytes("<i4", "()", raw_bytes<std::int32_t>({7}), 128));
  const auto r = testing::run_cli({"reduce", path, "--op", "max", "-q"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find('7'), std::string::npos) << r.out;
}

// numpy reads every nonzero byte of a bool array as True: np.sum of bytes [2,0,255,1] is 3.
TEST(OocCrash, BoolBytesOtherThanZeroOrOneAreTrue) {
  TempDir dir;
  const std::string path = dir.file("b.npy");
  const std::string bytes("\x02\x00\xff\x01\x00\x02\x00\x01", 8);
  testing::write_file(path, npy_bytes("|b1", "(2, 4)", bytes, 128));
  auto s = open_store(path);
  testing::OpaqueStore opaque(*s);
  for (BlockStore* store : {s.get(), static_cast<BlockStore*>(&opaque)}) {
    EXPECT_EQ(scalar_of(reduce(*store, ReduceOp::Sum, {})), 5.0);
    EXPECT_EQ(scalar_of(reduce(*store, ReduceOp::Norm, {})), std::sqrt(5.0));
    EXPECT_EQ(scalar_of(reduce(*store, ReduceOp::Max, {})), 1.0);
    EXPECT_EQ(scalar_of(reduce(*store, ReduceOp::Min, {})), 0.0);
    const AnyArray rows = reduce(*store, ReduceOp::Sum, 1).astype(DType(ScalarType::Float64));
    EXPECT_EQ(rows.as<double>()(0), 3.0);
    EXPECT_EQ(rows.as<double>()(1), 2.0);
    const AnyArray cols = reduce(*store, ReduceOp::Sum, 0);
    EXPECT_EQ(cols.as<double>()(0), 1.0);
    EXPECT_EQ(cols.as<double>()(1), 1.0);
    EXPECT_EQ(cols.as<double>()(2), 1.0);
    EXPECT_EQ(cols.as<double>()(3), 2.0);
    const AnyArray maxes = reduce(*store, ReduceOp::Max, 0).astype(DType(ScalarType::Float64));
    EXPECT_EQ(maxes.as<double>()(2), 1.0);
    const AnyArray y = matvec(*store, NdArray<double>::full({4}, 1.5));
    EXPECT_EQ(y.as<double>()(0), 4.5);
    EXPECT_EQ(y.as<double>()(1), 3.0);
    const AnyArray z = rmatvec(*store, NdArray<double>::full({2}, 1.0));
    EXPECT_EQ(z.as<double>()(3), 2.0);
  }
}

// A float64 matrix whose data starts at byte 75: every element load is misaligned.
TEST(OocCrash, UnalignedNpyDataMatchesTheAlignedCopy) {
  TempDir dir;
  const Shape shape{67, 45};
  const NdArray<double> a = testing::random_array<double>(shape, 3);
  const std::vector<double> values(a.data(), a.data() + a.size());
  testing::write_file(dir.file("u.npy"), npy_bytes("<f8", "(67, 45)", raw_bytes(values), 75));
  auto u = open_store(dir.file("u.npy"));
  ArrayStore aligned(a, "A");
  const NdArray<double> x = testing::random_array<double>({45}, 4), y = testing::random_array<double>({67}, 5);
  const auto same = [](const AnyArray& p, const AnyArray& q) {
    const AnyArray pd = p.astype(DType(ScalarType::Float64)), qd = q.astype(DType(ScalarType::Float64));
    ASSERT_EQ(pd.shape(), qd.shape());
    for (std::int64_t i = 0; i < pd.size(); ++i)
      EXPECT_NEAR(pd.as<double>().data()[i], qd.as<double>().data()[i], 1e-9) << i;
  };
  same(matvec(*u, x), matvec(aligned, x));
  same(rmatvec(*u, y), rmatvec(aligned, y));
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Min, ReduceOp::Max, ReduceOp::Norm})
    for (std::optional<int> axis : {std::optional<int>{}, std::optional<int>{0}, std::optional<int>{1}})
      same(reduce(*u, op, axis), reduce(aligned, op, axis));
  const NdArray<double> b = testing::random_array<double>({45, 3}, 6);
  same(matmul(*u, b), matmul(aligned, b));
  NdArray<double> t = NdArray<double>::zeros({45, 67}), want = NdArray<double>::zeros({45, 67});
  ArrayStore ts(t, "T"), wants(want, "W");
  transpose(*u, ts);
  transpose(aligned, wants);
  same(t, want);
  NdArray<double> z = NdArray<double>::zeros(shape), zwant = NdArray<double>::zeros(shape);
  ArrayStore zs(z, "Z"), zwants(zwant, "ZW");
  axpy(2, *u, zs);
  axpy(2, aligned, zwants);
  same(z, zwant);
}

}  // namespace
}  // namespace mammoth::ooc
