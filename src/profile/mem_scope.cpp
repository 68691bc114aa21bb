#include "mammoth/profile/mem_scope.hpp"

namespace mammoth::profile {

MemScope::MemScope(std::string label, std::ostream& out, const MemitOptions& options)
    : label_(std::move(label)), out_(out), quiet_(options.quiet), measurement_(options) {}

MemScope::~MemScope() {
  if (run_) return;
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; a report lost to a full stream is acceptable.
  }
}

const MemitRun& MemScope::finish() {
  if (!run_) {
    run_ = measurement_.finish();
    if (!quiet_) out_ << label_ << ": " << format_memit(*run_) << "\n" << std::flush;
  }
  return *run_;
}

}  // namespace mammoth::profile
