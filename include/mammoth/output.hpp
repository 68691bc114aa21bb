// The output commit: the one way every result reaches its destination, whatever the
// format (raw, .npy, .npz, .mtx, an HDF5 dataset or sparse group) and whichever command
// or library call writes it. The writer writes to spec(), a temporary beside the
// destination; commit() makes it the destination in one step; an OutputCommit destroyed
// without commit() (an error, Ctrl-C, a full disk) removes the temporary, so the
// destination and everything beside it are as they were.
//
// - A whole file: the temporary is a hidden file in the destination's folder (same file
//   system, so the rename is atomic), ".NAME.mammoth-tmp-PID-N.EXT"; commit() fsyncs it and
//   renames it over the destination.
// - An object inside an HDF5 file that exists: the temporary is a link beside the
//   destination object in the same file, "/dir/.NAME.mammoth-tmp-PID-N"; commit() deletes
//   the old link, if any, and moves the temporary one into its place.
#pragma once

#include <string>

namespace mammoth {

class OutputCommit {
 public:
  // `spec` names the destination as the path grammar does ("C.npy", "S.npz", "f.h5:/x").
  explicit OutputCommit(const std::string& spec);
  ~OutputCommit();
  OutputCommit(const OutputCommit&) = delete;
  OutputCommit& operator=(const OutputCommit&) = delete;

  // Where to write: a spec of the same format as the destination.
  const std::string& spec() const { return temp_spec_; }
  const std::string& destination() const { return final_spec_; }
  // Makes what was written to spec() the destination. The writer has closed it.
  void commit();

 private:
  void discard() noexcept;

  std::string final_spec_, temp_spec_;
  std::string file_;                      // the file written (the temporary, or the HDF5 file in place)
  std::string final_inner_, temp_inner_;  // HDF5 objects written in place: the two link paths
  bool in_place_ = false;
  bool done_ = false;
};

}  // namespace mammoth
