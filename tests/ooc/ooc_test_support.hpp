// Test doubles and references shared by the tests of the out-of-core engine.
#pragma once

#include <atomic>
#include <complex>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mammoth/any_array.hpp"
#include "mammoth/error.hpp"
#include "mammoth/store.hpp"

namespace mammoth::testing {

// An array of `shape` filled with small pseudo-random values of type T (exact in float32).
template <class T>
NdArray<T> random_array(const Shape& shape, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-8, 8);
  NdArray<T> a = NdArray<T>::empty(shape);
  for (std::int64_t i = 0; i < a.size(); ++i) {
    const int v = dist(rng);
    if constexpr (std::is_same_v<T, bool>)
      a.data()[i] = v > 0;
    else if constexpr (std::is_unsigned_v<T>)
      a.data()[i] = static_cast<T>(v + 8);
    else if constexpr (std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>)
      a.data()[i] = T(static_cast<typename T::value_type>(v), static_cast<typename T::value_type>(dist(rng)));
    else
      a.data()[i] = static_cast<T>(v) / static_cast<T>(std::is_floating_point_v<T> ? 4 : 1);
  }
  return a;
}

// A store that forwards to another but never exposes its bytes (no mapped()), so the
// engine takes the copying path, and that remembers which thread called it.
class OpaqueStore : public BlockStore {
 public:
  explicit OpaqueStore(BlockStore& inner) : inner_(inner) {}
  std::string name() const override { return inner_.name(); }
  DType dtype() const override { return inner_.dtype(); }
  const Shape& shape() const override { return inner_.shape(); }
  Shape chunk_shape() const override { return chunks_; }
  bool writable() const override { return inner_.writable(); }
  void read(const Box& box, void* dst, DType type) override {
    ++reads;
    if (fail_at >= 0 && reads > fail_at) throw IoError(name() + ": read failed (test double)", 5);
    reader = std::this_thread::get_id();
    inner_.read(box, dst, type);
  }
  void write(const Box& box, const void* src, DType type) override {
    ++writes;
    writer = std::this_thread::get_id();
    if (fail_writes) throw IoError(name() + ": write failed (test double)", 28);
    inner_.write(box, src, type);
  }
  void release(const Box&) override { ++releases; }
  std::size_t cache_bytes() const override { return cache; }

  Shape chunks_;
  std::size_t cache = 0;
  int fail_at = -1;  // reads after this many throw
  bool fail_writes = false;
  std::atomic<int> reads{0}, writes{0}, releases{0};
  std::thread::id reader, writer;

 private:
  BlockStore& inner_;
};

}  // namespace mammoth::testing
