// `mammoth matvec A X -o Y [--transpose]`: y = A·x (or Aᵀ·x) with A streamed from disk.
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/path.hpp"

#include "mammoth/error.hpp"
#include "mpi_cli.hpp"
#include "ooc_common.hpp"

namespace mammoth::cli {
namespace {

struct MatvecArgs {
  std::string a, x, out;
  bool transpose = false;
  ooc_cli::CommonArgs common;
};

int run_matvec(const MatvecArgs& args) {
#if MAMMOTH_MPI
  return mpi_cli::matvec(args.a, args.x, args.out, args.transpose, args.common);
#endif
  const ooc::Options options = args.common.options(args.transpose ? "rmatvec" : "matvec");
  ooc_cli::CancelOnSignal cancel;
  const h5::WriteIntent intent(parse_store_path(args.out).file);  // a result beside its input
  auto a = ooc_cli::open_input(args.a, args.common, true);
  auto x = ooc_cli::open_input(args.x, args.common, false);
  if (a->shape().size() != 2)
    throw ShapeError(a->name() + ": matvec needs a 2-d matrix, found shape " + shape_string(a->shape()));
  const ooc_cli::Timer timer;
  if (args.out.empty()) {
    AnyArray v = AnyArray::empty(compute_dtype(x->dtype()), x->shape());
    x->read(Box::whole(x->shape()), v.data(), v.dtype());
    const AnyArray y = args.transpose ? ooc::rmatvec(*a, v, options) : ooc::matvec(*a, v, options);
    ooc_cli::summary(args.common, options.label, *a, "", &y, timer.seconds(),
                     static_cast<double>(a->dtype().itemsize() * element_count(a->shape())));
    ooc_cli::print_result(y.astype(args.common.output_type(y.dtype())));
    return 0;
  }
  CreateOptions create;
  create.dtype = args.common.output_type(ooc::product_type(a->dtype(), x->dtype()));
  create.shape = {a->shape()[args.transpose ? 1 : 0]};
  ooc::AtomicOutput out(args.out, create);
  ooc::matvec(*a, *x, out.store(), args.transpose, options);
  out.commit();
  ooc_cli::summary(args.common, options.label, *a, args.out, nullptr, timer.seconds(),
                   static_cast<double>(a->dtype().itemsize() * element_count(a->shape())));
  return 0;
}

std::function<int()> setup_matvec(CLI::App& app) {
  auto args = std::make_shared<MatvecArgs>();
  app.add_option("A", args->a, "matrix (m×n): FILE.npy, FILE.h5:/path, or raw with --dtype/--shape")->required();
  app.add_option("X", args->x, "vector of length n (m with --transpose)")->required();
  app.add_option("-o,--output", args->out, "result vector (.npy, FILE.h5:/path or raw); printed when omitted");
  app.add_flag("-t,--transpose", args->transpose, "compute Aᵀ·x (rmatvec)");
  ooc_cli::add_common(app, args->common);
  ooc_cli::add_out_dtype(app, args->common);
  return [args] { return run_matvec(*args); };
}

const bool registered = register_command(
    {"matvec", "matrix-vector product A·x with A streamed from disk under a memory budget", 50, setup_matvec});

}  // namespace
}  // namespace mammoth::cli
