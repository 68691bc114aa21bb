// A sparse matrix on disk as a driver over 1-D stores: its scipy members (indptr,
// indices, data; row, col; offsets) are BlockStores, so the out-of-core engine reads,
// streams and copies them as it does any dense array.
//
// - .npz, stored members: zero-copy views on one FileMap of the zip, at any byte offset
//   (as a mapped .npy: the engine loads elements by memcpy).
// - .npz, deflated members: a forward-streaming inflating store.
// - FILE.h5:/group (anndata's csr_matrix/csc_matrix): the group's datasets (open_store).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mammoth/sparse/common.hpp"
#include "mammoth/store.hpp"

namespace mammoth::sparse {

struct SparseSource {
  std::string name;  // the spec, for messages
  Format format = Format::Csr;
  std::int64_t rows = 0, cols = 0;
  std::int64_t block_rows = 1, block_cols = 1;  // bsr: data's trailing (R, C)
  std::string detail;                           // "stored", "deflated", "anndata group"
  // By scipy's member names: indptr, indices, data (csr, csc, bsr); row, col, data (coo);
  // offsets, data (dia).
  std::map<std::string, std::unique_ptr<BlockStore>> members;

  // FormatError naming the file when the member is missing.
  BlockStore& member(const std::string& member_name) const;
  BlockStore& data() const { return member("data"); }
  // indices (csr/csc/bsr), row (coo) or offsets (dia).
  BlockStore& index() const;
  // Stored values (scipy's nnz; bsr: blocks × R × C).
  std::int64_t nnz() const { return element_count(data().shape()); }
  // The member names of this format, in the order scipy writes them.
  std::vector<std::string> member_names() const;
};

// Opens the sparse matrix a spec names (.npz or FILE:/group; path.hpp decides which).
// Only headers and attributes are read; FormatError for anything that is no sparse matrix.
SparseSource open_sparse(const std::string& spec);

// scipy's member names for a format, in the order save_npz writes them.
std::vector<std::string> member_names(Format format);

}  // namespace mammoth::sparse
