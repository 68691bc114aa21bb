// The deflate block walker that finds a stream's final block, so streams deflated on their own
// can be joined into one (the compressed .npz writer). It walks libdeflate's output, but a
// walker that reads past its input or loops on bad codes is a bug whatever its input.
#include <cstdlib>
#include <vector>

#include "../src/deflate.hpp"
#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mammoth;
  fuzz::expect_error_or_success([&] {
    const detail::FinalBlock f = detail::find_final_block({data, size});
    if (f.header_bit + 3 > f.end_bit || f.end_bit > 8 * std::uint64_t{size}) std::abort();
    std::vector<unsigned char> stream(data, data + (f.end_bit + 7) / 8);
    detail::make_joinable(stream);
    if (stream.size() < 4 || stream[stream.size() - 1] != 0xff || stream[stream.size() - 4] != 0) std::abort();
  });
  return 0;
}
