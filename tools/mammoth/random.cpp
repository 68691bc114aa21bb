// `mammoth random PATH --shape … --dtype …`: a seeded random array written to disk block
// by block, in bounded memory, to any store create_store knows (.npy, raw, FILE.h5:/x).
#include <iostream>
#include <memory>
#include <string>

#include "command.hpp"
#include "mammoth/ooc/output.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/random.hpp"
#include "mammoth/sparse/files.hpp"
#include "mammoth/store.hpp"
#include "mpi_cli.hpp"
#include "sparse_cli.hpp"

namespace mammoth::cli {
namespace {

std::function<int()> setup_random(CLI::App& app) {
  struct Options {
    std::string path, shape, dtype = "float64", dist = "uniform", order = "C", chunks, compression = "none";
    std::uint64_t seed = 0;
    double low = 0, high = 1, mean = 0, stddev = 1;
    int level = 4;
    bool shuffle = false, sparse = false, quiet = false;
    double density = -1;
    std::string format = "csr";
    bool uncompressed = false;
  };
  auto o = std::make_shared<Options>();
  app.add_option("path", o->path,
                 "FILE.npy, FILE.h5:/dataset, FILE.npz/FILE.mtx (sparse), or any other name for a raw file")
      ->required();
  app.add_option("--shape", o->shape, "shape, e.g. 100,1000000")->required();
  app.add_option("--dtype", o->dtype, "element type (default float64)");
  app.add_option("--seed", o->seed, "seed: the same seed gives the same array (default 0)");
  app.add_option("--dist", o->dist, "uniform [low, high), normal (mean, std) or integers [low, high)")
      ->check(CLI::IsMember({"uniform", "normal", "integers"}));
  app.add_option("--low", o->low, "lower bound (default 0)");
  app.add_option("--high", o->high, "upper bound, exclusive (default 1)");
  app.add_option("--mean", o->mean, "normal: mean (default 0)");
  app.add_option("--std", o->stddev, "normal: standard deviation (default 1)");
  app.add_option("--order", o->order, "C or F (raw and .npy)")->check(CLI::IsMember({"C", "F"}));
  app.add_option("--chunks", o->chunks, "HDF5: chunk shape, e.g. 100,100");
  app.add_option("--compression", o->compression, "HDF5: gzip or none")->check(CLI::IsMember({"gzip", "none"}));
  app.add_option("--compression-level", o->level, "HDF5: gzip level 0-9 (default 4)")->check(CLI::Range(0, 9));
  app.add_flag("--shuffle", o->shuffle, "HDF5: byte-shuffle filter before compression");
  app.add_flag("--sparse", o->sparse, "raw/.npy: do not preallocate the file's blocks");
  app.add_flag("-q,--quiet", o->quiet, "print nothing");
  app.add_option("--density", o->density, "sparse matrix (FILE.npz, FILE.mtx, FILE.h5:/group): fraction of nonzeros")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--format", o->format, "sparse .npz: csr, csc, coo, bsr or dia (default csr)")
      ->check(CLI::IsMember({"csr", "csc", "coo", "bsr", "dia", "lil", "dok"}));
  app.add_flag("--uncompressed", o->uncompressed, "sparse .npz: store members uncompressed (mappable)");
  return [o] {
    if (o->density >= 0 || is_npz_path_or_mtx(o->path)) {
#if MAMMOTH_MPI
      if (mpi_cli::quiet_rank()) return 0;  // sparse matrices are written by rank 0 alone
#endif
      const int rc = sparse_random(o->path, parse_shape(o->shape), o->density >= 0 ? o->density : 0.01, o->format,
                                   o->dtype, o->seed, !o->uncompressed);
      if (!o->quiet)
        std::cout << o->path << ": sparse " << (sparse::is_mtx_path(o->path) ? "coordinate" : o->format) << " "
                  << shape_string(parse_shape(o->shape)) << ", density " << (o->density >= 0 ? o->density : 0.01)
                  << ", seed " << o->seed << "\n";
      return rc;
    }
    CreateOptions options;
    options.dtype = DType::parse(o->dtype, "--dtype");
    options.shape = parse_shape(o->shape);
    options.order = o->order == "F" ? Order::Fortran : Order::C;
    if (!o->chunks.empty()) options.chunks = parse_shape(o->chunks);
    options.gzip_level = o->compression == "gzip" ? o->level : -1;
    options.shuffle = o->shuffle;
    options.preallocate = !o->sparse;
    RandomSpec spec;
    spec.dist = RandomSpec::parse_distribution(o->dist);
    spec.seed = o->seed;
    spec.low = o->low;
    spec.high = o->high;
    spec.mean = o->mean;
    spec.stddev = o->stddev;
#if MAMMOTH_MPI
    mpi_cli::random(o->path, options, spec);
    if (mpi_cli::quiet_rank()) return 0;
#else
    ooc::clear_cancel();
    ooc::AtomicOutput out(o->path, options);  // the destination changes only when the array is whole
    fill_random(out.store(), spec);
    out.commit();
#endif
    if (!o->quiet)
      std::cout << o->path << ": " << o->dist << " " << options.dtype.name() << " " << shape_string(options.shape)
                << ", seed " << o->seed << "\n";
    return 0;
  };
}

const bool registered = register_command(
    {"random", "write a seeded random array (uniform, normal, integers) or sparse matrix (--density) to a file", 20,
     setup_random});

}  // namespace
}  // namespace mammoth::cli
