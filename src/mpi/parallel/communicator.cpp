#include "mammoth/mpi/communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "mammoth/ooc/scheduler.hpp"

namespace mammoth::mpi {
namespace {

Communicator* live = nullptr;
constexpr int kStopTag = 7001;

int to_int(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw Error(std::string("MPI: ") + what + " of " + std::to_string(n) + " bytes is over MPI's 2 GiB count");
  return static_cast<int>(n);
}

}  // namespace

Communicator::Communicator(int& argc, char**& argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm local;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
  MPI_Comm_size(local, &local_size_);
  MPI_Comm_free(&local);
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw Error("MPI: the library gives thread level " + std::to_string(provided) +
                "; mammoth's I/O thread needs MPI_THREAD_SERIALIZED or better");
  }
  thread_multiple_ = provided >= MPI_THREAD_MULTIPLE;
  // A rank's reads (stop checks) and collective writes would call MPI from two threads.
  ooc::set_writes_beside_reads(thread_multiple_);
  live = this;
}

Communicator::~Communicator() {
  live = nullptr;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Communicator* Communicator::current() { return live; }

void Communicator::barrier() const { MPI_Barrier(MPI_COMM_WORLD); }

void Communicator::tell_others_stop() const {
  if (stop_sent_) return;
  stop_sent_ = true;
  const int me = rank_;
  for (int r = 0; r < size_; ++r)
    if (r != rank_) MPI_Send(&me, 1, MPI_INT, r, kStopTag, MPI_COMM_WORLD);  // one int: sent eagerly
}

void Communicator::drain_stops() const {
  for (;;) {
    int pending = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kStopTag, MPI_COMM_WORLD, &pending, &status);
    if (!pending) break;
    int from = 0;
    MPI_Recv(&from, 1, MPI_INT, status.MPI_SOURCE, kStopTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
}

void Communicator::check_stop() const {
  if (size_ == 1) return;
  int pending = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, kStopTag, MPI_COMM_WORLD, &pending, MPI_STATUS_IGNORE);
  if (pending) throw Stopped();
}

void Communicator::phase(const std::function<void()>& work, const std::function<void()>& epilogue) const {
  std::string message;
  bool primary = false;  // this rank failed on its own, not because it was told to stop
  const auto attempt = [&](const std::function<void()>& f) {
    try {
      f();
    } catch (const Stopped&) {
      if (message.empty()) message = "stopped";
    } catch (const std::exception& e) {
      if (message.empty()) {
        message = e.what();
        primary = true;
        tell_others_stop();
      }
    }
  };
  attempt(work);
  if (epilogue) attempt(epilogue);
  // The lowest rank that failed on its own names the error; a rank told to stop does only
  // when nobody else failed (a cancel, say).
  const int mine = message.empty() ? size_ * 2 : (primary ? rank_ : size_ + rank_);
  int first = 0;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  barrier();  // every stop message of this phase has been sent before any is drained
  drain_stops();
  stop_sent_ = false;
  if (first == size_ * 2) return;
  const int failed = first % size_;
  std::string text = message;
  broadcast(text, failed);
  throw JobError("rank " + std::to_string(failed) + ": " + text, failed);
}

void Communicator::broadcast(void* data, std::size_t bytes, int root) const {
  MPI_Bcast(data, to_int(bytes, "a broadcast"), MPI_BYTE, root, MPI_COMM_WORLD);
}

void Communicator::broadcast(std::string& text, int root) const {
  std::uint64_t n = text.size();
  broadcast(&n, sizeof n, root);
  text.resize(n);
  if (n) broadcast(text.data(), n, root);
}

std::vector<std::byte> Communicator::gather(const void* mine, std::size_t bytes, int root) const {
  const int count = to_int(bytes, "a gather");
  std::vector<int> counts(rank_ == root ? static_cast<std::size_t>(size_) : 0);
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, root, MPI_COMM_WORLD);
  std::vector<int> displs(counts.size());
  std::size_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    displs[r] = to_int(total, "a gather");
    total += static_cast<std::size_t>(counts[r]);
  }
  std::vector<std::byte> all(total);
  MPI_Gatherv(mine, count, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, root, MPI_COMM_WORLD);
  return all;
}

void Communicator::sum_to_root(double* data, std::size_t n, int root) const {
  const int count = to_int(n, "a reduction");
  if (rank_ == root)
    MPI_Reduce(MPI_IN_PLACE, data, count, MPI_DOUBLE, MPI_SUM, root, MPI_COMM_WORLD);
  else
    MPI_Reduce(data, nullptr, count, MPI_DOUBLE, MPI_SUM, root, MPI_COMM_WORLD);
}

std::int64_t Communicator::max(std::int64_t value) const {
  std::int64_t out = 0;
  MPI_Allreduce(&value, &out, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  return out;
}

std::vector<std::int64_t> Communicator::all(std::int64_t value) const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(size_));
  MPI_Allgather(&value, 1, MPI_INT64_T, out.data(), 1, MPI_INT64_T, MPI_COMM_WORLD);
  return out;
}

std::int64_t Communicator::sum(std::int64_t value) const {
  std::int64_t out = 0;
  MPI_Allreduce(&value, &out, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

struct Pending::State {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Datatype item = MPI_DATATYPE_NULL;
  // MPI reads the counts and offsets until the exchange completes.
  std::vector<int> send_counts, send_offsets, recv_counts, recv_offsets;
};

Pending::Pending() = default;
Pending::Pending(Pending&&) noexcept = default;
Pending& Pending::operator=(Pending&& other) noexcept {
  if (this != &other) {
    wait();
    state_ = std::move(other.state_);
  }
  return *this;
}
Pending::~Pending() { wait(); }

void Pending::wait() {
  if (!state_) return;
  MPI_Wait(&state_->request, MPI_STATUS_IGNORE);
  MPI_Type_free(&state_->item);
  state_.reset();
}

bool Pending::test() {
  if (!state_) return true;
  int done = 0;
  MPI_Test(&state_->request, &done, MPI_STATUS_IGNORE);
  if (done) wait();  // the request is complete: wait() only frees what it held
  return done != 0;
}

std::vector<std::int64_t> Communicator::exchange_counts(const std::vector<std::int64_t>& counts) const {
  if (counts.size() != static_cast<std::size_t>(size_))
    throw Error("MPI: " + std::to_string(counts.size()) + " counts for " + std::to_string(size_) + " ranks");
  std::vector<std::int64_t> out(counts.size());
  MPI_Alltoall(counts.data(), 1, MPI_INT64_T, out.data(), 1, MPI_INT64_T, MPI_COMM_WORLD);
  return out;
}

Pending Communicator::exchange(const void* send, const std::vector<std::int64_t>& send_counts,
                               const std::vector<std::int64_t>& send_offsets, void* recv,
                               const std::vector<std::int64_t>& recv_counts,
                               const std::vector<std::int64_t>& recv_offsets, std::size_t item_bytes) const {
  const auto ints = [](const std::vector<std::int64_t>& v) {
    std::vector<int> out(v.size());
    for (std::size_t r = 0; r < v.size(); ++r) out[r] = to_int(static_cast<std::size_t>(v[r]), "an exchange");
    return out;
  };
  auto state = std::make_unique<Pending::State>();
  state->send_counts = ints(send_counts);
  state->send_offsets = ints(send_offsets);
  state->recv_counts = ints(recv_counts);
  state->recv_offsets = ints(recv_offsets);
  MPI_Type_contiguous(to_int(item_bytes, "an item"), MPI_BYTE, &state->item);
  MPI_Type_commit(&state->item);
  MPI_Ialltoallv(send, state->send_counts.data(), state->send_offsets.data(), state->item, recv,
                 state->recv_counts.data(), state->recv_offsets.data(), state->item, MPI_COMM_WORLD, &state->request);
  Pending pending;
  pending.state_ = std::move(state);
  return pending;
}

void Communicator::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return
}

}  // namespace mammoth::mpi
