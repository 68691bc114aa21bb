// `mammoth spy M -o pattern.png [--size 800]`: the sparsity pattern as a picture.
#include <memory>

#include "command.hpp"
#include "sparse_cli.hpp"

namespace mammoth::cli {
namespace {

std::function<int()> setup_spy(CLI::App& app) {
  auto m = std::make_shared<std::string>(), png = std::make_shared<std::string>();
  auto size = std::make_shared<std::int64_t>(800);
  app.add_option("M", *m, "sparse matrix (.npz or .mtx)")->required();
  app.add_option("-o,--output", *png, "PNG to write")->required();
  app.add_option("--size", *size, "pixels on the longer side (default 800); blocks shade by density");
  return [=] { return sparse_spy(*m, *png, *size); };
}

const bool registered = register_command({"spy", "picture of a sparse matrix's pattern (PNG)", 47, setup_spy});

}  // namespace
}  // namespace mammoth::cli
