// `mammoth reduce A --op sum --axis 1 -o r.npy`: sum/mean/min/max/norm of an array on disk.
#include "mammoth/ooc/reduce.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/path.hpp"

#include "mammoth/error.hpp"
#include "mpi_cli.hpp"
#include "ooc_common.hpp"

namespace mammoth::cli {
namespace {

struct ReduceArgs {
  std::string a, out, op = "sum", axis = "all";
  ooc_cli::CommonArgs common;
};

int run_reduce(const ReduceArgs& args) {
  const ooc::Options options = args.common.options(args.op);
  ooc_cli::CancelOnSignal cancel;
  const h5::WriteIntent intent(parse_store_path(args.out).file);  // a result beside its input
  auto a = ooc_cli::open_input(args.a, args.common, true);
  const ooc::ReduceOp op = ooc::parse_reduce_op(args.op);
  const std::optional<int> axis = args.axis == "all" ? std::nullopt : std::optional<int>(std::stoi(args.axis));
#if MAMMOTH_MPI
  return mpi_cli::reduce(args.a, args.op, axis, args.out, args.common);
#endif
  const ooc_cli::Timer timer;
  const double bytes = static_cast<double>(a->dtype().itemsize() * element_count(a->shape()));
  if (!args.out.empty()) {
    // Into the output as it goes: a result longer than the budget is written block by block.
    CreateOptions create;
    create.dtype = ooc::reduce_type(a->dtype(), op);
    if (axis)  // the array's shape without the axis; all axes reduced: a scalar, shape ()
      for (std::size_t d = 0; d < a->shape().size(); ++d)
        if (static_cast<int>(d) != *axis) create.shape.push_back(a->shape()[d]);
    if (axis && *axis == 0 && a->shape().size() == 1) create.shape.clear();
    ooc::AtomicOutput out(args.out, create);
    ooc::reduce(*a, op, axis, out.store(), options);
    out.commit();
    ooc_cli::summary(args.common, "reduce " + args.op, *a, args.out, nullptr, timer.seconds(), bytes);
    return 0;
  }
  const AnyArray r = ooc::reduce(*a, op, axis, options);
  ooc_cli::summary(args.common, "reduce " + args.op, *a, args.out, &r, timer.seconds(), bytes);
  ooc_cli::print_result(r);
  return 0;
}

std::function<int()> setup_reduce(CLI::App& app) {
  auto args = std::make_shared<ReduceArgs>();
  app.add_option("A", args->a, "array: FILE.npy, FILE.h5:/path, or raw with --dtype/--shape")->required();
  app.add_option("--op", args->op, "sum, mean, min, max or norm (2-norm)")
      ->check(CLI::IsMember({"sum", "mean", "min", "max", "norm"}))
      ->capture_default_str();
  app.add_option("--axis", args->axis, "0, 1 or all")->check(CLI::IsMember({"0", "1", "all"}))->capture_default_str();
  app.add_option("-o,--output", args->out, "result (.npy, FILE.h5:/path or raw); printed when omitted");
  ooc_cli::add_common(app, args->common);
  return [args] { return run_reduce(*args); };
}

const bool registered = register_command(
    {"reduce", "sum, mean, min, max or 2-norm of an array on disk along an axis, under a memory budget", 52,
     setup_reduce});

}  // namespace
}  // namespace mammoth::cli
