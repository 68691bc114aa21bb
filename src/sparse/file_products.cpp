// What the spmv and spy commands do with a sparse file loaded whole: the kernels for
// every held type compiled here, in the library, not in the command-line tool.
#include <span>

#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/ops.hpp"
#include "mammoth/sparse/spmv.hpp"
#include "mammoth/sparse/spy.hpp"
#include "mammoth/sparse/vector_io.hpp"

namespace mammoth::sparse {

void spmv_file(const std::string& matrix, const std::string& x_path, const std::string& y_path, bool transpose) {
  visit_csr_file(matrix, [&](auto& a, const SparseFileInfo&) {
    using T = typename std::remove_cvref_t<decltype(a.data)>::value_type;
    const auto x = read_npy_vector<T>(x_path);
    std::vector<T> y(static_cast<std::size_t>(transpose ? a.cols : a.rows));
    if (transpose)
      spmv(sparse::transpose(a), std::span<const T>(x), std::span<T>(y));
    else
      spmv(a, std::span<const T>(x), std::span<T>(y));
    write_npy_vector<T>(y_path, y);
  });
}

void spy_file(const std::string& matrix, const std::string& png, std::int64_t size) {
  visit_csr_file(matrix, [&](auto& a, const SparseFileInfo&) { spy(a, png, size); });
}

}  // namespace mammoth::sparse
