// `sparse_workloads --op OP`: one sparse operation timed in-process, the "ours" side of
// bench/peers_sparse.py (a benchmark program, not a subcommand of the CLI).
//
// scipy runs its operations inside one process, so ours are timed inside one process
// too: the matrix is loaded once, then the best of --reps runs of the operation is
// reported with its peak-RSS increment, measured as peers.py measures the Python peer
// (VmHWM reset before, VmRSS as the base). `load`, `random` and `spmv-stream` time
// their whole work (spmv-stream: opening the file's headers, reading indptr, streaming
// indices and data under --budget).
#include <omp.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "mammoth/npy.hpp"
#include "mammoth/profile/memit.hpp"
#include "mammoth/sparse/convert.hpp"
#include "mammoth/sparse/npz.hpp"
#include "mammoth/sparse/random.hpp"
#include "mammoth/sparse/source.hpp"
#include "mammoth/sparse/spmv.hpp"
#include "mammoth/sparse/stream.hpp"
#include "mammoth/units.hpp"
#include "stream_read.hpp"

namespace mammoth {
namespace {

using sparse::Csr;

struct Timing {
  double seconds = 1e300, peak_mib = 0;
  void add(const Timing& t) {
    seconds = std::min(seconds, t.seconds);
    peak_mib = std::max(peak_mib, t.peak_mib);
  }
};

// Best time of `op` over `reps` runs and its largest peak-RSS increment.
Timing time_op(int reps, const std::function<void()>& op) {
  profile::MemitOptions options;
  options.repeat = std::max(reps, 1);
  options.quiet = true;
  Timing best;
  for (const profile::MemitRun& run : profile::memit(op, options).runs)
    best.add({run.elapsed, static_cast<double>(run.increment()) / static_cast<double>(kMiB)});
  return best;
}

std::vector<double> vector_x(std::int64_t n) {
  std::vector<double> x(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i % 13) / 13.0;
  return x;
}

Timing spmv_stream(const std::string& input, std::size_t budget, std::size_t block, int reps) {
  const sparse::SparseSource header = sparse::open_sparse(input);
  const std::vector<double> xs = vector_x(header.cols);
  const AnyArray x(NdArray<double>::from(std::vector<double>(xs), {header.cols}));
  ooc::Options options;
  options.budget = budget;
  if (block) options.block_bytes = options.mapped_block_bytes = block;
  return time_op(reps, [&] {
    const AnyArray y = sparse::spmv(sparse::open_sparse(input), x, options);
    if (y.size() != header.rows) std::abort();
  });
}

Timing run(const std::string& op, const std::string& input, std::int64_t rows, std::int64_t cols, double density,
           std::size_t budget, std::size_t block, int reps) {
  if (op == "random") {
    return time_op(reps, [&] {
      auto a = sparse::random_csr<double, std::int32_t>(rows, cols, density, 1);
      if (a.nnz() < 0) std::abort();
    });
  }
  if (op == "load")
    return time_op(reps, [&] {
      auto a = sparse::load_npz<Csr<double, std::int32_t>>(input);
      if (a.nnz() < 0) std::abort();
    });
  if (op == "spmv-stream") return spmv_stream(input, budget, block, reps);
  if (op == "stream") {
    // As many bytes as SpMV must read of the matrix, read as it reads them (stream_read.hpp).
    // The matrix itself is not loaded: only the buffer is in memory, as only the matrix is
    // for spmv. --block: another size, no --input needed (peers.py reads 1 GiB, past the
    // 300 MB L3 this VM reports: the memory's bandwidth, printed in its header).
    const std::size_t bytes = block ? block : [&] {
      const sparse::SparseSource a = sparse::open_sparse(input);
      return bench::spmv_matrix_bytes(a.nnz(), a.rows);
    }();
    sparse::Vec<std::uint64_t> buf(bytes / sizeof(std::uint64_t), 1);  // huge pages, as the matrix's arrays
    return time_op(reps, [&] {
      if (bench::stream_read(buf) != buf.size()) std::abort();
    });
  }
  const auto a = sparse::load_npz<Csr<double, std::int32_t>>(input);
  if (op == "spmv") {
    const std::vector<double> x = vector_x(a.cols);
    std::vector<double> y(static_cast<std::size_t>(a.rows));
    return time_op(reps, [&] { sparse::spmv(a, std::span<const double>(x), std::span<double>(y)); });
  }
  if (op == "tocsc") return time_op(reps, [&] { auto c = sparse::to_csc(a); });
  if (op == "tocoo") {
    // As scipy's tocoo(copy=False): indices and data are taken over, not copied.
    Timing best;
    for (int k = 0; k < reps; ++k) {
      Csr<double, std::int32_t> copy = a;
      best.add(time_op(1, [&] { auto c = sparse::to_coo(std::move(copy)); }));
    }
    return best;
  }
  if (op == "tocoo-copy") return time_op(reps, [&] { auto c = sparse::to_coo(a); });
  if (op == "tolil") return time_op(reps, [&] { auto c = sparse::to_lil(a); });
  if (op == "todok") return time_op(reps, [&] { auto c = sparse::to_dok(a); });
  throw Error("unknown --op '" + op + "'");
}

volatile int thread_sink = 0;

}  // namespace
}  // namespace mammoth

int main(int argc, char** argv) {
  using namespace mammoth;
  CLI::App app("one sparse operation timed in-process, for bench/peers_sparse.py", "sparse_workloads");
  std::string op, input, budget = "64MiB", block;
  std::int64_t rows = 1000, cols = 100000;
  double density = 0.01;
  int reps = 3;
  app.add_option("--op", op, "operation")
      ->required()
      ->check(CLI::IsMember(
          {"random", "load", "spmv", "spmv-stream", "stream", "tocsc", "tocoo", "tocoo-copy", "tolil", "todok"}));
  app.add_option("--input", input, "CSR float64 .npz (spmv-stream: also FILE.h5:/group); all ops but random");
  app.add_option("--rows", rows, "random: rows");
  app.add_option("--cols", cols, "random: columns");
  app.add_option("--density", density, "random: fraction of nonzeros");
  app.add_option("--budget", budget, "spmv-stream: memory the streamed product may hold");
  app.add_option("--block", block, "spmv-stream: largest block (default: the engine's); stream: bytes to read");
  app.add_option("--reps", reps, "repetitions; the best is reported");
  CLI11_PARSE(app, argc, argv);
  try {
    // Start OpenMP's thread pool first: a process-wide cost, like the interpreter's start.
#pragma omp parallel
    { thread_sink = omp_get_thread_num(); }
    const Timing t =
        run(op, input, rows, cols, density, parse_bytes(budget), block.empty() ? 0 : parse_bytes(block), reps);
    std::printf("{\"op\": \"%s\", \"seconds\": %.6f, \"peak_mib\": %.2f}\n", op.c_str(), t.seconds, t.peak_mib);
  } catch (const std::exception& e) {
    std::cerr << "sparse_workloads: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
