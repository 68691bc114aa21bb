// libdeflate's compressor as an RAII handle, and whole raw deflate streams made joinable, so
// blocks deflated on their own (in parallel, by libdeflate, which only makes whole streams)
// still form one stream, as pigz's blocks do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

struct libdeflate_compressor;

namespace mammoth::detail {

class DeflateCompressor {
 public:
  explicit DeflateCompressor(int level);
  ~DeflateCompressor();
  DeflateCompressor(const DeflateCompressor&) = delete;
  DeflateCompressor& operator=(const DeflateCompressor&) = delete;
  libdeflate_compressor* get() const { return c_; }

 private:
  libdeflate_compressor* c_;
};

// Where a raw deflate stream's final block begins (its BFINAL bit) and where that block's
// end-of-block code ends, in bits from the stream's start (RFC 1951, bits LSB first). Throws
// FormatError when the bytes are no complete deflate stream.
struct FinalBlock {
  std::uint64_t header_bit = 0;
  std::uint64_t end_bit = 0;
};
FinalBlock find_final_block(std::span<const unsigned char> stream);

// Clears the final block's BFINAL bit and ends the stream with an empty stored block (three
// header bits, zeros to the byte boundary, LEN 0, NLEN 0xffff), as zlib's Z_SYNC_FLUSH does:
// the stream then ends byte-aligned and not final, and another stream can follow it.
void make_joinable(std::vector<unsigned char>& stream);

// Raw deflate of `input` at `level` with libdeflate, whole; made joinable unless `last`.
std::vector<unsigned char> deflate_raw(DeflateCompressor& compressor, std::span<const unsigned char> input, bool last);

}  // namespace mammoth::detail
