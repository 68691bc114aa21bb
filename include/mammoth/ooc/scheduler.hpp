// The block scheduler every out-of-core algorithm runs on: blocks of a grid are read
// by a background I/O thread while the compute thread(s) work on the previous one
// (double buffering), results are written back by the same I/O thread, and consumed
// blocks are released so resident memory stays bounded by two blocks per source.
//
// All calls into the stores (read, write, prefetch, release) happen on the one I/O
// thread, in order, so back ends need not be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "mammoth/mapping.hpp"
#include "mammoth/ooc/budget.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/store.hpp"

namespace mammoth::ooc {

// One array read block by block.
struct Input {
  BlockStore* store = nullptr;
  DType type;  // element type handed to the compute (the store converts)
  // Always copy into a private buffer: the compute modifies the block in place, so
  // the zero-copy view of a mapped store will not do.
  bool private_copy = false;
  // The box of this input that goes with grid box `box` (a vector beside a matrix: the
  // rows or columns of the block); identity when empty.
  std::function<Box(const Box&)> box_of = {};
  // Bytes of blocks read in place that may stay mapped after use, so adjacent ones are
  // dropped together (one TLB flush across the threads for several small blocks); 0: each
  // is dropped at once. Counted in the budget by whoever sets it.
  std::size_t release_batch = 0;
  // The compute can copy this input's blocks from the page cache itself (Block::staged):
  // a block read in place whose pages are all cached is then neither mapped in nor
  // released, and the compute copies it piece by piece into memory it reuses. On a
  // virtual machine, whose host shadows the guest's page tables, mapping the page cache
  // costs 1.5-10x what copying it does (docs/benchmarks.md). Blocks not cached are read
  // in place as ever: the I/O thread's read-ahead overlaps the compute only that way.
  bool stage = false;
};

// Where each computed block goes; a null store means no output.
struct Output {
  BlockStore* store = nullptr;
  DType type;
  // The box the result of input block `box` fills in the output; identity when empty.
  std::function<Box(const Box&)> box_of;
  // Write input number `from_input`'s block as it stands after the compute (copy, or a
  // compute that works in place) instead of a separate output buffer; -1: own buffer.
  int from_input = -1;
};

// A block of an Input with `stage` set whose bytes are in the page cache: they are
// map->copy(offset, …) on, C-contiguous, of Input::type. map is null when the block is to
// be read from Block::in as usual. (Block::in still points at the block in the mapping:
// reading it there is correct too, only slower.)
struct Staged {
  const FileMap* map = nullptr;
  std::size_t offset = 0;
};

// What the compute sees of one block.
struct Block {
  const Box& box;                    // the block's place in the inputs
  std::int64_t index;                // position in the grid
  std::vector<const std::byte*> in;  // per input: the block, C-contiguous, of Input::type
  std::byte* out;                    // the output block to fill (C-contiguous), or null
  std::vector<Staged> staged;        // per input (Input::stage)
};

// Runs `compute` on every block of `grid` in order with the next block's reads in
// flight. An exception from the I/O thread (a failed read or write) is rethrown here,
// in the caller; an exception from `compute` stops the stream after the I/O in flight
// has finished. `progress` (may be null) advances by the bytes of the first input.
// `meanwhile` (may be empty) runs on the caller's thread while the first blocks are read:
// set-up the first compute needs but the reads do not (a vector converted, say).
void stream(const BlockGrid& grid, std::span<const Input> inputs, const Output& output, Progress* progress,
            const std::function<void(const Block&)>& compute, const std::function<void()>& meanwhile = {});

// Bytes one block of the grid costs in the scheduler: two buffers per input and per
// output element (`output_per_element` output elements of `output_itemsize` bytes per
// input element).
std::size_t bytes_per_element(std::span<const Input> inputs, double output_per_element = 0,
                              std::size_t output_itemsize = 0);

// Asks running streams to stop at the next block (they throw Cancelled). Safe to call
// from a signal handler.
void request_cancel() noexcept;
void clear_cancel() noexcept;
bool cancel_requested() noexcept;

// Whether stream() writes its output on a second I/O thread beside the reads (the default).
// Off, one thread does both: for callers whose stores may not be called from two threads
// at once (an MPI run without MPI_THREAD_MULTIPLE).
void set_writes_beside_reads(bool on) noexcept;
bool writes_beside_reads() noexcept;

class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace mammoth::ooc
