// A Matrix Market coordinate file as canonical CSR members on disk, in bounded memory.
//
// Matrix Market entries come in any order, so the file is sorted by (row, column) with an
// external merge sort: blocks of the text are parsed (mtx.hpp's read_mtx_blocks), runs of
// entries that fit half the budget are sorted and written to a scratch file, then the runs
// are merged, duplicates summed in file order (as scipy's tocsr sums them), into indptr,
// indices and data scratch files written sequentially. The result is a SparseSource over
// those files (source.hpp), which convert_file copies member by member like any other.
// Scratch files live beside the destination, named as the output commit's temporaries
// (so a killed run's are removed by the next), and are removed with the MtxScratch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mammoth/ooc/budget.hpp"
#include "mammoth/sparse/source.hpp"

namespace mammoth::sparse::detail {

class ScratchFile;

struct MtxScratch {
  MtxScratch();
  ~MtxScratch();
  MtxScratch(const MtxScratch&) = delete;
  MtxScratch& operator=(const MtxScratch&) = delete;
  std::vector<std::unique_ptr<ScratchFile>> files;
  SparseSource source;  // csr: indptr, indices, data over the scratch files
};

// Sorts the coordinate file `path` into CSR members in scratch files in the folder of
// `near` (a path), holding at most about options.budget in memory.
std::unique_ptr<MtxScratch> sort_mtx(const std::string& path, const std::string& near, const ooc::Options& options);

}  // namespace mammoth::sparse::detail
