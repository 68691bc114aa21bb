// The .npy header parser, and loading a whole (small) .npy file.
#include <string_view>

#include "fuzz_file.hpp"
#include "mammoth/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mammoth;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz::expect_error_or_success([&] { parse_npy_header(bytes, static_cast<std::int64_t>(size), "fuzz.npy"); });
  fuzz::InputFile file(data, size, ".npy");
  fuzz::expect_error_or_success([&] {
    const AnyArray a = load_npy(file.path());
    (void)a.astype(DType(ScalarType::Float64));  // every item converted: unaligned and odd bool bytes included
  });
  return 0;
}
