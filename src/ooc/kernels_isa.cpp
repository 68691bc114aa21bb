#include "kernels_isa.hpp"

#include <cstdlib>
#include <string_view>

#include "kernels.hpp"

#define MAMMOTH_KERNELS_NAME "baseline"
#include "kernels_table.inc"

namespace mammoth::ooc::isa {
namespace {

const Kernels& choose() {
  const char* cap = std::getenv("MAMMOTH_KERNELS");
  const std::string_view limit = cap ? cap : "";
  if (limit != "baseline" && limit != "avx2")
    if (const Kernels* k = avx512()) return *k;
  if (limit != "baseline")
    if (const Kernels* k = avx2()) return *k;
  return table;
}

}  // namespace

const Kernels& baseline() { return table; }

const Kernels& best() {
  static const Kernels& chosen = choose();
  return chosen;
}

}  // namespace mammoth::ooc::isa
