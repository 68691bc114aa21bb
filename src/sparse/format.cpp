// Names of the seven formats, as scipy spells them.
#include "mammoth/sparse/common.hpp"

namespace mammoth::sparse {

Format parse_format(const std::string& name) {
  static const char* names[] = {"coo", "csr", "csc", "bsr", "lil", "dok", "dia"};
  for (int f = 0; f < 7; ++f)
    if (name == names[f]) return static_cast<Format>(f);
  throw Error("unknown sparse format '" + name + "' (expected coo, csr, csc, bsr, lil, dok or dia)");
}

const char* format_name(Format f) {
  static const char* names[] = {"coo", "csr", "csc", "bsr", "lil", "dok", "dia"};
  return names[static_cast<int>(f)];
}

}  // namespace mammoth::sparse
