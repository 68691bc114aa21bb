// mammoth._mammoth: the extension under `import mammoth` (python/mammoth/__init__.py).
#include <cstdio>

#include "bindings.hpp"
#include "mammoth/h5/watchdog.hpp"

namespace {

// libhdf5 can spin without end on a damaged file (h5/watchdog.hpp) and a call in progress
// cannot be interrupted, not even by the kernel's interrupt button: after
// MAMMOTH_HDF5_TIMEOUT seconds (default 30) the user is told why the cell hangs. The
// watchdog's thread holds no GIL: plain stderr, no Python.
void warn_when_libhdf5_is_stuck() {
  std::chrono::milliseconds limit{30000};
  try {
    limit = mammoth::h5::stuck_call_limit();
  } catch (const mammoth::Error& e) {
    std::fprintf(stderr, "mammoth: %s; using 30 s\n", e.what());
  }
  mammoth::h5::on_stuck_metadata_call(
      [](const std::string& what) {
        std::fprintf(stderr, "mammoth: %s and this call cannot be interrupted: restart the kernel.\n", what.c_str());
        std::fflush(stderr);
      },
      limit);
}

}  // namespace

PYBIND11_MODULE(_mammoth, m) {
  m.doc() = "mammoth: arrays too big for memory (the C++ library under `import mammoth`)";
  m.attr("__version__") = MAMMOTH_VERSION;
  mammoth::python::bind_errors(m);
  mammoth::python::bind_numpy_bridge(m);
  mammoth::python::bind_arrays(m);
  mammoth::python::bind_ooc(m);
  mammoth::python::bind_profile(m);
  mammoth::python::bind_sparse(m);
  warn_when_libhdf5_is_stuck();
}
