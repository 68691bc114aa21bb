// Open modes, spelled as numpy.memmap and h5py spell them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mammoth {

enum class Mode : std::uint8_t {
  Read,         // "r": existing, read-only
  ReadWrite,    // "r+": existing, read and write
  Write,        // "w+" (memmap) / "w" (h5py): create or truncate
  Exclusive,    // "x" / "w-": create, fail if it exists
  Append,       // "a": read and write, create if missing
  CopyOnWrite,  // "c": writes stay in memory, the file is never changed
};

// Accepts "r", "r+", "w", "w+", "x", "w-", "a", "c"; throws Error otherwise.
Mode parse_mode(std::string_view text);
std::string mode_string(Mode mode);
constexpr bool mode_writes_file(Mode m) { return m != Mode::Read && m != Mode::CopyOnWrite; }

}  // namespace mammoth
