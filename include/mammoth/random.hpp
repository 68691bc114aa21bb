// Seeded random arrays that do not depend on how they are produced: the element at C-order
// position i is drawn from a xoshiro256++ stream seeded by (seed, i / kRandomBlock), so the
// same seed gives the same array whatever the thread count or the I/O block size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "mammoth/any_array.hpp"
#include "mammoth/dtype.hpp"
#include "mammoth/store.hpp"

namespace mammoth {

// xoshiro256++ (Blackman & Vigna): 256-bit state, period 2^256 − 1, fast and good enough
// for simulation data. jump() advances 2^128 steps, for non-overlapping parallel streams.
class Xoshiro256pp {
 public:
  using result_type = std::uint64_t;
  // State from splitmix64(seed), as the authors recommend.
  explicit Xoshiro256pp(std::uint64_t seed = 0);
  Xoshiro256pp(std::uint64_t s0, std::uint64_t s1, std::uint64_t s2, std::uint64_t s3) : s_{s0, s1, s2, s3} {}

  // Generator number `stream` of `seed`: independent streams, so work split into numbered
  // pieces (blocks of an array, columns of a sparse matrix) gives the same numbers
  // whatever the number of threads.
  static Xoshiro256pp stream(std::uint64_t seed, std::uint64_t stream);

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() {
    const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  void jump();
  // Uniform in [0, 1) with 53 (double) or 24 (float) random bits.
  double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
  float uniform_float() { return static_cast<float>((*this)() >> 40) * 0x1.0p-24f; }
  // Uniform integer in [0, range) without bias (Lemire's multiply-and-reject).
  std::uint64_t below(std::uint64_t range);

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// Elements per independently seeded stream: large enough that seeding costs nothing,
// small enough that two threads share even a modest array.
inline constexpr std::int64_t kRandomBlock = 1 << 16;

enum class Distribution : std::uint8_t {
  Uniform,   // [low, high), default [0, 1); float and complex dtypes
  Normal,    // mean, stddev; float and complex dtypes
  Integers,  // [low, high) whole numbers; any dtype
};

struct RandomSpec {
  Distribution dist = Distribution::Uniform;
  std::uint64_t seed = 0;
  double low = 0.0;   // uniform / integers
  double high = 1.0;  // uniform / integers (exclusive)
  double mean = 0.0;  // normal
  double stddev = 1.0;

  static Distribution parse_distribution(const std::string& text);
};

// Writes elements [first, first + count) of the C-order random sequence of `spec` for
// `dtype` into `dst` (count items of `dtype`, any byte order). OpenMP-parallel.
void fill_random(void* dst, DType dtype, std::int64_t first, std::int64_t count, const RandomSpec& spec);
// Fills a whole array whatever its strides: its elements in C order get positions
// first, first + 1, … of the sequence (so row i of an n-column array filled with
// first = i * n matches the whole array filled at once).
void fill_random(const AnyArray& array, const RandomSpec& spec, std::int64_t first = 0);
// Fills a store block by block (blocks of at most `max_bytes`, two in flight on the ooc
// engine), releasing each written block, so resident memory stays bounded whatever the
// array's size. Its elements get positions first, first + 1, … (a rank's rows of a whole).
void fill_random(BlockStore& store, const RandomSpec& spec, std::size_t max_bytes = std::size_t{8} << 20,
                 std::int64_t first = 0);

}  // namespace mammoth
