#include "mammoth/random.hpp"

namespace mammoth {
namespace {

// 64×64→128-bit products for unbiased range reduction (GCC/Clang extension).
__extension__ using Wide = unsigned __int128;

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Xoshiro256pp::Xoshiro256pp(std::uint64_t seed) {
  for (auto& word : s_) word = splitmix64(seed);
}

namespace {

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Xoshiro256pp Xoshiro256pp::stream(std::uint64_t seed, std::uint64_t stream) {
  return Xoshiro256pp(mix(seed + 0x9e3779b97f4a7c15ULL) ^ mix(stream + 0x632be59bd9b4e019ULL));
}

void Xoshiro256pp::jump() {
  static constexpr std::uint64_t kJump[] = {0x180ec6d33cfd0aba, 0xd5a61266f0c9392c, 0xa9582618e03fc9aa,
                                            0x39abdc4529b1661c};
  std::uint64_t t[4] = {0, 0, 0, 0};
  for (std::uint64_t word : kJump)
    for (int b = 0; b < 64; ++b) {
      if (word & (std::uint64_t{1} << b))
        for (int i = 0; i < 4; ++i) t[i] ^= s_[i];
      (*this)();
    }
  for (int i = 0; i < 4; ++i) s_[i] = t[i];
}

std::uint64_t Xoshiro256pp::below(std::uint64_t range) {
  if (range == 0) return (*this)();
  // Lemire: the high word of x * range is uniform once the biased low words are rejected.
  Wide m = static_cast<Wide>((*this)()) * range;
  auto low = static_cast<std::uint64_t>(m);
  if (low < range) {
    const std::uint64_t threshold = (0 - range) % range;
    while (low < threshold) {
      m = static_cast<Wide>((*this)()) * range;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace mammoth
