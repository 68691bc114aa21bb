// `mammoth spmv M X -o Y`: y = M·x for a sparse M (.npz, .mtx) and a 1-d .npy x.
#include <memory>

#include "command.hpp"
#include "mammoth/units.hpp"
#include "sparse_cli.hpp"

namespace mammoth::cli {
namespace {

std::function<int()> setup_spmv(CLI::App& app) {
  auto m = std::make_shared<std::string>(), x = std::make_shared<std::string>(), y = std::make_shared<std::string>();
  auto budget = std::make_shared<std::string>();
  app.add_option("M", *m, "sparse matrix (.npz or .mtx)")->required();
  app.add_option("X", *x, "dense vector (.npy, 1-d)")->required();
  app.add_option("-o,--output", *y, "result vector (.npy)")->required();
  app.add_option("--budget", *budget,
                 "stream an uncompressed CSR .npz from disk in row blocks of at most this many bytes (e.g. 64M)");
  return [=] {
    return sparse_spmv(*m, *x, *y, budget->empty() ? 0 : static_cast<std::int64_t>(parse_bytes(*budget, "--budget")));
  };
}

const bool registered = register_command(
    {"spmv", "sparse matrix × vector: y = M·x (parallel; --budget streams from disk)", 46, setup_spmv});

}  // namespace
}  // namespace mammoth::cli
