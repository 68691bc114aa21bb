// MPI for the distributed flavour (MAMMOTH_MPI): the one Communicator over MPI_COMM_WORLD,
// live from MPI_Init to MPI_Finalize, and the collective steps the distributed algorithms
// are built from. Every step that can fail on one rank is a phase: all ranks agree at its
// end whether it worked anywhere, and when not, every rank throws the same JobError —
// no rank waits for one that gave up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mammoth/error.hpp"

namespace mammoth::mpi {

// Thrown on every rank when a phase failed on some rank: the message is that rank's
// ("rank 2: A.h5: cannot open …"), the lowest failed rank's when several failed.
class JobError : public Error {
 public:
  JobError(const std::string& message, int failed_rank) : Error(message), failed_rank_(failed_rank) {}
  int failed_rank() const { return failed_rank_; }

 private:
  int failed_rank_;
};

// Thrown in a rank that was told another rank failed (its next block stops it); the
// phase then reports the other rank's error, not this one.
class Stopped : public Error {
 public:
  Stopped() : Error("stopped: another rank failed") {}
};

// An all-to-all in flight (Communicator::exchange): wait() returns once it is done here.
// The destructor waits too, so its buffers, which must outlive it, are free after it.
class Pending {
 public:
  Pending();
  ~Pending();
  Pending(Pending&&) noexcept;
  Pending& operator=(Pending&&) noexcept;
  void wait();
  // Whether it is done here, without waiting (MPI_Test: also moves it on, as MPI moves
  // a nonblocking collective only inside its calls).
  bool test();

 private:
  friend class Communicator;
  struct State;
  std::unique_ptr<State> state_;
};

class Communicator {
 public:
  // MPI_Init_thread asking for MPI_THREAD_MULTIPLE (the engine's I/O thread makes MPI and
  // parallel-HDF5 calls while the main thread waits); Error when MPI gives less than
  // MPI_THREAD_SERIALIZED.
  Communicator(int& argc, char**& argv);
  ~Communicator();  // MPI_Finalize
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  // The live communicator, or null (no MPI started: a library user's serial run).
  static Communicator* current();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }
  // Ranks on this machine (MPI_COMM_TYPE_SHARED): they share its cores.
  int local_size() const { return local_size_; }
  // Whether two threads may call MPI at once (MPI_THREAD_MULTIPLE): the compute thread
  // may then wait on an exchange while the I/O thread checks for stops.
  bool thread_multiple() const { return thread_multiple_; }

  void barrier() const;

  // Runs `work` here, then `epilogue` (collective steps every rank must take, such as
  // finishing collective writes, even after `work` failed), then agrees with every rank:
  // throws JobError everywhere when either threw anywhere. A rank whose `work` fails
  // first tells the others (check_stop), so they stop at their next block.
  void phase(const std::function<void()>& work, const std::function<void()>& epilogue = {}) const;

  // Throws Stopped when another rank has reported a failure in this phase. Cheap (one
  // MPI_Iprobe); called before each block's I/O.
  void check_stop() const;

  void broadcast(void* data, std::size_t bytes, int root = 0) const;
  void broadcast(std::string& text, int root = 0) const;
  // Every rank's `mine` (any lengths), concatenated in rank order on `root`; empty elsewhere.
  std::vector<std::byte> gather(const void* mine, std::size_t bytes, int root = 0) const;
  // Element-wise sum of every rank's `n` doubles into `data` on `root` (MPI_Reduce).
  void sum_to_root(double* data, std::size_t n, int root = 0) const;
  std::int64_t max(std::int64_t value) const;
  // Every rank's `value`, in rank order, on every rank (MPI_Allgather).
  std::vector<std::int64_t> all(std::int64_t value) const;
  // Every rank tells rank r counts[r] (MPI_Alltoall); returns what each rank told this one.
  std::vector<std::int64_t> exchange_counts(const std::vector<std::int64_t>& counts) const;
  // Starts an all-to-all of items of `item_bytes` bytes (MPI_Ialltoallv): send_counts[r]
  // items from item send_offsets[r] of `send` go to rank r, and recv_counts[r] items from
  // rank r land at item recv_offsets[r] of `recv`. Collective: every rank starts it, so
  // never inside a phase that may fail before it; the wait may be (it cannot hang).
  Pending exchange(const void* send, const std::vector<std::int64_t>& send_counts,
                   const std::vector<std::int64_t>& send_offsets, void* recv,
                   const std::vector<std::int64_t>& recv_counts, const std::vector<std::int64_t>& recv_offsets,
                   std::size_t item_bytes) const;
  std::int64_t sum(std::int64_t value) const;

  // Ends every rank now (MPI_Abort): for an error outside any phase, which the other
  // ranks cannot learn of.
  [[noreturn]] void abort(int code) const;

 private:
  void tell_others_stop() const;
  void drain_stops() const;

  int rank_ = 0, size_ = 1, local_size_ = 1;
  bool thread_multiple_ = false;
  mutable bool stop_sent_ = false;
};

}  // namespace mammoth::mpi
