// Every compiled copy of the hot kernels (baseline, AVX2, AVX-512: kernels_isa.hpp) gives
// the exact float64 result on inputs whose products and sums are exact (small integers and
// halves), for the shapes that take each code path: small column counts compiled in, rows
// split among threads, columns split among threads, leftovers of the four-row loops.
#include "../../src/ooc/kernels_isa.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <random>
#include <vector>

#include "mammoth/mapping.hpp"
#include "test_support.hpp"

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

// A staged tile (tile.hpp) is read from its file piece by piece into each thread's buffer,
// never through `data` (NaN here), and gives the same bits as the same tile in memory on
// every path: pieces of whole rows, several of them a thread, and (rows longer than a
// quarter of the buffer) pieces of columns. Values are not exact in float64, so a sum
// taken in another order would show.
template <class T>
void check_staged(const Kernels& k, std::int64_t rows, std::int64_t cols, int threads, const testing::TempDir& dir) {
  std::mt19937 rng(static_cast<unsigned>(rows * 31 + cols));
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> a(static_cast<std::size_t>(rows * cols));
  for (T& v : a) v = static_cast<T>(u(rng));
  std::vector<double> x(static_cast<std::size_t>(cols)), y(static_cast<std::size_t>(rows));
  for (double& v : x) v = u(rng);
  for (double& v : y) v = u(rng);
  const std::vector<float> x32(x.begin(), x.end());
  const std::string path = dir.file("tile");
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    const std::string head(100, '-');  // an unaligned start, as a raw file's offset may give one
    f.write(head.data(), static_cast<std::streamsize>(head.size()));
    f.write(reinterpret_cast<const char*>(a.data()), static_cast<std::streamsize>(a.size() * sizeof(T)));
  }
  const auto file = FileMap::open(path);
  const std::vector<T> nan(a.size(), std::numeric_limits<T>::quiet_NaN());
  StageBuffers buffers(threads, StageBuffers::kMinBytes);
  const Tile<T> staged(nan.data(), Staged{file.get(), 100}, &buffers);
  const Tile<T> memory(a.data());
  const std::string what = std::string(k.name) + " " + std::to_string(rows) + "x" + std::to_string(cols) + " threads " +
                           std::to_string(threads);
  const auto both = [&](auto&& f) {
    auto from_file = f(staged);
    EXPECT_EQ(from_file, f(memory)) << what;
  };
  if constexpr (std::is_same_v<T, float>) {
    both([&](const Tile<T>& t) {
      std::vector<double> ax(y), set(y.size()), ax32(y), aty(x);
      k.gemv_f32(t, rows, cols, x.data(), ax.data(), threads, false);
      k.gemv_f32(t, rows, cols, x.data(), set.data(), threads, true);
      k.gemv_f32_x32(t, rows, cols, x32.data(), ax32.data(), threads, false);
      k.gemv_t_f32(t, rows, cols, y.data(), aty.data(), threads);
      return std::vector<std::vector<double>>{ax, set, ax32, aty};
    });
  } else {
    both([&](const Tile<T>& t) {
      std::vector<double> ax(y), set(y.size()), aty(x);
      k.gemv_f64(t, rows, cols, x.data(), ax.data(), threads, false);
      k.gemv_f64(t, rows, cols, x.data(), set.data(), threads, true);
      k.gemv_t_f64(t, rows, cols, y.data(), aty.data(), threads);
      return std::vector<std::vector<double>>{ax, set, aty};
    });
  }
}

TEST(KernelsIsa, StagedTilesGiveTheBitsOfTilesInMemory) {
  testing::TempDir dir;
  // {2000, 300}: several pieces of whole rows a thread; {37, 70000} and {3, 140000}: rows
  // longer than a quarter of the 1 MiB buffer, so pieces of columns.
  const std::int64_t shapes[][2] = {{1, 1},     {7, 10},   {20000, 10}, {5000, 16},  {2, 17},     {130, 300}, {3, 9000},
                                    {11, 5000}, {200, 70}, {40, 9000},  {37, 70000}, {3, 140000}, {2000, 300}};
  for (const Kernels* k : copies())
    for (const auto& s : shapes)
      for (int threads : {1, 2, 3}) {
        check_staged<float>(*k, s[0], s[1], threads, dir);
        check_staged<double>(*k, s[0], s[1], threads, dir);
      }
}

TEST(KernelsIsa, BestIsOneOfTheCopies) {
  bool found = false;
  for (const Kernels* k : copies()) found = found || k == &best();
  EXPECT_TRUE(found) << best().name;
}

}  // namespace
}  // namespace mammoth::ooc::isa
