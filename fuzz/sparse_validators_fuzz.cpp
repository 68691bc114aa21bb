// The sparse validators (check_compressed and each format's validate()): whatever
// arrays a file holds, they accept or name the fault, and never read out of bounds.
#include <cstring>

#include "fuzz_file.hpp"
#include "mammoth/sparse/bsr.hpp"
#include "mammoth/sparse/coo.hpp"
#include "mammoth/sparse/csc.hpp"
#include "mammoth/sparse/csr.hpp"
#include "mammoth/sparse/dia.hpp"

namespace {

// Reads small integers off the front of the input.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  std::int64_t next(int bytes = 1) {
    std::int64_t v = 0;
    for (int k = 0; k < bytes && p_ < end_; ++k) v = (v << 8) | *p_++;
    return bytes == 1 ? static_cast<std::int8_t>(v) : v;
  }
  template <class T>
  mammoth::sparse::Vec<T> vector(std::size_t n) {
    mammoth::sparse::Vec<T> v(n);
    for (auto& x : v) x = static_cast<T>(next());
    return v;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mammoth;
  using namespace mammoth::sparse;
  Reader in(data, size);
  const std::int64_t rows = in.next(), cols = in.next();
  const auto n_ptr = static_cast<std::size_t>(in.next() & 31), nnz = static_cast<std::size_t>(in.next() & 31);
  fuzz::expect_error_or_success([&] {
    Csr<double, std::int32_t> a;
    a.rows = rows;
    a.cols = cols;
    a.indptr = in.vector<std::int32_t>(n_ptr);
    a.indices = in.vector<std::int32_t>(nnz);
    a.data = in.vector<double>(static_cast<std::size_t>(in.next() & 31));
    a.validate();
  });
  fuzz::expect_error_or_success([&] {
    Csc<float, std::int64_t> a;
    a.rows = rows;
    a.cols = cols;
    a.indptr = in.vector<std::int64_t>(n_ptr);
    a.indices = in.vector<std::int64_t>(nnz);
    a.data = in.vector<float>(nnz);
    a.validate();
  });
  fuzz::expect_error_or_success([&] {
    Coo<double, std::int32_t> a;
    a.rows = rows;
    a.cols = cols;
    a.row = in.vector<std::int32_t>(nnz);
    a.col = in.vector<std::int32_t>(static_cast<std::size_t>(in.next() & 31));
    a.data = in.vector<double>(nnz);
    a.validate();
  });
  fuzz::expect_error_or_success([&] {
    Bsr<double, std::int32_t> a;
    a.rows = rows;
    a.cols = cols;
    a.block_rows = in.next(static_cast<int>(in.next() & 7) + 1);  // up to 8 bytes: products may overflow
    a.block_cols = in.next(static_cast<int>(in.next() & 7) + 1);
    a.indptr = in.vector<std::int32_t>(n_ptr);
    a.indices = in.vector<std::int32_t>(nnz);
    a.data = in.vector<double>(static_cast<std::size_t>(in.next() & 63));
    a.validate();
  });
  fuzz::expect_error_or_success([&] {
    Dia<double, std::int32_t> a;
    a.rows = rows;
    a.cols = cols;
    a.length = in.next();
    a.offsets = in.vector<std::int32_t>(static_cast<std::size_t>(in.next() & 7));
    a.data = in.vector<double>(static_cast<std::size_t>(in.next() & 63));
    a.validate();
  });
  return 0;
}
