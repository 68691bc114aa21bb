// Placeholder until the memmap/.npy back end lands (issue 2).
#include "../store/backends.hpp"
#include "mammoth/error.hpp"

namespace mammoth::detail {

std::unique_ptr<BlockStore> open_npy_store(const std::string& path, Mode) {
  throw Error(path + ": .npy back end not built yet");
}
std::unique_ptr<BlockStore> create_npy_store(const std::string& path, const CreateOptions&) {
  throw Error(path + ": .npy back end not built yet");
}
std::unique_ptr<BlockStore> open_raw_store(const std::string& path, Mode, const RawLayout&) {
  throw Error(path + ": raw back end not built yet");
}
std::unique_ptr<BlockStore> create_raw_store(const std::string& path, const CreateOptions&) {
  throw Error(path + ": raw back end not built yet");
}

}  // namespace mammoth::detail
