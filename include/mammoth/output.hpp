// The output commit: the one way every result reaches its destination, whatever the
// format (raw, .npy, .npz, .mtx, an HDF5 dataset or sparse group) and whichever command
// or library call writes it. The writer writes to spec(), a temporary beside the
// destination; commit() makes it the destination in one step; an OutputCommit destroyed
// without commit() (an error, Ctrl-C, a full disk) removes the temporary, so the
// destination and everything beside it are as they were.
//
// - A whole file: the temporary is a hidden file in the destination's folder (same file
//   system, so the rename is atomic), ".NAME.mammoth-tmp-PID-N.EXT"; commit() fsyncs it and
//   renames it over the destination. A new HDF5 file is renamed into place only if no
//   other writer made it meanwhile; if one did, the object is copied into that file (as
//   if this writer had started after the other), never replacing the other's work.
// - An object inside an HDF5 file that exists: the temporary is a link beside the
//   destination object in the same file, "/dir/.NAME.mammoth-tmp-PID-N"; commit() deletes
//   the old link, if any, and moves the temporary one into its place. Before the file is
//   touched, the space the object needs is reserved (fallocate beyond the end of file) and
//   checked against the file-size limit, so a full disk or `ulimit -f` fails first; a lock
//   on the file (an OFD lock, independent of libhdf5's own flock) is held from construction
//   to commit, so concurrent mammoth writers to one file take turns.
// - The next OutputCommit for the same destination removes temporaries (files or links)
//   whose process is gone: what a SIGKILL leaves behind lasts until the next run.
// - A writer of an HDF5 object flushes the file once the temporary object exists (AtomicOutput
//   does), so a SIGKILL while data are written leaves a file whose metadata are whole.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace mammoth {

class OutputCommit {
 public:
  // `spec` names the destination as the path grammar does ("C.npy", "S.npz", "f.h5:/x").
  // `expected_bytes`: about how much the output will hold (0: unknown); it is reserved
  // and checked against the file-size limit before an existing HDF5 file is touched.
  explicit OutputCommit(const std::string& spec, std::int64_t expected_bytes = 0);
  ~OutputCommit();
  OutputCommit(const OutputCommit&) = delete;
  OutputCommit& operator=(const OutputCommit&) = delete;

  // Where to write: a spec of the same format as the destination.
  const std::string& spec() const { return temp_spec_; }
  const std::string& destination() const { return final_spec_; }
  // True when the output is an object written inside an existing HDF5 file (which other
  // objects share), not a temporary file of its own.
  bool in_place() const { return in_place_; }
  // Makes what was written to spec() the destination. The writer has closed it. A cancel
  // requested meanwhile (Ctrl-C) throws ooc::Cancelled instead: a cancelled run never commits.
  void commit();

  // `message` with every mention of the temporary replaced by the destination, so errors
  // raised while writing name what the user asked for.
  std::string name_destination(const std::string& message) const;
  // Runs `write` (a writer of spec()); any error it raises names the destination, not the
  // temporary, and keeps its kind.
  void write(const std::function<void()>& write) const;

  // How many OutputCommits are live in this process (the CLI's signal handler cancels
  // when some are, and stops the process at once when none is).
  static int active() noexcept;

 private:
  void open_in_place(std::int64_t expected_bytes);
  void merge_into_existing_file();
  void release_reservation() noexcept;
  void discard() noexcept;

  std::string final_spec_, temp_spec_;
  std::string file_;                      // the file written (the temporary, or the HDF5 file in place)
  std::string final_inner_, temp_inner_;  // HDF5 objects written in place: the two link paths
  int lock_fd_ = -1;                      // in place: the locked, reserved file
  std::int64_t reserved_end_ = 0;
  bool in_place_ = false;
  bool done_ = false;
};

// ".NAME.mammoth-tmp-PID-N" + extension: a temporary name for NAME in the same folder.
std::string temporary_name(const std::string& name, const std::string& extension = "");
// Removes temporaries of NAME in `dir` (".NAME.mammoth-tmp-PID-…" and "NAME.mammoth-tmp-PID-…")
// left by processes that are gone. Returns how many were removed.
int remove_stale_temporaries(const std::string& dir, const std::string& name);

}  // namespace mammoth
