// mammoth._mammoth: the extension under `import mammoth` (python/mammoth/__init__.py).
#include "bindings.hpp"

PYBIND11_MODULE(_mammoth, m) {
  m.doc() = "mammoth: arrays too big for memory (the C++ library under `import mammoth`)";
  m.attr("__version__") = MAMMOTH_VERSION;
  mammoth::python::bind_errors(m);
  mammoth::python::bind_numpy_bridge(m);
  mammoth::python::bind_arrays(m);
  mammoth::python::bind_ooc(m);
  mammoth::python::bind_profile(m);
  mammoth::python::bind_sparse(m);
}
