// The out-of-core algorithms from Python: matvec, rmatvec, matmul, reduce and convert.
// Each runs on the calling thread with the GIL released, so other Python threads go on.
// Ctrl-C reaches it through a SIGINT handler that asks the running streams to stop at
// the next block (ooc::request_cancel) and passes the signal on to Python's own
// handler, which raises KeyboardInterrupt once the call is back in Python; the output
// commit removes any partial output on the way.
#include <csignal>
#include <mutex>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "mammoth/h5/file.hpp"
#include "mammoth/ooc/copy.hpp"
#include "mammoth/ooc/matmul.hpp"
#include "mammoth/ooc/matvec.hpp"
#include "mammoth/ooc/output.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/reduce.hpp"
#include "mammoth/ooc/scheduler.hpp"
#include "mammoth/path.hpp"
#include "mammoth/units.hpp"
#include "released.hpp"

namespace mammoth::python {
namespace {

struct sigaction python_sigint;  // the handler in place before the first call started
int running_calls = 0;           // calls inside a CancelOnSigint, under `install_mutex`
bool installed = false;          // whether on_sigint replaced python_sigint
std::mutex install_mutex;

void on_sigint(int sig, siginfo_t* info, void* context) {
  ooc::request_cancel();
  if (python_sigint.sa_flags & SA_SIGINFO) {
    if (python_sigint.sa_sigaction) python_sigint.sa_sigaction(sig, info, context);
  } else if (python_sigint.sa_handler != SIG_DFL) {
    python_sigint.sa_handler(sig);
  }
}

}  // namespace

CancelOnSigint::CancelOnSigint() {
  const std::lock_guard lock(install_mutex);
  if (running_calls++ > 0) return;
  ooc::clear_cancel();
  sigaction(SIGINT, nullptr, &python_sigint);
  installed = (python_sigint.sa_flags & SA_SIGINFO) || python_sigint.sa_handler != SIG_IGN;
  if (!installed) return;
  struct sigaction ours {};
  ours.sa_sigaction = on_sigint;
  ours.sa_flags = SA_SIGINFO;
  sigemptyset(&ours.sa_mask);
  sigaction(SIGINT, &ours, nullptr);
}

CancelOnSigint::~CancelOnSigint() {
  const std::lock_guard lock(install_mutex);
  if (--running_calls > 0) return;
  if (installed) sigaction(SIGINT, &python_sigint, nullptr);
  ooc::clear_cancel();
}

// The vector of a product in memory: a numpy array as it is, an array on disk read whole.
AnyArray vector_of(const py::handle& x) {
  if (!py::isinstance<ArrayHandle>(x) && !py::isinstance<py::str>(x) && !py::hasattr(x, "__fspath__"))
    return from_numpy(x);
  const std::shared_ptr<BlockStore> store = store_of(x);
  const DType type =
      store->dtype().type() == ScalarType::Float16 ? DType(ScalarType::Float32) : store->dtype().native();
  AnyArray v = AnyArray::empty(type, store->shape());
  py::gil_scoped_release release;
  store->read(Box::whole(store->shape()), v.data(), v.dtype());
  return v;
}

namespace {

py::object matvec(const py::object& a_arg, const py::object& x_arg, const py::object& out, bool transpose,
                  const py::object& budget, int threads, const py::object& progress) {
  const ooc::Options options = ooc_options(budget, threads, progress, transpose ? "rmatvec" : "matvec");
  // A result beside its input in one HDF5 file (inputs given by path; see h5::WriteIntent).
  const h5::WriteIntent intent(out.is_none() ? std::string() : parse_store_path(py::str(out)).file);
  const std::shared_ptr<BlockStore> a = store_of(a_arg);
  if (out.is_none()) {
    const AnyArray x = vector_of(x_arg);
    const AnyArray y =
        run_released(progress, [&] { return transpose ? ooc::rmatvec(*a, x, options) : ooc::matvec(*a, x, options); });
    return to_numpy(y);
  }
  const std::shared_ptr<BlockStore> x = store_of(x_arg);
  const std::string spec = py::str(out);
  run_released(progress, [&] {
    CreateOptions create;
    create.dtype = ooc::product_type(a->dtype(), x->dtype());
    if (a->shape().size() != 2)
      throw ShapeError(a->name() + ": matvec needs a 2-d matrix, found shape " + shape_string(a->shape()));
    create.shape = {a->shape()[transpose ? 1 : 0]};
    ooc::AtomicOutput result(spec, create);
    ooc::matvec(*a, *x, result.store(), transpose, options);
    result.commit();
    return 0;
  });
  return py::none();
}

py::object matmul(const py::object& a_arg, const py::object& b_arg, const py::object& out, const py::object& budget,
                  int threads, const py::object& progress) {
  const ooc::Options options = ooc_options(budget, threads, progress, "matmul");
  const h5::WriteIntent intent(out.is_none() ? std::string() : parse_store_path(py::str(out)).file);
  const std::shared_ptr<BlockStore> a = store_of(a_arg);
  if (out.is_none()) {
    const AnyArray b = vector_of(b_arg);
    return to_numpy(run_released(progress, [&] { return ooc::matmul(*a, b, options); }));
  }
  const std::shared_ptr<BlockStore> b = store_of(b_arg);
  const std::string spec = py::str(out);
  run_released(progress, [&] {
    const bool complex = a->dtype().kind() == Kind::Complex || b->dtype().kind() == Kind::Complex;
    CreateOptions create;
    create.dtype = DType(complex ? ScalarType::Complex128 : ScalarType::Float64);
    if (a->shape().size() != 2 || b->shape().size() != 2)
      throw ShapeError(a->name() + " · " + b->name() + ": matmul needs two 2-d matrices");
    create.shape = {a->shape()[0], b->shape()[1]};
    ooc::AtomicOutput result(spec, create);
    ooc::matmul(*a, *b, result.store(), options);
    result.commit();
    return 0;
  });
  return py::none();
}

py::object reduce(const py::object& a_arg, const std::string& op, std::optional<int> axis, const py::object& budget,
                  int threads, const py::object& progress) {
  const ooc::Options options = ooc_options(budget, threads, progress, op);
  const std::shared_ptr<BlockStore> a = store_of(a_arg);
  const ooc::ReduceOp parsed = ooc::parse_reduce_op(op);
  return to_numpy(run_released(progress, [&] { return ooc::reduce(*a, parsed, axis, options); }));
}

void convert(const py::object& src_arg, const std::string& dst, const py::object& dtype, const Shape& chunks,
             int gzip_level, bool shuffle, bool preallocate, const py::object& budget, const py::object& progress) {
  const ooc::Options options = ooc_options(budget, 0, progress, "convert");
  const h5::WriteIntent intent(parse_store_path(dst).file);  // a copy beside its source (opened by path)
  const std::shared_ptr<BlockStore> src = store_of(src_arg);
  CreateOptions create;
  create.dtype = dtype.is_none() ? src->dtype() : to_dtype(dtype);
  if (create.dtype.type() == ScalarType::Float16) create.dtype = DType(ScalarType::Float32);  // read, never written
  create.shape = src->shape();
  for (const auto& [key, value] : src->properties())
    if (key == "order" && value == "F") create.order = Order::Fortran;
  create.chunks = chunks;
  create.gzip_level = gzip_level;
  create.shuffle = shuffle;
  create.preallocate = preallocate;
  run_released(progress, [&] {
    ooc::AtomicOutput out(dst, create);
    ooc::copy(*src, out.store(), options);
    out.commit();
    return 0;
  });
}

}  // namespace

std::shared_ptr<BlockStore> store_of(const py::handle& object) {
  if (py::isinstance<ArrayHandle>(object)) {
    const auto& h = object.cast<const ArrayHandle&>();
    h.get();
    return h.store;
  }
  if (py::isinstance<py::str>(object) || py::hasattr(object, "__fspath__")) {
    const std::string spec = py::str(py::module_::import("os").attr("fspath")(object));
    return open_store(spec);
  }
  return std::make_shared<ArrayStore>(from_numpy(object), "array");
}

ooc::Options ooc_options(const py::object& budget, int threads, const py::object& progress, const std::string& label) {
  ooc::Options options;
  if (!budget.is_none())
    options.budget = py::isinstance<py::int_>(budget) ? budget.cast<std::size_t>()
                                                      : parse_bytes(budget.cast<std::string>(), "budget");
  options.threads = threads;
  options.progress = !progress.is_none();
  options.label = label;
  return options;
}

void bind_ooc(py::module_& m) {
  m.def("_matvec", &matvec);
  m.def("_matmul", &matmul);
  m.def("_reduce", &reduce);
  m.def("_convert", &convert);
  m.def("_request_cancel", &ooc::request_cancel);
}

}  // namespace mammoth::python
