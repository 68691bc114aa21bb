// An output array that appears under its final name only when complete: written under
// a temporary name beside it, renamed by commit(), removed if never committed.
#pragma once

#include <memory>
#include <string>

#include "mammoth/store.hpp"

namespace mammoth::ooc {

class AtomicOutput {
 public:
  // `spec` as create_store takes it ("C.npy", "out.raw", "f.h5:/x"). A new HDF5 file
  // is written whole under the temporary name; a dataset added to an HDF5 file that
  // already exists is written in place (a file cannot be renamed out from under the
  // other objects it holds).
  AtomicOutput(const std::string& spec, const CreateOptions& options);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  BlockStore& store() { return *store_; }
  // Flushes, closes and renames to the final name.
  void commit();

 private:
  std::string final_file_, temp_file_;
  std::unique_ptr<BlockStore> store_;
  bool committed_ = false;
};

}  // namespace mammoth::ooc
