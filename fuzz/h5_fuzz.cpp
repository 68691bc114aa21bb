// HDF5: opening a file, listing it, and reading each small dataset and sparse group,
// as `mammoth ls`, `info` and `convert` do.
#include "fuzz_file.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/sparse/files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mammoth;
  fuzz::InputFile file(data, size, ".h5");
  fuzz::expect_error_or_success([&] {
    h5::File f(file.path(), Mode::Read);
    std::vector<h5::Member> members;
    f.visit([&](const h5::Member& m) {
      if (members.size() < 64) members.push_back(m);
    });
    for (const h5::Member& m : members) {
      fuzz::expect_error_or_success([&] {
        if (m.kind == h5::ObjectKind::Dataset) {
          const h5::Dataset d = f.dataset(m.name);
          // element_count is at most 2^63 / itemsize; the product may not fit: compare by division.
          if (element_count(d.shape()) <= (1 << 20) / static_cast<std::int64_t>(d.dtype().itemsize())) d.read_all();
        } else if (m.kind == h5::ObjectKind::Group) {
          sparse::load_csr_as<double, std::int64_t>(file.path() + ":/" + m.name);
        }
      });
    }
  });
  return 0;
}
