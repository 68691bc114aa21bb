#include "mammoth/error.hpp"

#include <cstring>

namespace mammoth {

void throw_io_error(std::string_view context, std::string_view what, int errnum) {
  std::string message(context);
  message += ": ";
  message += what;
  message += " (";
  message += std::strerror(errnum);
  message += ")";
  throw IoError(message, errnum);
}

}  // namespace mammoth
