// The sparse commands' bodies (thin: parse, call the library, print), which the generic
// info / random / convert / spmv / spy commands dispatch to.
#include "sparse_cli.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "json.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/output.hpp"
#include "mammoth/sparse/convert_file.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/sparse/random.hpp"
#include "mammoth/sparse/source.hpp"
#include "mammoth/sparse/stream.hpp"
#include "mammoth/store.hpp"
#include "ooc_common.hpp"

namespace mammoth::cli {

using namespace mammoth::sparse;

bool is_npz_path_or_mtx(const std::string& path) { return is_npz_path(path) || is_mtx_path(path); }

namespace {

std::string dtype_name(const SparseFileInfo& info) {
  if (info.kind == "mtx") return info.value_descr;
  return info.value_descr == "|b1" ? "bool" : DType::from_descr(info.value_descr).name();
}

}  // namespace

int sparse_info(const std::string& path, bool json) {
  const SparseFileInfo info = sparse_file_info(path);
  const double cells = static_cast<double>(info.rows) * static_cast<double>(info.cols);
  const double density = cells > 0 ? static_cast<double>(info.nnz) / cells : 0.0;
  const std::int64_t itemsize = static_cast<std::int64_t>(info.value.itemsize());
  const std::int64_t isize = static_cast<std::int64_t>(info.index.itemsize());
  const std::int64_t csr_bytes = info.nnz * (itemsize + isize) + (info.rows + 1) * isize;
  const std::int64_t dense = info.rows * info.cols * itemsize;
  if (json) {
    char numbers[64];
    std::snprintf(numbers, sizeof numbers, "%.6g", density);
    std::cout << "{\"path\": " << json_string(path) << ", \"kind\": " << json_string(info.kind)
              << ", \"format\": " << json_string(info.format) << ", \"shape\": [" << info.rows << ", " << info.cols
              << "], \"nnz\": " << info.nnz << ", \"density\": " << numbers
              << ", \"dtype\": " << json_string(dtype_name(info))
              << ", \"index_dtype\": " << json_string(info.index.name()) << ", \"csr_bytes\": " << csr_bytes
              << ", \"dense_bytes\": " << dense << ", \"detail\": " << json_string(info.detail) << "}\n";
    return 0;
  }
  std::printf("%s: sparse %s (%s%s%s)\n", path.c_str(), info.format.c_str(), info.kind.c_str(),
              info.detail.empty() ? "" : ", ", info.detail.c_str());
  std::printf("  shape     (%lld, %lld)\n", static_cast<long long>(info.rows), static_cast<long long>(info.cols));
  std::printf("  nnz       %lld (density %.4g)\n", static_cast<long long>(info.nnz), density);
  std::printf("  dtype     %s, indices %s\n", dtype_name(info).c_str(), info.index.name().c_str());
  std::printf("  bytes     %s as CSR vs %s dense (%.1f%%)\n", format_bytes(static_cast<double>(csr_bytes)).c_str(),
              format_bytes(static_cast<double>(dense)).c_str(),
              dense > 0 ? 100.0 * static_cast<double>(csr_bytes) / static_cast<double>(dense) : 0.0);
  return 0;
}

namespace {

SaveOptions save_options(const std::string& format, bool compressed, bool bool_values) {
  SaveOptions opt;
  opt.format = parse_format(format.empty() ? "csr" : format);
  opt.compressed = compressed;
  opt.bool_values = bool_values;
  return opt;
}

}  // namespace

int sparse_random(const std::string& path, const std::vector<std::int64_t>& shape, double density,
                  const std::string& format, const std::string& dtype, std::uint64_t seed, bool compressed) {
  if (shape.size() != 2)
    throw ShapeError("random: a sparse matrix needs a 2-d --shape, got " + std::to_string(shape.size()) +
                     " dimensions");
  if (!(density >= 0 && density <= 1)) throw Error("random: --density must be in [0, 1]");
  const DType d = DType::parse(dtype.empty() ? "float64" : dtype);
  const bool is_bool = d.type() == ScalarType::Bool;
  const auto k =
      static_cast<std::int64_t>(std::llround(density * static_cast<double>(shape[0]) * static_cast<double>(shape[1])));
  const SaveOptions opt = save_options(format, compressed, is_bool);
  visit_held(held_type(d), !fits_int32(shape[0], shape[1], k), [&](auto tv, auto ti) {
    using T = typename decltype(tv)::type;
    using I = typename decltype(ti)::type;
    auto a = random_csr<T, I>(shape[0], shape[1], density, seed);
    if (is_bool) std::fill(a.data.begin(), a.data.end(), T(1));
    const auto bytes = static_cast<std::int64_t>(a.data.size() * sizeof(T) + a.indices.size() * sizeof(I) +
                                                 a.indptr.size() * sizeof(I));
    OutputCommit commit(path, bytes);  // reserved before an existing HDF5 file is touched
    commit.write([&] { save_sparse_file(commit.spec(), a, opt); });
    commit.commit();
  });
  return 0;
}

int sparse_convert(const std::string& src, const std::string& dst, const ConvertOptions& options) {
  ooc_cli::CancelOnSignal cancel;
  convert_file(src, dst, options);
  return 0;
}

int sparse_spmv(const std::string& matrix, const std::string& xpath, const std::string& ypath,
                const std::optional<ooc::Options>& streamed, bool transpose) {
  if (streamed) {
    ooc_cli::CancelOnSignal cancel;
    const SparseSource a = open_sparse(matrix);
    const AnyArray y = sparse::spmv(a, load_npy(xpath), *streamed, transpose);
    save_npy(ypath, y);
    return 0;
  }
  spmv_file(matrix, xpath, ypath, transpose);
  return 0;
}

int sparse_spy(const std::string& matrix, const std::string& png, std::int64_t size) {
  spy_file(matrix, png, size);
  return 0;
}

}  // namespace mammoth::cli
