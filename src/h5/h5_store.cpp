// Placeholder until the HDF5 back end lands (issue 4).
#include "../store/backends.hpp"
#include "mammoth/error.hpp"

namespace mammoth::detail {

std::unique_ptr<BlockStore> open_h5_store(const StorePath& path, Mode) {
  throw Error(path.file + ": HDF5 back end not built yet");
}
std::unique_ptr<BlockStore> create_h5_store(const StorePath& path, const CreateOptions&) {
  throw Error(path.file + ": HDF5 back end not built yet");
}

}  // namespace mammoth::detail
