// Matrix Market (.mtx) files: coordinate and array; real, integer, complex, pattern;
// general, symmetric, skew-symmetric, hermitian. The parser splits the file into
// chunks parsed in parallel (std::from_chars); errors name the line.
#pragma once

#include <complex>
#include <functional>
#include <string>
#include <vector>

#include "mammoth/sparse/convert.hpp"
#include "mammoth/sparse/coo.hpp"

namespace mammoth::sparse {

enum class MtxField { Real, Integer, Complex, Pattern };
enum class MtxSymmetry { General, Symmetric, SkewSymmetric, Hermitian };

struct MtxInfo {
  bool array = false;  // 'array' (dense, column-major) rather than 'coordinate'
  MtxField field = MtxField::Real;
  MtxSymmetry symmetry = MtxSymmetry::General;
  std::int64_t rows = 0, cols = 0, entries = 0;  // entries as declared in the file
};

// The file's entries as read, symmetric halves already mirrored; zero-based.
struct MtxData {
  MtxInfo info;
  std::vector<std::int64_t> row, col;
  std::vector<double> re, im;      // real/complex values (im only for complex)
  std::vector<std::int64_t> ints;  // integer values
};

// The header alone (banner, size line), read from the file's beginning.
MtxInfo mtx_info(const std::string& path);
MtxData read_mtx_data(const std::string& path);
// A coordinate file in bounded memory: block(d) is called with the entries of about
// `text_bytes` of the file at a time, in file order (each block's symmetric halves
// mirrored after it); errors name the line, as read_mtx_data's.
void read_mtx_blocks(const std::string& path, std::size_t text_bytes, const std::function<void(MtxData&)>& block);

template <Scalar T, Index I = std::int32_t>
Coo<T, I> read_mtx(const std::string& path) {
  MtxData d = read_mtx_data(path);
  Coo<T, I> m{d.info.rows, d.info.cols, {}, {}, {}};
  const std::size_t n = d.row.size();
  m.row.resize(n);
  m.col.resize(n);
  m.data.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    m.row[k] = static_cast<I>(d.row[k]);
    m.col[k] = static_cast<I>(d.col[k]);
    switch (d.info.field) {
      case MtxField::Pattern:
        m.data[k] = T(1);
        break;
      case MtxField::Integer:
        m.data[k] = static_cast<T>(d.ints[k]);
        break;
      case MtxField::Real:
        if constexpr (is_complex_v<T>)
          m.data[k] = T(static_cast<typename T::value_type>(d.re[k]));
        else
          m.data[k] = static_cast<T>(d.re[k]);
        break;
      case MtxField::Complex:
        if constexpr (is_complex_v<T>)
          m.data[k] = T(static_cast<typename T::value_type>(d.re[k]), static_cast<typename T::value_type>(d.im[k]));
        else
          throw TypeError(path + ": holds complex values; read it as complex64 or complex128");
        break;
    }
  }
  return m;
}

struct MtxWriteOptions {
  bool array = false;                           // dense column-major 'array' instead of 'coordinate'
  MtxSymmetry symmetry = MtxSymmetry::General;  // symmetric: the matrix must be, and only i ≥ j is written
  bool pattern = false;                         // write positions only
  std::string comment;
};

// The banner, comment and size line; then one line per entry (values shortest round-trip),
// which a streamed writer appends block by block.
std::string mtx_banner(const MtxInfo& info, const std::string& comment);
void append_mtx_entry(std::string& out, const MtxInfo& info, std::int64_t row, std::int64_t col, double re, double im,
                      std::int64_t integer);
// The whole file from its entries.
void write_mtx_text(const std::string& path, const MtxInfo& info, const std::string& comment,
                    const std::vector<std::int64_t>& row, const std::vector<std::int64_t>& col,
                    const std::vector<double>& re, const std::vector<double>& im,
                    const std::vector<std::int64_t>& ints);

template <Scalar T, Index I>
void write_mtx(const std::string& path, const Csr<T, I>& a0, const MtxWriteOptions& opt = {}) {
  Csr<T, I> a = a0;
  sum_duplicates(a);
  MtxInfo info;
  info.array = opt.array;
  info.rows = a.rows;
  info.cols = a.cols;
  info.symmetry = opt.symmetry;
  info.field = opt.pattern             ? MtxField::Pattern
               : is_complex_v<T>       ? MtxField::Complex
               : std::is_integral_v<T> ? MtxField::Integer
                                       : MtxField::Real;
  if (opt.symmetry != MtxSymmetry::General) {
    if (opt.symmetry != MtxSymmetry::Symmetric) throw Error(path + ": only general and symmetric output are supported");
    const auto t = transpose(a);
    if (a.rows != a.cols || t.indptr != a.indptr || t.indices != a.indices || t.data != a.data)
      throw ShapeError(path + ": the matrix is not symmetric; write it as general");
  }
  std::vector<std::int64_t> row, col, ints;
  std::vector<double> re, im;
  auto put = [&](std::int64_t r, std::int64_t c, T v) {
    row.push_back(r);
    col.push_back(c);
    if constexpr (is_complex_v<T>) {
      re.push_back(static_cast<double>(v.real()));
      im.push_back(static_cast<double>(v.imag()));
    } else if constexpr (std::is_integral_v<T>) {
      ints.push_back(static_cast<std::int64_t>(v));
    } else {
      re.push_back(static_cast<double>(v));
    }
  };
  if (opt.array) {
    const auto d = to_dense(a);
    for (std::int64_t c = 0; c < a.cols; ++c)
      for (std::int64_t r = opt.symmetry == MtxSymmetry::General ? 0 : c; r < a.rows; ++r) put(r, c, d(r, c));
  } else {
    for (std::int64_t r = 0; r < a.rows; ++r)
      for (I k = a.indptr[r]; k < a.indptr[r + 1]; ++k)
        if (opt.symmetry == MtxSymmetry::General || a.indices[k] <= r) put(r, a.indices[k], a.data[k]);
  }
  info.entries = static_cast<std::int64_t>(row.size());
  write_mtx_text(path, info, opt.comment, row, col, re, im, ints);
}

}  // namespace mammoth::sparse
