// The subcommands of the MPI build (MAMMOTH_MPI): under `mpirun -n P mammoth …` matvec,
// reduce, random and convert split the rows among the ranks (mammoth/mpi/distributed.hpp);
// rank 0 alone prints. Other subcommands run on rank 0 only.
#pragma once

#if MAMMOTH_MPI

#include <functional>
#include <optional>
#include <string>

#include "mammoth/mpi/communicator.hpp"
#include "mammoth/random.hpp"
#include "mammoth/store.hpp"
#include "ooc_common.hpp"

namespace mammoth::cli::mpi_cli {

// True on every rank but 0 (they print nothing).
bool quiet_rank();

// Runs the chosen subcommand on every rank (the distributed ones) or on rank 0 alone (the
// others); prints an error once; with `rank_memory` rank 0 prints every rank's peak.
int run(const CLI::App& app, const std::function<int()>& chosen, bool rank_memory);

int matvec(const std::string& a, const std::string& x, const std::string& out, bool transpose,
           const ooc_cli::CommonArgs& common);
int matmul(const std::string& a, const std::string& b, const std::string& out, const ooc_cli::CommonArgs& common);
// Streamed across ranks for a CSR matrix (y of any dense format); other formats and
// --transpose run the one-process command on rank 0.
int spmv(const std::string& m, const std::string& x, const std::string& y, bool transpose,
         const ooc_cli::CommonArgs& common);
int reduce(const std::string& a, const std::string& op, std::optional<int> axis, const std::string& out,
           const ooc_cli::CommonArgs& common);
int random(const std::string& path, const CreateOptions& create, const RandomSpec& spec);
// `destination` makes the output's CreateOptions from the opened source.
int convert(const std::string& src, const std::optional<RawLayout>& raw, const std::string& dst,
            const std::function<CreateOptions(const BlockStore&)>& destination, const ooc::Options& options);

}  // namespace mammoth::cli::mpi_cli

#endif
