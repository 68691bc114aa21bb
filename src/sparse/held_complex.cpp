// The sparse file loaders' and saver's instantiations for the held complex types (files.hpp),
// compiled here once instead of in every file that visits a sparse file.
#include "mammoth/sparse/files.hpp"

namespace mammoth::sparse {

#define MAMMOTH_SPARSE_DEFINE_HELD(T, I) MAMMOTH_SPARSE_HELD_INSTANCES(, T, I)
MAMMOTH_SPARSE_HELD_COMPLEX(MAMMOTH_SPARSE_DEFINE_HELD)

}  // namespace mammoth::sparse
