#include "mammoth/units.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "mammoth/error.hpp"

namespace mammoth {
namespace {

// 1024^k for a unit ("", "b", "k", "kb", "kib", ... "t", "tib"), or 0 when it is none.
double unit_scale(std::string unit) {
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  if (unit.empty() || unit == "b") return 1;
  const std::string prefixes = "kmgt";
  const auto at = prefixes.find(unit[0]);
  if (at == std::string::npos) return 0;
  const std::string rest = unit.substr(1);
  if (!rest.empty() && rest != "b" && rest != "ib") return 0;
  return std::pow(1024.0, static_cast<double>(at + 1));
}

}  // namespace

std::size_t parse_bytes(std::string_view text, std::string_view what) {
  const std::string s(text);
  std::size_t used = 0;
  double value = 0;
  // stod would accept leading spaces, "inf" and hex; a size starts with a digit or a point.
  if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.')) {
    try {
      value = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
  }
  const double bytes = value * unit_scale(s.substr(used));
  if (used == 0 || !(bytes >= 1) || bytes >= 9.2e18 || s.find_first_of("xXpP") != std::string::npos)
    throw Error(std::string(what) + ": '" + s +
                "' is not a byte size (expected a positive number with an optional unit: 64MiB, 1.5G, 512k, 1TiB)");
  return static_cast<std::size_t>(bytes);
}

std::string format_bytes(double bytes, int decimals) {
  if (bytes < 0) return "-" + format_bytes(-bytes, decimals);
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024 && u < 5) {
    bytes /= 1024;
    ++u;
  }
  char text[48];
  std::snprintf(text, sizeof text, "%.*f %s", u == 0 ? 0 : decimals, bytes, units[u]);
  return text;
}

}  // namespace mammoth
