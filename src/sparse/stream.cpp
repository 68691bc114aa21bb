#include "mammoth/sparse/stream.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "mammoth/mapping.hpp"
#include "mammoth/sparse/h5_group.hpp"
#include "mammoth/sparse/npz.hpp"
#include "mammoth/sparse/spmv.hpp"

namespace mammoth::sparse {

namespace {

// Releases the whole pages of [from, to) once streamed (clean, file-backed: free to evict).
void release(FileMap& map, const std::byte* from, const std::byte* to) {
  map.release(map.offset_of(from), static_cast<std::size_t>(to - from));
}

struct Member {
  const std::byte* data;
  NpyHeader header;
};

Member locate(FileMap& map, const std::string& path, const std::string& name) {
  const StoredMember s = stored_member(path, name);
  if (s.offset + s.size > map.size())
    throw FormatError(path + ": member " + name + ".npy runs past the end of the file");
  const std::string_view bytes(reinterpret_cast<const char*>(map.data() + s.offset), static_cast<std::size_t>(s.size));
  Member m{nullptr, parse_npy_header(bytes, static_cast<std::int64_t>(s.size), path + ": " + name + ".npy")};
  m.data = map.data() + s.offset + m.header.data_offset;
  return m;
}

template <class I>
StreamStats run(FileMap& map, const Member& ptr, const Member& idx, const Member& val, std::int64_t rows,
                std::int64_t cols, std::span<const double> x, std::span<double> y, std::int64_t budget,
                const std::string& path) {
  // indptr is small (rows + 1) and read whole; it is validated before use.
  std::vector<I> indptr(static_cast<std::size_t>(rows) + 1);
  std::memcpy(indptr.data(), ptr.data, indptr.size() * sizeof(I));
  // Zip members start anywhere, so a block is read in place only when its arrays are
  // aligned; otherwise it is copied into budget-sized aligned buffers (UB-free loads).
  const bool aligned = reinterpret_cast<std::uintptr_t>(idx.data) % alignof(I) == 0 &&
                       reinterpret_cast<std::uintptr_t>(val.data) % alignof(double) == 0;
  std::vector<I> index_buffer;
  std::vector<double> value_buffer;
  const std::int64_t nnz =
      static_cast<std::int64_t>(static_cast<std::size_t>(val.header.data_bytes()) / sizeof(double));
  try {
    check_indptr("csr", rows, cols, indptr.data(), rows, nnz);
  } catch (const ShapeError& e) {
    throw FormatError(path + ": " + e.what());
  }
  StreamStats stats;
  const std::int64_t per_entry = sizeof(I) + sizeof(double);
  std::int64_t r0 = 0;
  while (r0 < rows) {
    // The largest row range whose entries fit the budget (at least one row).
    const std::int64_t limit = indptr[static_cast<std::size_t>(r0)] + std::max<std::int64_t>(1, budget / per_entry);
    std::int64_t r1 =
        std::upper_bound(indptr.begin() + r0 + 1, indptr.end(), static_cast<I>(std::min<std::int64_t>(limit, nnz))) -
        indptr.begin() - 1;
    r1 = std::max(r1, r0 + 1);
    const I k0 = indptr[static_cast<std::size_t>(r0)], k1 = indptr[static_cast<std::size_t>(r1)];
    const std::byte* index_bytes = idx.data + static_cast<std::size_t>(k0) * sizeof(I);
    const std::byte* value_bytes = val.data + static_cast<std::size_t>(k0) * sizeof(double);
    const I* block_indices;
    const double* block_data;
    if (aligned) {
      block_indices = reinterpret_cast<const I*>(index_bytes);
      block_data = reinterpret_cast<const double*>(value_bytes);
    } else {
      index_buffer.resize(static_cast<std::size_t>(k1 - k0));
      value_buffer.resize(static_cast<std::size_t>(k1 - k0));
      std::memcpy(index_buffer.data(), index_bytes, index_buffer.size() * sizeof(I));
      std::memcpy(value_buffer.data(), value_bytes, value_buffer.size() * sizeof(double));
      block_indices = index_buffer.data();
      block_data = value_buffer.data();
    }
    for (I k = k0; k < k1; ++k)
      if (block_indices[k - k0] < 0 || block_indices[k - k0] >= cols)
        throw FormatError(path + ": indices[" + std::to_string(k) + "] = " + std::to_string(block_indices[k - k0]) +
                          " is outside [0, " + std::to_string(cols) + ")");
    // Multiply this block with the parallel kernel (rows split by nonzeros).
    const int threads = threads_for(k1 - k0);
    // split_by_nnz and the kernel index from the block's first entry: shift a local indptr.
    std::vector<I> local(indptr.begin() + r0, indptr.begin() + r1 + 1);
    for (auto& v : local) v = static_cast<I>(v - k0);
    const auto b = split_by_nnz(local.data(), r1 - r0, threads);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; ++t)
      csr_rows_spmv(b[static_cast<std::size_t>(t)], b[static_cast<std::size_t>(t) + 1], local.data(), block_indices,
                    block_data, x.data(), y.data() + r0);
    release(map, index_bytes, index_bytes + static_cast<std::size_t>(k1 - k0) * sizeof(I));
    release(map, value_bytes, value_bytes + static_cast<std::size_t>(k1 - k0) * sizeof(double));
    ++stats.blocks;
    stats.max_block_bytes = std::max<std::int64_t>(stats.max_block_bytes, (k1 - k0) * per_entry);
    r0 = r1;
  }
  return stats;
}

}  // namespace

StreamStats spmv_npz_stream(const std::string& path, std::span<const double> x, std::span<double> y,
                            std::int64_t budget_bytes) {
  const NpzInfo info = npz_info(path);
  if (info.format != Format::Csr)
    throw FormatError(path + ": streaming SpMV needs a csr matrix, found " + format_name(info.format));
  if (!(info.data.dtype == DType(ScalarType::Float64)))
    throw TypeError(path + ": streaming SpMV reads float64 values, found " + info.data.descr());
  check_spmv<double>("csr", info.rows, info.cols, x.size(), y.size());
  const auto mapping = FileMap::open(path);
  FileMap& map = *mapping;
  const Member ptr = locate(map, path, "indptr"), idx = locate(map, path, "indices"), val = locate(map, path, "data");
  if (!(ptr.header.dtype == idx.header.dtype) ||
      (idx.header.dtype.type() != ScalarType::Int32 && idx.header.dtype.type() != ScalarType::Int64) ||
      !idx.header.dtype.is_native())
    throw TypeError(path + ": streaming SpMV needs native int32 or int64 indptr and indices");
  if (ptr.header.shape.size() != 1 || ptr.header.shape[0] != info.rows + 1)
    throw FormatError(path + ": indptr has the wrong length for " + std::to_string(info.rows) + " rows");
  if (idx.header.data_bytes() / idx.header.dtype.itemsize() !=
      static_cast<std::size_t>(val.header.data_bytes()) / sizeof(double))
    throw FormatError(path + ": indices and data lengths differ");
  if (idx.header.dtype.type() == ScalarType::Int32)
    return run<std::int32_t>(map, ptr, idx, val, info.rows, info.cols, x, y, budget_bytes, path);
  return run<std::int64_t>(map, ptr, idx, val, info.rows, info.cols, x, y, budget_bytes, path);
}

namespace {

template <class I>
StreamStats run_h5(const h5::Group& g, const H5GroupInfo& info, std::span<const double> x, std::span<double> y,
                   std::int64_t budget, const std::string& spec) {
  const auto indptr = read_h5_vector<I>(g, "indptr");
  if (static_cast<std::int64_t>(indptr.size()) != info.rows + 1)
    throw FormatError(spec + ": indptr has the wrong length for " + std::to_string(info.rows) + " rows");
  try {
    check_indptr("csr", info.rows, info.cols, indptr.data(), info.rows, info.nnz);
  } catch (const ShapeError& e) {
    throw FormatError(spec + ": " + e.what());
  }
  const h5::Dataset indices = g.dataset("indices"), data = g.dataset("data");
  if (indices.size() != info.nnz) throw FormatError(spec + ": indices and data lengths differ");
  StreamStats stats;
  const std::int64_t per_entry = sizeof(I) + sizeof(double);
  std::vector<I> block_indices;
  std::vector<double> block_data;
  for (std::int64_t r0 = 0; r0 < info.rows;) {
    const std::int64_t limit = indptr[static_cast<std::size_t>(r0)] + std::max<std::int64_t>(1, budget / per_entry);
    std::int64_t r1 = std::upper_bound(indptr.begin() + r0 + 1, indptr.end(),
                                       static_cast<I>(std::min<std::int64_t>(limit, info.nnz))) -
                      indptr.begin() - 1;
    r1 = std::max(r1, r0 + 1);
    const I k0 = indptr[static_cast<std::size_t>(r0)], k1 = indptr[static_cast<std::size_t>(r1)];
    block_indices.resize(static_cast<std::size_t>(k1 - k0));
    block_data.resize(static_cast<std::size_t>(k1 - k0));
    if (k1 > k0) {
      const Box box{{k0}, {k1 - k0}};
      indices.read(box, block_indices.data(), dtype_of<I>());
      data.read(box, block_data.data(), dtype_of<double>());
    }
    for (std::size_t k = 0; k < block_indices.size(); ++k)
      if (block_indices[k] < 0 || block_indices[k] >= info.cols)
        throw FormatError(spec + ": indices[" + std::to_string(k0 + static_cast<I>(k)) + "] = " +
                          std::to_string(block_indices[k]) + " is outside [0, " + std::to_string(info.cols) + ")");
    std::vector<I> local(indptr.begin() + r0, indptr.begin() + r1 + 1);
    for (auto& v : local) v = static_cast<I>(v - k0);
    const int threads = threads_for(k1 - k0);
    const auto b = split_by_nnz(local.data(), r1 - r0, threads);
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; ++t)
      csr_rows_spmv(b[static_cast<std::size_t>(t)], b[static_cast<std::size_t>(t) + 1], local.data(),
                    block_indices.data(), block_data.data(), x.data(), y.data() + r0);
    ++stats.blocks;
    stats.max_block_bytes = std::max<std::int64_t>(stats.max_block_bytes, (k1 - k0) * per_entry);
    r0 = r1;
  }
  return stats;
}

}  // namespace

StreamStats spmv_h5_stream(const std::string& spec, std::span<const double> x, std::span<double> y,
                           std::int64_t budget_bytes) {
  const H5GroupInfo info = h5_group_info(spec);
  if (info.format != Format::Csr) throw FormatError(spec + ": streaming SpMV needs a csr group");
  check_spmv<double>("csr", info.rows, info.cols, x.size(), y.size());
  const StorePath where = parse_store_path(spec);
  h5::File file(where.file, Mode::Read);
  const h5::Group g = file.group(where.inner);
  if (info.index.itemsize() <= 4) return run_h5<std::int32_t>(g, info, x, y, budget_bytes, spec);
  return run_h5<std::int64_t>(g, info, x, y, budget_bytes, spec);
}

}  // namespace mammoth::sparse
