// MemScope: memit for a block of code delimited by a C++ scope.
//
//   { mammoth::profile::MemScope scope("fill"); fill(); }
//   // prints "fill: peak memory: 392.10 MiB, increment: 387.62 MiB (anon +1.20 MiB, file +386.42 MiB)"
#pragma once

#include <iostream>
#include <optional>
#include <string>

#include "mammoth/profile/memit.hpp"

namespace mammoth::profile {

class MemScope {
 public:
  explicit MemScope(std::string label, std::ostream& out = std::clog, const MemitOptions& options = {});
  // Reports (unless finish() already did) when the scope ends.
  ~MemScope();
  MemScope(const MemScope&) = delete;
  MemScope& operator=(const MemScope&) = delete;

  // Ends the measurement now, prints and returns it; later calls return the same run.
  const MemitRun& finish();

 private:
  std::string label_;
  std::ostream& out_;
  bool quiet_;
  Measurement measurement_;
  std::optional<MemitRun> run_;
};

}  // namespace mammoth::profile
