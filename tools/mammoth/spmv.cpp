// `mammoth spmv M X -o Y`: y = M·x for a sparse M (.npz, .mtx) and a 1-d .npy x.
#include <memory>

#include "command.hpp"
#include "sparse_cli.hpp"

namespace mammoth::cli {
namespace {

std::int64_t parse_bytes(const std::string& text) {
  std::size_t used = 0;
  const double v = std::stod(text, &used);
  const std::string unit = text.substr(used);
  const double scale = unit.empty() || unit == "B"    ? 1
                       : unit == "K" || unit == "KiB" ? 1024.0
                       : unit == "M" || unit == "MiB" ? 1024.0 * 1024
                       : unit == "G" || unit == "GiB" ? 1024.0 * 1024 * 1024
                                                      : -1;
  if (scale < 0 || v <= 0) throw CLI::ValidationError("--budget", "bad size '" + text + "' (e.g. 64M, 1G)");
  return static_cast<std::int64_t>(v * scale);
}

std::function<int()> setup_spmv(CLI::App& app) {
  auto m = std::make_shared<std::string>(), x = std::make_shared<std::string>(), y = std::make_shared<std::string>();
  auto budget = std::make_shared<std::string>();
  app.add_option("M", *m, "sparse matrix (.npz or .mtx)")->required();
  app.add_option("X", *x, "dense vector (.npy, 1-d)")->required();
  app.add_option("-o,--output", *y, "result vector (.npy)")->required();
  app.add_option("--budget", *budget,
                 "stream an uncompressed CSR .npz from disk in row blocks of at most this many bytes (e.g. 64M)");
  return [=] { return sparse_spmv(*m, *x, *y, budget->empty() ? 0 : parse_bytes(*budget)); };
}

const bool registered = register_command(
    {"spmv", "sparse matrix × vector: y = M·x (parallel; --budget streams from disk)", 46, setup_spmv});

}  // namespace
}  // namespace mammoth::cli
