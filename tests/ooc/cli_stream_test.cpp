// The CLI on vectors longer than the budget: `matvec -o`, `matvec -t -o` and
// `reduce --axis 1 -o` stream them, and `reduce -o` of everything writes a scalar.
#include <gtest/gtest.h>

#include "mammoth/ooc/budget.hpp"
#include "mammoth/store.hpp"
#include "test_support.hpp"

namespace mammoth::ooc {
namespace {

using testing::run_cli;
using testing::TempDir;

// `name`.npy: a (rows, cols) float64 matrix with A[i, j] = j + 1, or a vector of `value`s.
void write_npy(const std::string& path, const Shape& shape, double value_or_neg) {
  CreateOptions create;
  create.dtype = DType(ScalarType::Float64);
  create.shape = shape;
  auto s = create_store(path, create);
  std::vector<double> v(static_cast<std::size_t>(element_count(shape)));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = value_or_neg >= 0 ? value_or_neg : static_cast<double>(i % static_cast<std::size_t>(shape.back()) + 1);
  s->write(Box::whole(shape), v.data(), create.dtype);
}

AnyArray read_npy(const std::string& path) { return open_store(path)->mapped().value(); }

TEST(OocCli, VectorsLongerThanTheBudgetStream) {
  TempDir dir;
  const std::int64_t rows = 300'000, cols = 5;  // vectors of 2.3 MiB, budget 1 MiB
  write_npy(dir.file("A.npy"), {rows, cols}, -1);
  write_npy(dir.file("x.npy"), {cols}, 1.0);
  write_npy(dir.file("v.npy"), {rows}, 2.0);
  auto r = run_cli({"matvec", dir.file("A.npy"), dir.file("x.npy"), "-o", dir.file("y.npy"), "--budget", "1MiB", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_npy(dir.file("y.npy")).as<double>()(rows - 1), 15.0);
  r = run_cli(
      {"matvec", "-t", dir.file("A.npy"), dir.file("v.npy"), "-o", dir.file("z.npy"), "--budget", "1MiB", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_npy(dir.file("z.npy")).as<double>()(4), 2.0 * 5 * rows);
  r = run_cli(
      {"reduce", dir.file("A.npy"), "--axis", "1", "--op", "mean", "-o", dir.file("m.npy"), "--budget", "1MiB", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  const AnyArray m = read_npy(dir.file("m.npy"));
  EXPECT_EQ(m.shape(), Shape{rows});
  EXPECT_EQ(m.as<double>()(rows / 2), 3.0);
  r = run_cli({"reduce", dir.file("A.npy"), "--op", "max", "-o", dir.file("s.npy"), "--budget", "1MiB", "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  const AnyArray s = read_npy(dir.file("s.npy"));
  EXPECT_EQ(s.shape(), Shape{});
  EXPECT_EQ(s.as<double>().data()[0], 5.0);
}

}  // namespace
}  // namespace mammoth::ooc
