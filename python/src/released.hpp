// Running library work from Python: without the GIL, with Ctrl-C turned into the engine's
// cancel (ooc::request_cancel) and then KeyboardInterrupt, and progress sent to a Python
// callable. Shared by the out-of-core calls (ooc.cpp) and the streamed sparse ones (sparse.cpp).
#pragma once

#include <memory>
#include <string>

#include "bindings.hpp"
#include "mammoth/ooc/progress.hpp"
#include "mammoth/ooc/scheduler.hpp"

namespace mammoth::python {

// Our SIGINT handler in place while at least one call runs (calls from several threads
// share it); it requests the cancel and passes the signal on to Python's handler. A
// program that ignores SIGINT (signal.signal(SIGINT, SIG_IGN)) keeps ignoring it.
class CancelOnSigint {
 public:
  CancelOnSigint();
  ~CancelOnSigint();
  CancelOnSigint(const CancelOnSigint&) = delete;
  CancelOnSigint& operator=(const CancelOnSigint&) = delete;
};

// A Python callable that std::function copies may share while the GIL is released: the
// reference count is the shared_ptr's, and the last owner drops the object with the GIL.
struct PyCallable {
  py::object fn;
  ~PyCallable() {
    py::gil_scoped_acquire gil;
    fn = py::object();
  }
};

// Runs `work` without the GIL, progress going to `progress` (a Python callable or None).
// A cancelled run raises KeyboardInterrupt (or whatever Python's SIGINT handler raises).
template <class F>
auto run_released(const py::object& progress, F&& work) {
  ooc::ProgressSink sink;
  if (!progress.is_none())
    sink = [callable = std::make_shared<PyCallable>(PyCallable{progress})](const std::string& label, std::uint64_t done,
                                                                           std::uint64_t total, bool final) {
      py::gil_scoped_acquire gil;
      try {
        callable->fn(label, done, total, final);
      } catch (py::error_already_set&) {
        // A display that fails must not fail the computation.
      }
    };
  CancelOnSigint cancel;
  try {
    py::gil_scoped_release release;
    ooc::ScopedProgressSink scoped(std::move(sink));
    return work();
  } catch (const ooc::Cancelled&) {
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw py::error_already_set();
  }
}

}  // namespace mammoth::python
