// `mammoth matmul A B -o C`: C = A·B with A (and B, in column panels) streamed from disk
// and C written in tiles.
#include "mammoth/ooc/matmul.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/path.hpp"

#include "mammoth/error.hpp"
#include "mpi_cli.hpp"
#include "ooc_common.hpp"

namespace mammoth::cli {
namespace {

struct MatmulArgs {
  std::string a, b, out;
  ooc_cli::CommonArgs common;
};

int run_matmul(const MatmulArgs& args) {
#if MAMMOTH_MPI
  return mpi_cli::matmul(args.a, args.b, args.out, args.common);
#endif
  const ooc::Options options = args.common.options("matmul");
  ooc_cli::CancelOnSignal cancel;
  const h5::WriteIntent intent(parse_store_path(args.out).file);  // a result beside its inputs
  auto a = ooc_cli::open_input(args.a, args.common, true);
  auto b = ooc_cli::open_input(args.b, args.common, true);
  if (a->shape().size() != 2 || b->shape().size() != 2)
    throw ShapeError("matmul needs two 2-d matrices, found " + a->name() + " " + shape_string(a->shape()) + " and " +
                     b->name() + " " + shape_string(b->shape()));
  const ooc_cli::Timer timer;
  CreateOptions create;
  create.dtype = args.common.output_type(ooc::product_type(a->dtype(), b->dtype()));
  create.shape = {a->shape()[0], b->shape()[1]};
  ooc::AtomicOutput out(args.out, create);
  ooc::matmul(*a, *b, out.store(), options);
  out.commit();
  ooc_cli::summary(args.common, "matmul", *a, args.out, nullptr, timer.seconds(),
                   static_cast<double>(a->dtype().itemsize() * element_count(a->shape())));
  return 0;
}

std::function<int()> setup_matmul(CLI::App& app) {
  auto args = std::make_shared<MatmulArgs>();
  app.add_option("A", args->a, "left matrix (m×k): FILE.npy, FILE.h5:/path, or raw with --dtype/--shape")->required();
  app.add_option("B", args->b, "right matrix (k×n)")->required();
  app.add_option("-o,--output", args->out, "result C (m×n; float64 unless --out-dtype): .npy, FILE.h5:/path or raw")
      ->required();
  ooc_cli::add_common(app, args->common);
  ooc_cli::add_out_dtype(app, args->common);
  return [args] { return run_matmul(*args); };
}

const bool registered = register_command(
    {"matmul", "matrix product A·B of matrices on disk, result written in tiles, under a memory budget", 51,
     setup_matmul});

}  // namespace
}  // namespace mammoth::cli
