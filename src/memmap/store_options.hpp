// Checks shared by the raw and .npy back ends of create_store.
#pragma once

#include <string>

#include "mammoth/store.hpp"

namespace mammoth::detail {

// Chunking, compression and shuffle mean nothing for a raw or .npy file: refuse them
// rather than silently writing something else than asked.
void reject_hdf5_options(const std::string& path, const CreateOptions& options);

}  // namespace mammoth::detail
