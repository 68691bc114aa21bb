// Fast uniform float32 values for the HDF5 tour and benchmark workloads (numpy's
// np.random.random costs ~5 ns a value; std::mt19937 with a distribution ~30).
#pragma once

#include <cstddef>
#include <cstdint>

namespace mammoth::cli {

// xoshiro128+ → floats in [0, 1): random values as cheap as numpy's, no allocation.
class UniformFloats {
 public:
  explicit UniformFloats(std::uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = static_cast<std::uint32_t>(z ^ (z >> 31));
    }
  }
  void fill(float* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(next() >> 8) * 0x1.0p-24f;
  }

 private:
  static std::uint32_t rotl(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
  std::uint32_t next() {
    const std::uint32_t result = s_[0] + s_[3];
    const std::uint32_t t = s_[1] << 9;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 11);
    return result;
  }
  std::uint32_t s_[4];
};

}  // namespace mammoth::cli
