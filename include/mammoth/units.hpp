// Byte sizes, as users type them (--budget 64MiB) and as messages print them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mammoth {

inline constexpr std::size_t kKiB = std::size_t{1} << 10;
inline constexpr std::size_t kMiB = std::size_t{1} << 20;
inline constexpr std::size_t kGiB = std::size_t{1} << 30;

// "64MiB", "1.5G", "512k", "1.5TiB", "1000" (bytes), case-insensitive; k/M/G/T with or
// without "B"/"iB" are powers of 1024. Throws Error naming `what` (e.g. "--budget") on
// junk, zero, negative values or sizes beyond 2^63 bytes.
std::size_t parse_bytes(std::string_view text, std::string_view what = "memory size");
// 67108864 -> "64.0 MiB" (with `decimals` = 1); negative sizes keep their sign.
std::string format_bytes(double bytes, int decimals = 1);

}  // namespace mammoth
