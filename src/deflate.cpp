// Finding a deflate stream's final block means walking every block before it: their lengths
// are only known by decoding their Huffman codes. The walk decodes symbols and skips their
// extra bits, never producing output (a table lookup a symbol, ~10 % of libdeflate's time to
// make the stream).
#include "deflate.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <new>
#include <string>

#include "mammoth/error.hpp"

namespace mammoth::detail {

DeflateCompressor::DeflateCompressor(int level) : c_(libdeflate_alloc_compressor(level)) {
  if (!c_) throw std::bad_alloc();
}

DeflateCompressor::~DeflateCompressor() { libdeflate_free_compressor(c_); }

namespace {

[[noreturn]] void corrupt(const char* what) { throw FormatError(std::string("deflate stream: ") + what); }

class BitReader {
 public:
  explicit BitReader(std::span<const unsigned char> s) : s_(s) {}
  std::uint64_t pos() const { return pos_; }

  // The next k ≤ 32 bits, first bit lowest; bits past the end read as 0 (skip refuses them).
  std::uint32_t peek(int k) const {
    const std::size_t byte = static_cast<std::size_t>(pos_ >> 3);
    std::uint64_t w = 0;
    if (std::endian::native == std::endian::little && byte + 8 <= s_.size())
      std::memcpy(&w, s_.data() + byte, 8);
    else
      for (std::size_t i = 0; i < 8 && byte + i < s_.size(); ++i) w |= std::uint64_t{s_[byte + i]} << (8 * i);
    return static_cast<std::uint32_t>((w >> (pos_ & 7)) & ((std::uint64_t{1} << k) - 1));
  }
  void skip(std::uint64_t k) {
    pos_ += k;
    if (pos_ > 8 * std::uint64_t{s_.size()}) corrupt("truncated");
  }
  std::uint32_t take(int k) {
    const std::uint32_t v = peek(k);
    skip(static_cast<std::uint64_t>(k));
    return v;
  }
  void align() { pos_ = (pos_ + 7) & ~std::uint64_t{7}; }

 private:
  std::span<const unsigned char> s_;
  std::uint64_t pos_ = 0;
};

constexpr int kMaxBits = 15;

// A canonical Huffman code (RFC 1951 3.2.2) decoded by one lookup of its longest code's
// length in bits: entry = symbol << 4 | length, 0 where no code starts (an incomplete code).
class Huffman {
 public:
  void build(const std::uint8_t* lengths, int count) {
    std::array<int, kMaxBits + 1> per_length{};
    for (int s = 0; s < count; ++s) ++per_length[lengths[s]];
    per_length[0] = 0;
    int left = 1;
    for (int len = 1; len <= kMaxBits; ++len) {
      left = 2 * left - per_length[len];
      if (left < 0) corrupt("over-subscribed Huffman code");
    }
    max_ = 0;
    for (int len = kMaxBits; len >= 1 && max_ == 0; --len)
      if (per_length[len] != 0) max_ = len;
    table_.assign(std::size_t{1} << max_, 0);
    std::array<std::uint32_t, kMaxBits + 2> next{};
    for (int len = 1; len <= kMaxBits; ++len) next[len + 1] = (next[len] + per_length[len]) << 1;
    for (int s = 0; s < count; ++s) {
      const int len = lengths[s];
      if (len == 0) continue;
      const std::uint32_t code = reversed(next[len]++, len);
      for (std::uint32_t i = code; i < table_.size(); i += std::uint32_t{1} << len)
        table_[i] = static_cast<std::uint16_t>(s << 4 | len);
    }
  }

  int decode(BitReader& in) const {
    if (max_ == 0) corrupt("a symbol of an empty code");
    const std::uint16_t e = table_[in.peek(max_)];
    if ((e & 15) == 0) corrupt("no such Huffman code");
    in.skip(e & 15);
    return e >> 4;
  }

 private:
  static std::uint32_t reversed(std::uint32_t code, int len) {
    std::uint32_t r = 0;
    for (int i = 0; i < len; ++i) r |= ((code >> i) & 1) << (len - 1 - i);
    return r;
  }
  std::vector<std::uint16_t> table_;
  int max_ = 0;
};

int length_extra_bits(int symbol) {  // 257..285
  const int i = symbol - 257;
  return i < 8 || i == 28 ? 0 : (i - 4) / 4;
}

int distance_extra_bits(int symbol) { return symbol < 4 ? 0 : symbol / 2 - 1; }

// Decodes symbols up to and including the end-of-block code.
void skip_symbols(BitReader& in, const Huffman& literals, const Huffman& distances) {
  for (;;) {
    const int s = literals.decode(in);
    if (s < 256) continue;
    if (s == 256) return;
    if (s > 285) corrupt("invalid length symbol");
    in.skip(static_cast<std::uint64_t>(length_extra_bits(s)));
    const int d = distances.decode(in);
    if (d > 29) corrupt("invalid distance symbol");
    in.skip(static_cast<std::uint64_t>(distance_extra_bits(d)));
  }
}

void read_fixed_codes(Huffman& literals, Huffman& distances) {
  std::array<std::uint8_t, 288> len{};
  std::fill(len.begin(), len.begin() + 144, 8);
  std::fill(len.begin() + 144, len.begin() + 256, 9);
  std::fill(len.begin() + 256, len.begin() + 280, 7);
  std::fill(len.begin() + 280, len.end(), 8);
  literals.build(len.data(), 288);
  len.fill(5);
  distances.build(len.data(), 30);
}

// A dynamic block's header: the code lengths, themselves Huffman-coded.
void read_dynamic_codes(BitReader& in, Huffman& literals, Huffman& distances) {
  static constexpr std::array<int, 19> kOrder{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  const int nlit = static_cast<int>(in.take(5)) + 257, ndist = static_cast<int>(in.take(5)) + 1;
  const int nclen = static_cast<int>(in.take(4)) + 4;
  if (nlit > 286 || ndist > 30) corrupt("too many length or distance codes");
  std::array<std::uint8_t, 19> clen{};
  for (int i = 0; i < nclen; ++i) clen[kOrder[i]] = static_cast<std::uint8_t>(in.take(3));
  Huffman lengths_code;
  lengths_code.build(clen.data(), 19);
  std::array<std::uint8_t, 286 + 30> len{};
  for (int n = 0; n < nlit + ndist;) {
    const int s = lengths_code.decode(in);
    if (s < 16) {
      len[n++] = static_cast<std::uint8_t>(s);
      continue;
    }
    if (s == 16 && n == 0) corrupt("a repeat with no length before it");
    const std::uint8_t value = s == 16 ? len[n - 1] : 0;
    const int repeat = s == 16   ? 3 + static_cast<int>(in.take(2))
                       : s == 17 ? 3 + static_cast<int>(in.take(3))
                                 : 11 + static_cast<int>(in.take(7));
    if (n + repeat > nlit + ndist) corrupt("code lengths past the last code");
    std::fill_n(len.begin() + n, repeat, value);
    n += repeat;
  }
  if (len[256] == 0) corrupt("no end-of-block code");
  literals.build(len.data(), nlit);
  distances.build(len.data() + nlit, ndist);
}

}  // namespace

FinalBlock find_final_block(std::span<const unsigned char> stream) {
  BitReader in(stream);
  Huffman literals, distances;
  for (;;) {
    const std::uint64_t header = in.pos();
    const bool final = in.take(1) != 0;
    const std::uint32_t type = in.take(2);
    if (type == 0) {
      in.align();
      const std::uint32_t len = in.take(16), nlen = in.take(16);
      if ((len ^ 0xffff) != nlen) corrupt("stored block length and its complement differ");
      in.skip(8 * std::uint64_t{len});
    } else if (type == 3) {
      corrupt("invalid block type");
    } else {
      if (type == 1)
        read_fixed_codes(literals, distances);
      else
        read_dynamic_codes(in, literals, distances);
      skip_symbols(in, literals, distances);
    }
    if (final) return {header, in.pos()};
  }
}

void make_joinable(std::vector<unsigned char>& stream) {
  const FinalBlock f = find_final_block(stream);
  if ((f.end_bit + 7) / 8 != stream.size()) corrupt("bytes after the final block");
  stream[f.header_bit >> 3] &= static_cast<unsigned char>(~(1u << (f.header_bit & 7)));
  const std::uint64_t aligned = (f.end_bit + 3 + 7) / 8;  // the empty stored block's header, padded
  stream.resize(static_cast<std::size_t>(aligned), 0);
  for (std::uint64_t b = f.end_bit; b < 8 * aligned; ++b)
    stream[b >> 3] &= static_cast<unsigned char>(~(1u << (b & 7)));
  stream.insert(stream.end(), {0x00, 0x00, 0xff, 0xff});
}

std::vector<unsigned char> deflate_raw(DeflateCompressor& compressor, std::span<const unsigned char> input, bool last) {
  std::vector<unsigned char> out(libdeflate_deflate_compress_bound(compressor.get(), input.size()) + 5);
  const std::size_t n =
      libdeflate_deflate_compress(compressor.get(), input.data(), input.size(), out.data(), out.size());
  if (n == 0) throw Error("libdeflate: the compressed block did not fit its bound");
  out.resize(n);
  if (!last) make_joinable(out);
  return out;
}

}  // namespace mammoth::detail
