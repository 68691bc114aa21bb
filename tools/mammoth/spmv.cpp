// `mammoth spmv M X -o Y`: y = M·x for a sparse M (.npz, .mtx, FILE.h5:/group) and a
// 1-d .npy x; with --budget, M is streamed from disk by the out-of-core scheduler.
#include <memory>

#include "mpi_cli.hpp"
#include "ooc_common.hpp"
#include "sparse_cli.hpp"

namespace mammoth::cli {
namespace {

struct SpmvArgs {
  std::string m, x, y;
  bool streamed = false, transpose = false;
  ooc_cli::CommonArgs common;
};

std::function<int()> setup_spmv(CLI::App& app) {
  auto args = std::make_shared<SpmvArgs>();
  app.add_option("M", args->m, "sparse matrix (.npz, .mtx or FILE.h5:/group)")->required();
  app.add_option("X", args->x, "dense vector (.npy, 1-d)")->required();
  app.add_option("-o,--output", args->y, "result vector (.npy)")->required();
  app.add_flag("-t,--transpose", args->transpose, "compute Mᵀ·x (rmatvec)");
  auto* budget = app.add_option("--budget", args->common.budget,
                                "stream a CSR/CSC .npz or HDF5 group from disk holding at most this much memory "
                                "(x, y, indptr and the blocks), e.g. 64MiB");
  app.add_option("--block", args->common.block, "streamed: largest block one buffer holds")->capture_default_str();
  app.add_option("--threads", args->common.threads, "compute threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("-q,--quiet", args->common.quiet, "streamed: no progress bar");
  return [args, budget] {
#if MAMMOTH_MPI
    return mpi_cli::spmv(args->m, args->x, args->y, args->transpose, args->common);
#endif
    std::optional<ooc::Options> streamed;
    if (budget->count() > 0) streamed = args->common.options(args->transpose ? "rmatvec" : "spmv");
    return sparse_spmv(args->m, args->x, args->y, streamed, args->transpose);
  };
}

const bool registered = register_command(
    {"spmv", "sparse matrix × vector: y = M·x (parallel; --budget streams from disk)", 46, setup_spmv});

}  // namespace
}  // namespace mammoth::cli
