// The back ends behind open_store/create_store; each lives in its module's folder.
#pragma once

#include <memory>
#include <string>

#include "mammoth/store.hpp"

namespace mammoth::detail {

std::unique_ptr<BlockStore> open_npy_store(const std::string& path, Mode mode);
std::unique_ptr<BlockStore> create_npy_store(const std::string& path, const CreateOptions& options);
std::unique_ptr<BlockStore> open_raw_store(const std::string& path, Mode mode, const RawLayout& layout);
std::unique_ptr<BlockStore> create_raw_store(const std::string& path, const CreateOptions& options);
std::unique_ptr<BlockStore> open_h5_store(const StorePath& path, Mode mode);
std::unique_ptr<BlockStore> create_h5_store(const StorePath& path, const CreateOptions& options);

}  // namespace mammoth::detail
