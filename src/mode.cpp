#include "mammoth/mode.hpp"

#include "mammoth/error.hpp"

namespace mammoth {

Mode parse_mode(std::string_view text) {
  if (text == "r" || text == "readonly") return Mode::Read;
  if (text == "r+" || text == "readwrite") return Mode::ReadWrite;
  if (text == "w" || text == "w+" || text == "write") return Mode::Write;
  if (text == "x" || text == "w-") return Mode::Exclusive;
  if (text == "a") return Mode::Append;
  if (text == "c" || text == "copyonwrite") return Mode::CopyOnWrite;
  throw Error("unknown mode '" + std::string(text) + "' (expected r, r+, w, w+, x, a or c)");
}

std::string mode_string(Mode mode) {
  switch (mode) {
    case Mode::Read:
      return "r";
    case Mode::ReadWrite:
      return "r+";
    case Mode::Write:
      return "w+";
    case Mode::Exclusive:
      return "x";
    case Mode::Append:
      return "a";
    case Mode::CopyOnWrite:
      return "c";
  }
  return "?";
}

}  // namespace mammoth
