// Sparse files behind the generic `info`, `random` and `convert` commands; each
// function parses nothing, prints its result and returns the exit status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mammoth/ooc/budget.hpp"
#include "mammoth/sparse/convert_file.hpp"

namespace mammoth::cli {

// A file name that can only hold a sparse matrix: .npz or .mtx.
bool is_npz_path_or_mtx(const std::string& path);
// Format, shape, nnz, density, dtypes, CSR bytes vs dense bytes; `json` for one JSON object.
int sparse_info(const std::string& path, bool json);
// scipy.sparse.random(m, n, density, format, dtype) saved to `path` (.npz or .mtx).
int sparse_random(const std::string& path, const std::vector<std::int64_t>& shape, double density,
                  const std::string& format, const std::string& dtype, std::uint64_t seed, bool compressed = true);
// sparse::convert_file with Ctrl-C stopping it cleanly.
int sparse_convert(const std::string& src, const std::string& dst, const sparse::ConvertOptions& options);
// y = M·x (transpose: Mᵀ·x), x and y 1-d .npy; `streamed`: a CSR/CSC .npz or HDF5 group
// streamed from disk by the out-of-core scheduler under those options, else loaded whole.
int sparse_spmv(const std::string& matrix, const std::string& x, const std::string& y,
                const std::optional<ooc::Options>& streamed, bool transpose = false);
// The sparsity picture as PNG.
int sparse_spy(const std::string& matrix, const std::string& png, std::int64_t size);

}  // namespace mammoth::cli
