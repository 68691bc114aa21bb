// Blocks deflated whole by libdeflate and joined (the compressed .npz writer's way) must
// inflate, with zlib, to the blocks' bytes in order; and the walker must refuse broken streams.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "../../src/deflate.hpp"
#include "mammoth/error.hpp"

namespace mammoth::detail {
namespace {

using Bytes = std::vector<unsigned char>;

Bytes inflate_raw(const Bytes& stream, std::size_t expected) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, -15), Z_OK);
  Bytes out(expected + 16);
  z.next_in = const_cast<unsigned char*>(stream.data());
  z.avail_in = static_cast<uInt>(stream.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END) << (z.msg ? z.msg : "");
  EXPECT_EQ(z.avail_in, 0u) << "bytes after the stream's end";
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

// Inputs that make each kind of block: stored (random bytes), fixed and dynamic Huffman
// (text, sorted integers, zeros), and several blocks in one stream (large inputs).
std::vector<Bytes> block_inputs() {
  std::mt19937_64 rng(7);
  std::vector<Bytes> inputs;
  Bytes random(300000);
  for (auto& b : random) b = static_cast<unsigned char>(rng());
  inputs.push_back(random);
  std::string text;
  while (text.size() < 700000) text += "row " + std::to_string(rng() % 5000) + " of the matrix; ";
  inputs.emplace_back(text.begin(), text.end());
  Bytes sorted;
  std::uint32_t v = 0;
  for (int i = 0; i < 200000; ++i) {
    v += static_cast<std::uint32_t>(rng() % 300);
    for (int k = 0; k < 4; ++k) sorted.push_back(static_cast<unsigned char>(v >> (8 * k)));
  }
  inputs.push_back(sorted);
  inputs.push_back(Bytes(100000, 0));
  inputs.push_back(Bytes{42});
  return inputs;
}

TEST(Deflate, JoinedBlocksInflateToTheirBytesInOrder) {
  for (int level : {0, 1, 6, 12}) {
    DeflateCompressor compressor(level);
    const std::vector<Bytes> inputs = block_inputs();
    Bytes stream, plain;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const bool last = i + 1 == inputs.size();
      const Bytes block = deflate_raw(compressor, inputs[i], last);
      if (!last) {
        ASSERT_GE(block.size(), 4u);
        EXPECT_EQ(Bytes(block.end() - 4, block.end()), (Bytes{0x00, 0x00, 0xff, 0xff})) << "level " << level;
      }
      stream.insert(stream.end(), block.begin(), block.end());
      plain.insert(plain.end(), inputs[i].begin(), inputs[i].end());
    }
    EXPECT_EQ(inflate_raw(stream, plain.size()), plain) << "level " << level;
  }
}

TEST(Deflate, TheFinalBlockOfAManyBlockStreamIsFound) {
  // zlib's own stream of a large text has many blocks; the walker must find the last one,
  // past every block before it.
  const Bytes text = block_inputs()[1];
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes stream(deflateBound(&z, text.size()));
  z.next_in = const_cast<unsigned char*>(text.data());
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = stream.data();
  z.avail_out = static_cast<uInt>(stream.size());
  // Two flushes put non-final blocks before the final one.
  z.avail_in = static_cast<uInt>(text.size() / 2);
  ASSERT_EQ(deflate(&z, Z_FULL_FLUSH), Z_OK);
  z.avail_in = static_cast<uInt>(text.size() - text.size() / 2);
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  stream.resize(stream.size() - z.avail_out);
  deflateEnd(&z);
  const FinalBlock f = find_final_block(stream);
  EXPECT_GT(f.header_bit, 8 * stream.size() / 4);
  EXPECT_EQ((f.end_bit + 7) / 8, stream.size());
  EXPECT_EQ(stream[f.header_bit / 8] >> (f.header_bit % 8) & 1, 1);
  Bytes joined = stream;
  make_joinable(joined);
  joined.insert(joined.end(), stream.begin(), stream.end());  // the same stream twice, as one
  Bytes twice = text;
  twice.insert(twice.end(), text.begin(), text.end());
  EXPECT_EQ(inflate_raw(joined, twice.size()), twice);
}

TEST(Deflate, BrokenStreamsAreFormatErrors) {
  DeflateCompressor compressor(6);
  const Bytes good = deflate_raw(compressor, block_inputs()[1], true);
  EXPECT_THROW(find_final_block(Bytes(good.begin(), good.begin() + good.size() / 2)), FormatError);
  EXPECT_THROW(find_final_block(Bytes{}), FormatError);
  EXPECT_THROW(find_final_block(Bytes{0x07}), FormatError);                                // block type 3
  EXPECT_THROW(find_final_block(Bytes{0x01, 0x05, 0x00, 0x00, 0x00}), FormatError);        // stored, NLEN wrong
  EXPECT_THROW(find_final_block(Bytes{0x01, 0x05, 0x00, 0xfa, 0xff, 1, 2}), FormatError);  // stored, short
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THROW(make_joinable(trailing), FormatError);
}

}  // namespace
}  // namespace mammoth::detail
