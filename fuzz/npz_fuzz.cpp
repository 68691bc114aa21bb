// The .npz (zip) reader: the archive, each member's header and data, and the scipy
// matrix of any format they describe, as `mammoth info` and `convert` load it.
#include "fuzz_file.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/zip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mammoth;
  fuzz::InputFile file(data, size, ".npz");
  fuzz::expect_error_or_success([&] {
    sparse::ZipReader zip(file.path());
    for (const char* member : {"data", "indices", "indptr", "shape", "format", "row", "col", "offsets"}) {
      if (!zip.has(member)) continue;
      fuzz::expect_error_or_success([&] {
        const NpyHeader h = zip.header(member);
        if (h.is_text()) {
          zip.read_text(member);
        } else if (h.data_bytes() <= (std::int64_t{1} << 20)) {
          std::string buffer(static_cast<std::size_t>(h.data_bytes()), '\0');
          zip.read_data(member, buffer.data(), buffer.size());
        }
      });
    }
  });
  fuzz::expect_error_or_success([&] { sparse::sparse_file_info(file.path()); });
  fuzz::expect_error_or_success([&] { sparse::load_csr_as<double, std::int64_t>(file.path()); });
  return 0;
}
