// mm.sparse: the in-memory kernels on scipy's own arrays (filled in below).
#include "bindings.hpp"

namespace mammoth::python {

void bind_sparse(py::module_&) {}

}  // namespace mammoth::python
