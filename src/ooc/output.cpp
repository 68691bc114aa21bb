#include "mammoth/ooc/output.hpp"

namespace mammoth::ooc {

AtomicOutput::AtomicOutput(const std::string& spec, const CreateOptions& options)
    : commit_(spec), store_(create_store(commit_.spec(), options)) {}

void AtomicOutput::commit() {
  store_->flush();
  store_.reset();  // closes the file before it takes its final name
  commit_.commit();
}

}  // namespace mammoth::ooc
