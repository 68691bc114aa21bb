// A block store written through the output commit (mammoth/output.hpp): the array
// appears under its final name only when complete.
#pragma once

#include <memory>
#include <string>

#include "mammoth/output.hpp"
#include "mammoth/store.hpp"

namespace mammoth::ooc {

class AtomicOutput {
 public:
  // `spec` as create_store takes it ("C.npy", "out.raw", "f.h5:/x").
  AtomicOutput(const std::string& spec, const CreateOptions& options);
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  BlockStore& store() { return *store_; }
  // Flushes, closes and commits to the final name.
  void commit();

 private:
  OutputCommit commit_;  // declared first: destroyed after the store has closed the file
  std::unique_ptr<BlockStore> store_;
};

}  // namespace mammoth::ooc
