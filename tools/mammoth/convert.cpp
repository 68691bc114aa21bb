// `mammoth convert SRC DST`: copies an array between any two stores (raw, .npy, HDF5)
// through the out-of-core engine — any size in bounded memory, converting the element
// type and re-chunking on the way; the destination appears only when complete.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "command.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/h5/filters.hpp"
#include "mammoth/ooc/copy.hpp"
#include "mammoth/ooc/output.hpp"
#include "mammoth/store.hpp"
#include "mpi_cli.hpp"
#include "ooc_common.hpp"
#include "sparse_cli.hpp"

namespace mammoth::cli {
namespace {

std::string property(const BlockStore& store, const std::string& key) {
  for (const auto& [k, v] : store.properties())
    if (k == key) return v;
  return {};
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

std::function<int()> setup_convert(CLI::App& app) {
  struct Options {
    std::string src, dst, dtype, shape, order = "C", to_dtype, chunks, compression = "none";
    std::int64_t offset = 0;
    int level = 4;
    bool shuffle = false, sparse = false, quiet = false, uncompressed = false;
    std::string format;
    std::vector<std::int64_t> blocksize;
    std::string budget = "64MiB";
  };
  auto o = std::make_shared<Options>();
  app.add_option("src", o->src, "source: FILE.npy, FILE.h5:/dataset, or a raw file with --dtype")->required();
  app.add_option("dst", o->dst, "destination: FILE.npy, FILE.h5:/dataset, or any other name for a raw file")
      ->required();
  app.add_option("--dtype", o->dtype, "raw source: element type");
  app.add_option("--shape", o->shape, "raw source: shape (default: as many items as the file holds)");
  app.add_option("--offset", o->offset, "raw source: bytes before the first element")->check(CLI::NonNegativeNumber);
  app.add_option("--order", o->order, "raw source: C or F")->check(CLI::IsMember({"C", "F"}));
  app.add_option("--to-dtype", o->to_dtype, "destination element type (default: the source's)");
  app.add_option("--chunks", o->chunks, "HDF5 destination: chunk shape");
  app.add_option("--compression", o->compression,
                 "HDF5 destination: none, gzip[=0-9], lzf, zstd[=1-22], blosc[=CNAME[:0-9]], lz4, bzip2[=1-9] or "
                 "bitshuffle[=lz4|zstd|none] (plugins permitting)")
      ->check([](const std::string& spec) {
        try {
          h5::parse_compression(spec);
          return std::string();
        } catch (const Error& e) {
          return std::string(e.what());
        }
      });
  app.add_option("--compression-level", o->level, "HDF5 destination: gzip level 0-9 (or give gzip=LEVEL)")
      ->check(CLI::Range(0, 9));
  app.add_flag("--shuffle", o->shuffle, "HDF5 destination: byte-shuffle filter");
  app.add_flag("--sparse", o->sparse, "raw/.npy destination: do not preallocate");
  app.add_option("--budget", o->budget, "memory the copy may hold, e.g. 64MiB")->capture_default_str();
  app.add_flag("-q,--quiet", o->quiet, "no progress bar");
  app.add_option("--format", o->format, "sparse destination: csr, csc, coo, bsr or dia (default: the source's)")
      ->check(CLI::IsMember({"csr", "csc", "coo", "bsr", "dia", "lil", "dok"}));
  app.add_flag("--uncompressed", o->uncompressed, "sparse .npz destination: store members uncompressed");
  app.add_option("--blocksize", o->blocksize, "sparse bsr destination: block shape R,C (default: the source's, or 1,1)")
      ->delimiter(',');
  return [o] {
    if (o->dtype.empty() && (names_sparse(o->src) || is_npz_path_or_mtx(o->dst))) {
      sparse::ConvertOptions options;
      options.format = o->format;
      options.compressed = !o->uncompressed;
      if (o->blocksize.size() == 2) options.block_rows = o->blocksize[0], options.block_cols = o->blocksize[1];
      if (!o->chunks.empty()) options.chunks = parse_shape(o->chunks);
      options.gzip_level = o->compression == "gzip" ? o->level : -1;
      options.shuffle = o->shuffle;
      options.ooc.budget = parse_bytes(o->budget, "--budget");
      options.ooc.progress = !o->quiet;
      options.ooc.label = "convert";
#if MAMMOTH_MPI
      if (mpi_cli::quiet_rank()) return 0;  // sparse matrices are converted by rank 0 alone
#endif
      return sparse_convert(o->src, o->dst, options);
    }
    std::optional<RawLayout> raw;
    if (!o->dtype.empty())
      raw = RawLayout{DType::parse(o->dtype, "--dtype"), parse_shape(o->shape), o->offset,
                      o->order == "F" ? Order::Fortran : Order::C};
    if (same_file(parse_store_path(o->src).file, parse_store_path(o->dst).file) && !parse_store_path(o->dst).is_hdf5())
      throw Error(o->dst + ": source and destination are the same file");
    const auto destination = [&](const BlockStore& src) {
      CreateOptions options;
      options.dtype = o->to_dtype.empty() ? src.dtype() : DType::parse(o->to_dtype, "--to-dtype");
      options.shape = src.shape();
      options.order = property(src, "order") == "F" ? Order::Fortran : Order::C;
      if (!o->chunks.empty()) options.chunks = parse_shape(o->chunks);
      options.gzip_level = o->compression == "none" ? -1 : o->level;
      if (o->compression != "none" && o->compression != "gzip") options.compression = o->compression;
      if (const auto filter = h5::parse_compression(o->compression)) h5::require_filter(filter->id, o->dst);
      options.shuffle = o->shuffle;
      options.preallocate = !o->sparse;
      return options;
    };
    ooc::Options copy_options;
    copy_options.budget = parse_bytes(o->budget, "--budget");
    copy_options.progress = !o->quiet;
    copy_options.label = "convert";
#if MAMMOTH_MPI
    return mpi_cli::convert(o->src, raw, o->dst, destination, copy_options);
#endif
    const h5::WriteIntent intent(parse_store_path(o->dst).file);  // a copy beside its source
    const auto src = open_store(o->src, Mode::Read, raw);
    const CreateOptions options = destination(*src);
    ooc_cli::CancelOnSignal cancel;
    ooc::AtomicOutput out(o->dst, options);
    ooc::copy(*src, out.store(), copy_options);
    out.commit();
    return 0;
  };
}

const bool registered = register_command({"convert",
                                          "copy an array between raw, .npy and HDF5 files (any size, bounded memory), "
                                          "or a sparse matrix between .npz, .mtx, HDF5 groups and dense .npy",
                                          30, setup_convert});

}  // namespace
}  // namespace mammoth::cli
