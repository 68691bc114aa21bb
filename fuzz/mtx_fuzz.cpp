// The Matrix Market reader: header, size line and body, then the CSR it becomes.
#include "fuzz_file.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/mtx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mammoth;
  fuzz::InputFile file(data, size, ".mtx");
  fuzz::expect_error_or_success([&] { sparse::mtx_info(file.path()); });
  fuzz::expect_error_or_success([&] { sparse::load_csr_as<double, std::int64_t>(file.path()); });
  return 0;
}
