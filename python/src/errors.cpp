// Library exceptions become the classes of mammoth/errors.py, which are also the builtin
// exceptions numpy and h5py users catch (OSError, ValueError, TypeError). The message is
// what the CLI prints after "mammoth: error: ".
#include <Python.h>

#include "bindings.hpp"
#include "mammoth/error.hpp"
#include "mammoth/ooc/scheduler.hpp"

namespace mammoth::python {
namespace {

void raise(const char* name, const std::string& message, int errnum = 0) {
  const py::object type = py::module_::import("mammoth.errors").attr(name);
  py::object error = type(message);
  if (errnum != 0) error.attr("errno") = errnum;
  PyErr_SetObject(type.ptr(), error.ptr());
}

}  // namespace

void bind_errors(py::module_&) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ooc::Cancelled&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    } catch (const IoError& e) {
      raise("IoError", e.what(), e.errnum());
    } catch (const FormatError& e) {
      raise("FormatError", e.what());
    } catch (const ShapeError& e) {
      raise("ShapeError", e.what());
    } catch (const TypeError& e) {
      raise("DTypeError", e.what());
    } catch (const Error& e) {
      raise("Error", e.what());
    }
  });
}

}  // namespace mammoth::python
