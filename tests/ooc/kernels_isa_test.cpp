// Every compiled copy of the hot kernels (baseline, AVX2, AVX-512: kernels_isa.hpp) gives
// the exact float64 result on inputs whose products and sums are exact (small integers and
// halves), for the shapes that take each code path: small column counts compiled in, rows
// split among threads, columns split among threads, leftovers of the four-row loops.
#include "../../src/ooc/kernels_isa.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace mammoth::ooc::isa {
namespace {

std::vector<const Kernels*> copies() {
  std::vector<const Kernels*> all{&baseline()};
  if (const Kernels* k = avx2()) all.push_back(k);
  if (const Kernels* k = avx512()) all.push_back(k);
  return all;
}

template <class T>
std::vector<T> values(std::int64_t n, int salt) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = static_cast<T>(((i * 7 + salt) % 13) - 6) / 2;
  return v;
}

template <class T>
void check_copy(const Kernels& k, std::int64_t rows, std::int64_t cols, int threads) {
  const std::vector<T> a = values<T>(rows * cols, 1);
  const std::vector<double> x = values<double>(cols, 2), y = values<double>(rows, 3);
  std::vector<double> ax(static_cast<std::size_t>(rows), 1.0), aty(static_cast<std::size_t>(cols), 1.0);
  std::vector<double> ax_ref = ax, aty_ref = aty, set_ref(static_cast<std::size_t>(rows), 0.0);
  double total = 0;
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) {
      const double v = a[static_cast<std::size_t>(i * cols + j)];
      ax_ref[static_cast<std::size_t>(i)] += v * x[static_cast<std::size_t>(j)];
      set_ref[static_cast<std::size_t>(i)] += v * x[static_cast<std::size_t>(j)];
      aty_ref[static_cast<std::size_t>(j)] += v * y[static_cast<std::size_t>(i)];
      total += v;
    }
  // overwrite: y = A·x whatever y held (NaN here), never read.
  std::vector<double> set(static_cast<std::size_t>(rows), std::numeric_limits<double>::quiet_NaN());
  if constexpr (std::is_same_v<T, float>) {
    k.gemv_f32(a.data(), rows, cols, x.data(), ax.data(), threads, false);
    k.gemv_f32(a.data(), rows, cols, x.data(), set.data(), threads, true);
    k.gemv_t_f32(a.data(), rows, cols, y.data(), aty.data(), threads);
    EXPECT_EQ(k.sum_f32(a.data(), rows * cols), total) << k.name;
  } else {
    k.gemv_f64(a.data(), rows, cols, x.data(), ax.data(), threads, false);
    k.gemv_f64(a.data(), rows, cols, x.data(), set.data(), threads, true);
    k.gemv_t_f64(a.data(), rows, cols, y.data(), aty.data(), threads);
    EXPECT_EQ(k.sum_f64(a.data(), rows * cols), total) << k.name;
  }
  EXPECT_EQ(ax, ax_ref) << k.name << " gemv " << rows << "x" << cols << " threads " << threads;
  EXPECT_EQ(set, set_ref) << k.name << " gemv overwriting " << rows << "x" << cols << " threads " << threads;
  EXPECT_EQ(aty, aty_ref) << k.name << " gemv_t " << rows << "x" << cols << " threads " << threads;
}

TEST(KernelsIsa, EveryCopyIsExactOnEveryPath) {
  // {37, 70000}: rows split, x walked in two pieces; {3, 140000}: columns split, each
  // thread's share in two pieces (x's and out's).
  const std::int64_t shapes[][2] = {{1, 1},    {3, 5},     {7, 10},     {9000, 10}, {5000, 16},
                                    {2, 17},   {5, 100},   {130, 300},  {3, 9000},  {11, 5000},
                                    {200, 70}, {40, 9000}, {37, 70000}, {3, 140000}};
  for (const Kernels* k : copies())
    for (const auto& s : shapes)
      for (int threads : {1, 2, 3}) {
        check_copy<float>(*k, s[0], s[1], threads);
        check_copy<double>(*k, s[0], s[1], threads);
      }
}

TEST(KernelsIsa, BestIsOneOfTheCopies) {
  bool found = false;
  for (const Kernels* k : copies()) found = found || k == &best();
  EXPECT_TRUE(found) << best().name;
}

}  // namespace
}  // namespace mammoth::ooc::isa
